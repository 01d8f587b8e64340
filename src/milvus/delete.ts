/**
 * Sink.delete: rows by primary key, in `pk in [...]` requests of bounded size.
 *
 * Why expressions and not the SDK's `ids` form: the SDK turns ids into JS numbers for Int64
 * collections (ids above 2^53 would be rounded into another row's id); our literals are exact.
 *
 * Two Int64 ids need another expression on Milvus 2.3.5 (docs/mapping.md):
 * - -2^63: its expression parser refuses the literal `-9223372036854775808` (it parses the
 *   magnitude, which overflows, before the sign), so that id is deleted as `pk < -9223372036854775807`,
 *   which matches it alone.
 * - 2^63-1: a delete with a plain `pk in [...]` term is resolved from the literals by the proxy (no
 *   query), so it is sent like any other id; a filtered query never returns that row on 2.3.5, so a
 *   sync cannot find it as an extra row there in the first place (docs/mapping.md).
 */
import { promisify } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan } from '../core/types.ts';
import { systemError } from '../core/errors.ts';
import type { MilvusConnection } from './client.ts';
import { call, type MilvusStatus } from './errors.ts';

/** Ids per Delete request: a ~20 KB expression for Int64 keys, ~40 KB for UUIDs. */
export const DELETE_CHUNK = 1000;

const INT64_MIN = -(2n ** 63n);

/** The delete expressions for these ids, at most `chunk` ids each. */
export function deleteExpressions(plan: CollectionPlan, ids: ReadonlyArray<bigint | string>, chunk = DELETE_CHUNK): string[] {
  const pk = plan.primaryKey.field;
  const exprs: string[] = [];
  let literals: string[] = [];
  const flush = () => {
    if (literals.length > 0) exprs.push(`${pk} in [${literals.join(', ')}]`);
    literals = [];
  };
  for (const id of ids) {
    if (plan.primaryKey.type === 'Int64') {
      const n = toInt64(plan, id);
      if (n === INT64_MIN) exprs.push(`${pk} < ${INT64_MIN + 1n}`);
      else literals.push(n.toString());
    } else {
      literals.push(JSON.stringify(String(id)));
    }
    if (literals.length >= chunk) flush();
  }
  flush();
  return exprs;
}

function toInt64(plan: CollectionPlan, id: bigint | string): bigint {
  const text = id.toString();
  if (!/^-?\d+$/.test(text)) throw systemError('SINK_ID_TYPE', `Int64 collection ${plan.target} got a non-integer id ${text} to delete.`);
  return BigInt(text);
}

/**
 * Sends the deletes in order; resolves once the target acknowledged each. `run` wraps each request
 * (the sink passes its retry policy: a delete by key is idempotent, so a repeat is harmless).
 */
export async function deleteRows(
  conn: MilvusConnection,
  plan: CollectionPlan,
  ids: ReadonlyArray<bigint | string>,
  run: <T>(fn: () => Promise<T>) => Promise<T>,
  signal?: AbortSignal,
): Promise<void> {
  type DeleteResult = { status: MilvusStatus; delete_cnt?: string | number };
  for (const expr of deleteExpressions(plan, ids)) {
    signal?.throwIfAborted();
    await run(() =>
      call(conn.ctx('Delete', plan.target), () =>
        promisify(conn.client.channelPool, 'Delete', { collection_name: plan.target, db_name: conn.database, partition_name: '', expr }, conn.client.timeout) as Promise<DeleteResult>,
      ),
    );
  }
}
