/**
 * Turns what the Milvus SDK reports into MigrationErrors, by code, never by message text.
 *
 * Milvus reports failures two ways:
 *  - a gRPC status (thrown by the SDK): transport problems, auth interceptors, message size limits;
 *  - a `status` object inside an OK response: `code` is a merr code (pkg/util/merr/errors.go, Milvus
 *    >= 2.3), `error_code` the legacy enum name, `retriable` the server's own verdict.
 * Milvus Lite 3.2.2 sets `error_code: 'Success'` with a non-zero `code` for some failures (e.g. an
 * unknown database), so a status is a failure when either field says so.
 */
import { MigrationError, configError, redact, systemError, transientError } from '../core/errors.ts';

/** gRPC status codes (google.golang.org/grpc/codes), the subset we act on. */
export const Grpc = {
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** merr codes (Milvus pkg/util/merr/errors.go). */
export const Merr = {
  serviceNotReady: 1,
  serviceUnavailable: 2,
  requestLimitExceeded: 4,
  rateLimit: 8,
  quotaExceeded: 9,
  collectionNotFound: 100,
  databaseNotFound: 800,
  parameterInvalid: 1100,
  parameterTooLarge: 1102,
  notAuthenticated: 1400,
  notPermitted: 1401,
  needAuthenticate: 1800,
  httpRateLimit: 1807,
  /** merr's catch-all: a plain Go error with no merr code (Milvus 2.3 sends many of these). */
  unexpected: 65535,
} as const;

const transientMerr = new Set<number>([1, 2, 4, 8, 12, 103, 106, 202, Merr.httpRateLimit]);
/** The transient ones that mean "slow down" rather than "not ready". */
const rateLimitMerr = new Set<number>([Merr.requestLimitExceeded, Merr.rateLimit, Merr.httpRateLimit]);
const authMerr = new Set<number>([Merr.notAuthenticated, Merr.notPermitted, Merr.needAuthenticate]);
/** Legacy `error_code` names of servers that predate merr codes. */
const transientLegacy = new Set(['RateLimit', 'NotReadyServe', 'NoReplicaAvailable']);

export interface MilvusStatus {
  error_code?: string | number;
  code?: number;
  reason?: string;
  retriable?: boolean;
}

export function statusFailed(s: MilvusStatus | undefined): boolean {
  if (!s) return false;
  const legacyOk = s.error_code === undefined || s.error_code === 'Success' || s.error_code === 0;
  return !legacyOk || (s.code ?? 0) !== 0;
}

/** Context for messages: what we were doing, to what, and which secrets must not leak. */
export interface ErrorContext {
  op: string;
  target: string;
  secrets: ReadonlyArray<string | undefined>;
  /** The target is Milvus Lite, whose status codes are not merr codes. */
  lite?: boolean;
}

/** Throws a MigrationError when `s` reports a failure. */
export function checkStatus(s: MilvusStatus | undefined, ctx: ErrorContext): void {
  if (statusFailed(s)) throw fromStatus(s!, ctx);
}

export function fromStatus(s: MilvusStatus, ctx: ErrorContext): MigrationError {
  const code = s.code ?? 0;
  const reason = redact(s.reason || String(s.error_code), ctx.secrets);
  const what = `${ctx.op} failed on ${ctx.target} (Milvus code ${code}, ${s.error_code}): ${reason}`;
  // Milvus Lite's codes are its own, not merr codes (1 = bad metric or unknown database, 6 = bad
  // parameter or value, 35 = index exists), often with error_code 'Success'; all are the request's
  // fault. A status saying 'Success' with a non-zero code is read the same way from any server.
  const liteStyle = ctx.lite || s.error_code === 'Success' || s.error_code === undefined;
  if (liteStyle && code !== Merr.databaseNotFound && code !== Merr.collectionNotFound && !s.retriable) {
    return configError('TARGET_REJECTED', what, 'Edit the plan (field types, dims, index, metric) or the data to what this target accepts.', s);
  }
  // Not TARGET_BUSY: that code means "another job writes this collection" (a conflict, HTTP 409).
  if (rateLimitMerr.has(code) || s.error_code === 'RateLimit') return transientError('TARGET_RATE_LIMITED', what, s);
  if (s.retriable || transientMerr.has(code) || transientLegacy.has(String(s.error_code))) {
    return transientError('TARGET_UNAVAILABLE', what, s);
  }
  if (authMerr.has(code) || s.error_code === 'PermissionDenied') {
    return configError('TARGET_AUTH', what, 'Check the target token (`user:password` or an API key) and its privileges.', s);
  }
  if (code === Merr.databaseNotFound) return databaseMissing(ctx.target, s);
  if (code === Merr.quotaExceeded || s.error_code === 'ForceDeny') {
    return configError('TARGET_QUOTA', what, 'The target refuses writes (quota or disk full): free space or raise the quota.', s);
  }
  if (code === Merr.collectionNotFound || s.error_code === 'CollectionNotExists') {
    return configError('TARGET_COLLECTION_NOT_FOUND', what, 'Run the migration again so it creates the collection.', s);
  }
  if (code === Merr.parameterInvalid || code === Merr.parameterTooLarge || s.error_code === 'IllegalArgument') {
    return configError('TARGET_REJECTED', what, 'Edit the plan (field types, dims, index params) to what this target accepts.', s);
  }
  if (code === Merr.unexpected) return fromUnexpected(what, s, ctx.op);
  return systemError('TARGET_ERROR', what, s);
}

/**
 * The catch-all code says nothing of whose fault it was, so the operation decides. A schema change
 * (CreateCollection, CreateIndex NO_SUCH_INDEX on Milvus 2.3.5) fails on what the plan asked for: a
 * config error. Everything else we send is idempotent (upsert by primary key, flush, load, query,
 * delete), and Milvus 2.3.5 answers those with 65535 while it recovers from a restart ("node not
 * match … node not found" on Flush): retrying within the budget rides that out, and a request that
 * keeps failing still fails when the budget ends, with nothing lost.
 */
function fromUnexpected(what: string, s: MilvusStatus, op: string): MigrationError {
  if (/(^|\s)(Create|Alter|Drop)/.test(op)) {
    return configError('TARGET_REJECTED', what, 'Edit the plan (field types, dims, index type and params) to what this target accepts.', s);
  }
  return transientError('TARGET_UNAVAILABLE', what, s);
}

export function databaseMissing(target: string, cause?: unknown): MigrationError {
  return configError(
    'TARGET_DATABASE_NOT_FOUND',
    `Database of ${target} does not exist on the target.`,
    'Create it first (Milvus: `CREATE DATABASE` via pymilvus `client.create_database(name)` or Attu; Zilliz Cloud: the console), or pick an existing one (`default`).',
    cause,
  );
}

interface GrpcLike {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

export function isStatus(e: unknown): e is MilvusStatus {
  return typeof e === 'object' && e !== null && !(e instanceof Error) && 'error_code' in e;
}

/** The gRPC status code of a thrown SDK error, if it has one. */
export function grpcCode(e: unknown): number | undefined {
  if (isStatus(e)) return undefined;
  const c = (e as GrpcLike | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** Wraps anything the SDK threw (gRPC errors, SDK validation errors, MigrationErrors pass through). */
export function fromThrown(e: unknown, ctx: ErrorContext): MigrationError {
  if (e instanceof MigrationError) return e;
  // Some SDK methods (createCollection) throw the failed status object itself: its `code` is a
  // Milvus code, not a gRPC one.
  if (isStatus(e)) return fromStatus(e, ctx);
  const code = grpcCode(e);
  const raw = e instanceof Error ? e.message : String(e);
  const what = `${ctx.op} failed on ${ctx.target}: ${redact(raw, ctx.secrets)}`;
  switch (code) {
    case Grpc.UNAVAILABLE:
      return transientError('TARGET_UNAVAILABLE', what, e);
    case Grpc.DEADLINE_EXCEEDED:
      return transientError('TARGET_TIMEOUT', what, e);
    case Grpc.RESOURCE_EXHAUSTED:
      return transientError('TARGET_RESOURCE_EXHAUSTED', what, e);
    case Grpc.UNAUTHENTICATED:
    case Grpc.PERMISSION_DENIED:
      return configError('TARGET_AUTH', what, 'Check the target token (`user:password` or an API key) and its privileges.', e);
    case Grpc.UNIMPLEMENTED:
      return configError('TARGET_UNSUPPORTED', what, 'This target does not support the operation; upgrade it or use Milvus.', e);
    case Grpc.CANCELLED:
      return transientError('TARGET_CANCELLED', what, e);
    default:
      return systemError('TARGET_ERROR', what, e);
  }
}

/** Runs one SDK call; every failure (thrown or in the returned status) becomes a MigrationError. */
export async function call<T extends { status?: MilvusStatus } | MilvusStatus>(
  ctx: ErrorContext,
  fn: () => Promise<T>,
): Promise<T> {
  let res: T;
  try {
    res = await fn();
  } catch (e) {
    throw fromThrown(e, ctx);
  }
  const s = (res as { status?: MilvusStatus }).status ?? (res as MilvusStatus);
  checkStatus(s, ctx);
  return res;
}
