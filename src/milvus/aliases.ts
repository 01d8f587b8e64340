/**
 * Milvus aliases for the Sink (Sink.listAliases / Sink.pointAlias in core/contracts.ts).
 *
 * What each target does, probed with the SDK 3.0.6 against the servers of the test matrix:
 * - Milvus 2.3.5 standalone: Create/Describe/List/Alter/DropAlias all work. CreateAlias of an
 *   alias that already points at the same collection answers Success; on another collection it
 *   answers code 1602; an alias with a collection's name 1601; a missing alias 1600; an invalid
 *   name 1100. ListAliases without a collection lists the whole database (the SDK's listAliases()
 *   insists on a collection name, so the raw RPC is used).
 * - Milvus Lite 3.2.2: the same RPCs work; a missing alias answers code 100 (CollectionNotExists);
 *   CreateAlias of an existing alias fails even on the same collection (code 1), and alias names
 *   are not checked (plan() checks them for every target).
 * - Milvus Lite 2.5.1: none of the alias RPCs exist. The server answers UNIMPLEMENTED, which the
 *   SDK's interceptor turns into an OK answer of `{}` (no status): read as "no aliases here".
 * - Milvus 2.3.5 drops a collection's aliases with it as far as Describe/ListAliases tell, but a
 *   CreateAlias of the same name then answers 1602 (bound to the dropped collection); AlterAlias
 *   rebinds it. Lite 3.2.2 really drops them.
 * Because of Lite 2.5, pointAlias() reads the alias first and acts only on what it found.
 */
import { promisify } from '@zilliz/milvus2-sdk-node';
import type { AliasOutcome } from '../core/contracts.ts';
import { configError } from '../core/errors.ts';
import type { MilvusConnection } from './client.ts';
import { call, checkStatus, fromThrown, type MilvusStatus } from './errors.ts';

/** merr ErrAliasAlreadyExist: CreateAlias of an alias bound to another collection (Milvus 2.3+). */
const ALIAS_TAKEN = 1602;
/** merr ErrAliasNotFound (Milvus ≥ 2.3); Milvus Lite 3 answers collectionNotFound (100) instead. */
const ALIAS_NOT_FOUND = new Set([1600, 100]);

interface AliasAnswer {
  status?: MilvusStatus;
  aliases?: string[];
  collection?: string;
}

/** Every alias of the database → its collection; null when the target has no alias RPCs. */
export async function listTargetAliases(conn: MilvusConnection): Promise<Map<string, string> | null> {
  const ctx = conn.ctx('ListAliases');
  const res = await call(ctx, () => promisify(conn.client.channelPool, 'ListAliases', { db_name: conn.database }, conn.client.timeout) as Promise<AliasAnswer>);
  if (!res.status) return null;
  const out = new Map<string, string>();
  for (const alias of res.aliases ?? []) {
    const target = await describeAlias(conn, alias);
    if (target !== undefined) out.set(alias, target);
  }
  return out;
}

/** The collection `alias` points at; undefined when there is no such alias. */
async function describeAlias(conn: MilvusConnection, alias: string): Promise<string | undefined> {
  const ctx = conn.ctx('DescribeAlias', alias);
  let answer: AliasAnswer;
  try {
    answer = (await promisify(conn.client.channelPool, 'DescribeAlias', { db_name: conn.database, alias }, conn.client.timeout)) as AliasAnswer;
  } catch (e) {
    throw fromThrown(e, ctx);
  }
  if (ALIAS_NOT_FOUND.has(answer.status?.code ?? 0)) return undefined;
  checkStatus(answer.status, ctx);
  return answer.collection || undefined;
}

/** Sink.pointAlias: idempotent; see the contract for the outcomes. */
export async function pointAlias(
  conn: MilvusConnection,
  alias: string,
  collection: string,
  mode: { move: boolean; mustExist: boolean },
): Promise<AliasOutcome> {
  const now = await describeAlias(conn, alias);
  if (now === collection) return { action: 'unchanged' };
  const where = conn.describe(collection);
  if (now === undefined) {
    if (mode.mustExist) throw configError('ALIAS_NOT_FOUND', `Alias "${alias}" does not exist on ${conn.describe()}, so it cannot be switched to "${collection}".`,
      `Create it first (pymilvus client.create_alias) or leave out --switch-alias ${alias}; to create a new alias, list it under "aliases" in the plan file.`);
    const created = await send(conn, 'CreateAlias', alias, collection);
    if (created.code === ALIAS_TAKEN && (await describeAlias(conn, alias)) === undefined) {
      // Milvus 2.3.5 keeps the alias of a dropped collection (an `--if-exists drop` re-run): hidden
      // from DescribeAlias and ListAliases, yet CreateAlias answers "alias exists". Nobody can query
      // through it (its collection is gone), and AlterAlias rebinds it (probed).
      checkStatus(await send(conn, 'AlterAlias', alias, collection), conn.ctx('AlterAlias', collection));
      return { action: 'created' };
    }
    // Any other failure, including a real alias created elsewhere meanwhile, is reported as it is.
    checkStatus(created, conn.ctx('CreateAlias', collection));
    return { action: 'created' };
  }
  if (!mode.move) throw configError('ALIAS_EXISTS', `Alias "${alias}" points at "${now}", not at ${where}; it was left there.`,
    `Repoint it with --alias-conflict move (or "onConflict": "move" in the plan file), or rename the alias; then resume the job.`);
  checkStatus(await send(conn, 'AlterAlias', alias, collection), conn.ctx('AlterAlias', collection));
  return { action: 'moved', from: now };
}

/** The RPC's status, unchecked (the caller reads some codes); gRPC failures are thrown as MigrationErrors. */
async function send(conn: MilvusConnection, method: 'CreateAlias' | 'AlterAlias', alias: string, collection: string): Promise<MilvusStatus> {
  const ctx = conn.ctx(method, collection);
  let res: MilvusStatus;
  try {
    res = (await promisify(conn.client.channelPool, method, { db_name: conn.database, alias, collection_name: collection }, conn.client.timeout)) as MilvusStatus;
  } catch (e) {
    throw fromThrown(e, ctx);
  }
  // An `{}` answer is Lite 2.5's UNIMPLEMENTED: plan() should have stopped this, but never report it as done.
  if (res.error_code === undefined && res.code === undefined) {
    throw configError('ALIASES_UNSUPPORTED', `${method} is not available on ${conn.describe()} (the RPC is missing): alias "${alias}" was not created.`, 'Run without aliases (--no-aliases) on this target.');
  }
  return res;
}
