/**
 * Batched, idempotent writes: Rows → byte-sized Upsert requests.
 *
 * Upsert, not Insert: real Milvus keeps duplicates of a primary key on Insert, and a resumed job
 * replays the rows after its last checkpoint. (Milvus Lite overwrites on Insert too.)
 *
 * Requests are cut by estimated encoded size, not row count: rows range from a 4-dim vector to a
 * 32k-dim vector with a 64 KB payload. Milvus refuses gRPC messages above its receive limit (64 MB
 * on many deployments, `proxy.grpc.serverMaxRecvSize`); the default target of 16 MB stays well under
 * it. If the server still says "too large", the batch is halved and both halves are sent; a single
 * row too large for the server is a config error, never a silent drop.
 */
import { promisify } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan, Row } from '../core/types.ts';
import { MigrationError, configError, systemError } from '../core/errors.ts';
import { throwIfAborted } from '../core/pipeline.ts';
import type { MilvusConnection } from './client.ts';
import { Grpc, Merr, fromStatus, fromThrown, grpcCode, statusFailed, type MilvusStatus } from './errors.ts';
import { buildColumns, encodeRow, type EncodedRow } from './rows.ts';

/** Default request size target in bytes (16 MiB). */
export const DEFAULT_BATCH_BYTES = 16 * 1024 * 1024;

export interface WriteOptions {
  batchBytes: number;
  signal?: AbortSignal;
  /** Called after each acknowledged request (tests use it to see the splits). */
  onRequest?: (rows: number, bytes: number) => void;
}

export async function upsertRows(conn: MilvusConnection, plan: CollectionPlan, rows: Row[], opts: WriteOptions): Promise<void> {
  const encoded = rows.map((r) => encodeRow(plan, r));
  for (const batch of splitByBytes(encoded, opts.batchBytes)) {
    await upsertBatch(conn, plan, batch, opts);
  }
}

/** Greedy split: each batch stays under `limit` bytes unless one row alone exceeds it. */
export function splitByBytes(rows: EncodedRow[], limit: number): EncodedRow[][] {
  const batches: EncodedRow[][] = [];
  let current: EncodedRow[] = [];
  let size = 0;
  for (const r of rows) {
    if (current.length > 0 && size + r.bytes > limit) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += r.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function upsertBatch(conn: MilvusConnection, plan: CollectionPlan, batch: EncodedRow[], opts: WriteOptions): Promise<void> {
  if (opts.signal) throwIfAborted(opts.signal);
  const outcome = await sendUpsert(conn, plan, batch);
  if (outcome === 'ok') {
    opts.onRequest?.(batch.length, batch.reduce((n, r) => n + r.bytes, 0));
    return;
  }
  if (batch.length === 1) {
    const id = String(batch[0]!.row.id);
    throw configError(
      'ROW_TOO_LARGE',
      `Row ${id} (~${batch[0]!.bytes} bytes) is larger than ${conn.describe(plan.target)} accepts in one request.`,
      'Raise the server limit (proxy.grpc.serverMaxRecvSize) or drop the largest payload keys in the plan.',
      outcome,
    );
  }
  const half = Math.ceil(batch.length / 2);
  await upsertBatch(conn, plan, batch.slice(0, half), opts);
  await upsertBatch(conn, plan, batch.slice(half), opts);
}

/** 'ok', or the error when the server refused the request for its size (caller halves); throws otherwise. */
async function sendUpsert(conn: MilvusConnection, plan: CollectionPlan, batch: EncodedRow[]): Promise<'ok' | MigrationError> {
  const ctx = conn.ctx(`Upsert of ${batch.length} rows`, plan.target);
  const request = {
    collection_name: plan.target,
    db_name: conn.database,
    num_rows: batch.length,
    fields_data: buildColumns(plan, batch),
  };
  let res: { status: MilvusStatus; upsert_cnt?: string | number };
  try {
    // The SDK's own upsert() goes through its lossy row conversion (see rows.ts); this is the same
    // pooled gRPC call it makes underneath, with our column data.
    res = await promisify(conn.client.channelPool, 'Upsert', request, conn.client.timeout);
  } catch (e) {
    const err = fromThrown(e, ctx);
    // RESOURCE_EXHAUSTED is what gRPC says for a message above the receive limit (and for some
    // throttling, which a smaller request does not hurt either).
    if (grpcCode(e) === Grpc.RESOURCE_EXHAUSTED) return err;
    throw err;
  }
  if (statusFailed(res.status)) {
    const err = fromStatus(res.status, ctx);
    const code = res.status.code ?? 0;
    if (code === Merr.parameterTooLarge || code === Merr.requestLimitExceeded) return err;
    throw err;
  }
  if (Number(res.upsert_cnt ?? batch.length) !== batch.length) {
    throw systemError('SINK_PARTIAL_WRITE', `${ctx.op} into ${ctx.target}: the server acknowledged ${res.upsert_cnt} of ${batch.length} rows.`);
  }
  return 'ok';
}
