/**
 * The target read in primary-key order, for the compare engine (core/compare.ts): windows of
 * `pk > last LIMIT n`, each sorted here, the next window starting after the last key of this one.
 *
 * What each target does with `pk > last LIMIT n` (probed, test/integration/verify-full.test.ts):
 * - Milvus Lite 3.2.2 returns "segments first, then memtable", and applies LIMIT to that order,
 *   unless the request carries the `iterator` query param (pymilvus' QueryIterator sets it): then
 *   it sorts by pk before the limit. So the param is always sent.
 * - Milvus 2.3.5 and Milvus Lite 2.5.1 (Milvus's own query reduce) merge segment results by pk
 *   before the limit: each window holds the n smallest keys above `last`.
 * - Milvus 2.3.5 with `reduce_stop_for_best` (pymilvus sends it) returns SHORT windows (probed:
 *   1,997 of 2,000 rows when a short window was taken for the end): not sent, and only an empty
 *   window ends a scan.
 * A window is sorted here whatever the server did (the "sort within bounded windows" fallback);
 * a server that returned an arbitrary n rows above `last` instead of the smallest would skip
 * rows, which verify-full catches by comparing the rows scanned with count(*).
 */
import type { CollectionPlan, Row } from '../core/types.ts';
import type { MilvusConnection } from './client.ts';
import { call } from './errors.ts';
import { queryFast, type QueryAnswer } from './query-codec.ts';
import { promotedFields } from './encode-scalars.ts';
import { decodeRows, DYNAMIC_FIELD } from './rows.ts';

export interface ScanOptions {
  /** Rows per window (Milvus caps offset + limit at 16,384). */
  batch: number;
  /** Only the primary key (no vectors, no payload): the cheap scan that finds extra ids. */
  idsOnly?: boolean;
  /** Start past this key (a resumed compare); from the first row when absent. */
  after?: bigint | string;
  signal?: AbortSignal;
}

/** A Query RPC with query params, decoded by query-codec.ts (exact `$meta` bytes, fast vectors). */
export type RawQuery = (req: { expr: string; output_fields: string[]; query_params: Array<{ key: string; value: string }> }) => Promise<QueryAnswer>;

export function rawQuery(conn: MilvusConnection, target: string): RawQuery {
  return (req) =>
    call(conn.ctx('Query', target), () => queryFast(conn, { collection_name: target, db_name: conn.database, ...req, consistency_level: 'Strong' }));
}

/** Target order of primary keys: Int64 numerically, VarChar by code unit (bytes, for ASCII ids). */
export function comparePk(a: bigint | string, b: bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every field a Row is decoded from: primary key, vectors, promoted payload fields, `$meta`. */
export function rowOutputFields(plan: CollectionPlan): string[] {
  return [plan.primaryKey.field, ...plan.vectors.map((v) => v.field), ...promotedFields(plan).map((f) => f.name), DYNAMIC_FIELD];
}

export function pkLiteral(plan: CollectionPlan, id: bigint | string): string {
  return plan.primaryKey.type === 'Int64' ? id.toString() : JSON.stringify(String(id));
}

/**
 * Windows of rows in ascending pk order until the collection is exhausted. `run` wraps each
 * request (the sink passes its retry policy); the collection must be loaded.
 */
export async function* scanOrdered(
  plan: CollectionPlan,
  query: RawQuery,
  options: ScanOptions,
  run: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): AsyncGenerator<Row[]> {
  const pk = plan.primaryKey.field;
  const output_fields = options.idsOnly ? [pk] : rowOutputFields(plan);
  // No `reduce_stop_for_best`: on Milvus 2.3.5 it ends a window early (fewer than `limit` rows
  // with more to come), so the end is only ever an empty window.
  const query_params = [
    { key: 'limit', value: String(options.batch) },
    { key: 'iterator', value: 'True' },
  ];
  let last: bigint | string | undefined = options.after;
  while (true) {
    options.signal?.throwIfAborted();
    // No lower bound on the first window: Milvus 2.3.5 refuses the literal -2^63.
    const expr = last === undefined ? '' : `${pk} > ${pkLiteral(plan, last)}`;
    const res = await run(() => query({ expr, output_fields, query_params }));
    const rows = decodeRows(plan, res.fields_data as never).sort((a, b) => comparePk(a.id, b.id));
    if (rows.length === 0) return;
    yield rows;
    last = rows[rows.length - 1]!.id;
  }
}
