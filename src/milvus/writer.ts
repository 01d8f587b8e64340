/**
 * Batched, idempotent writes: Rows → byte-sized Upsert requests.
 *
 * Upsert by default: real Milvus keeps duplicates of a primary key on Insert, and a resumed job
 * replays the rows after its last checkpoint. (Milvus Lite overwrites on Insert too.) A caller that
 * knows no row of a request can be in the collection yet may send it as an Insert once
 * (WriteOptions.method; MilvusSink does for a collection it has just created): on real Milvus an
 * Upsert is a delete of every key plus the insert, which the target pays for (docs/performance.md).
 *
 * Requests are cut by estimated encoded size, not row count: rows range from a 4-dim vector to a
 * 32k-dim vector with a 64 KB payload. Milvus refuses gRPC messages above its receive limit (64 MB
 * on many deployments, `proxy.grpc.serverMaxRecvSize`); the default target of 16 MB stays well under
 * it. If the server still says "too large", the batch is halved and both halves are sent; a single
 * row too large for the server is a config error, never a silent drop.
 */
import type { CollectionPlan, Row } from '../core/types.ts';
import { MigrationError, configError, systemError } from '../core/errors.ts';
import { FreeList } from '../core/free-list.ts';
import { throwIfAborted } from '../core/pipeline.ts';
import type { MilvusConnection } from './client.ts';
import { Grpc, Merr, fromStatus, fromThrown, grpcCode, statusFailed, type MilvusStatus } from './errors.ts';
import { encodeWriteRequest } from './encode.ts';
import { rawUnary } from './raw-call.ts';
import { encodeRow, type EncodedRow } from './rows.ts';

/** Default request size target in bytes (16 MiB). */
export const DEFAULT_BATCH_BYTES = 16 * 1024 * 1024;

export interface WriteOptions {
  batchBytes: number;
  signal?: AbortSignal;
  /** Called after each acknowledged request (tests use it to see the splits and the RPC; the bench,
   *  how long the target held each request: `ms` from sending it to its answer). */
  onRequest?: (rows: number, bytes: number, method: WriteMethod, ms: number) => void;
  /** Counts the sends whose bytes a transport may still read (see Flights). */
  flights?: Flights;
  /**
   * The RPC: 'Upsert' (default) or 'Insert', whose requests are the same bytes (InsertRequest and
   * UpsertRequest share their fields). Insert only where no row of the request can already be in
   * the collection: a repeated Insert duplicates rows on real Milvus.
   */
  method?: WriteMethod;
}

export type WriteMethod = 'Upsert' | 'Insert';

/**
 * Sends whose request bytes a transport may still read. A send can be over for its caller before
 * the socket has written them: a stream cancelled (deadline, abort) or answered early (too large)
 * with its DATA still queued behind a slow socket (h2-socket.ts sends from the request buffer, no
 * copy). A request buffer (RequestBuffers) is reused only once none is left: else the queued DATA
 * would go out holding another page's request, and the server could take it whole before our
 * RST_STREAM.
 */
export class Flights {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** One send starts; call what this returns (once or more) when its transport is done with the bytes. */
  start(): () => void {
    this.count++;
    let over = false;
    return () => {
      if (over) return;
      over = true;
      if (--this.count === 0) for (const f of this.waiters.splice(0)) f();
    };
  }

  /** Runs `f` once no send is left (at once if none is). */
  whenIdle(f: () => void): void {
    if (this.count === 0) f();
    else this.waiters.push(f);
  }
}

export async function upsertRows(conn: MilvusConnection, plan: CollectionPlan, rows: Row[], opts: WriteOptions): Promise<void> {
  await sendPrepared(conn, plan, prepareUpserts(conn.database, plan, rows, opts.batchBytes), opts);
}

/** One request, encoded: what upsertRows sends, and what it re-cuts if the server says too large. */
export interface PreparedBatch {
  rows: EncodedRow[];
  request: Buffer;
  /** The reused buffer `request` lives in (RequestBuffers), until releaseBatches gives it back. */
  block?: Buffer;
}

/**
 * Buffers for Upsert requests, reused from write to write. A request is ~1 MB per page of 768-d
 * rows; made fresh for each, that memory lives outside V8's heap, and every 64 MB of it makes V8
 * run a full mark-compact of the whole heap (the SDK's protobuf tables included): in a migrate
 * at Milvus Lite's pace, one every second or two, most of our CPU beyond the pipeline's (the
 * V8 worker threads' marking, --trace-gc). A buffer comes back only once the write that used it is
 * settled (acknowledged or failed for good, retries included: MilvusSink.write).
 */
export class RequestBuffers extends FreeList<Buffer> {
  constructor() {
    // Bounded by bytes more than by count: a page split into requests of 512 KiB (a target that
    // takes smaller ones faster: probe-write-size.ts) needs four buffers where a whole page needs one.
    super({ size: (b) => b.length, make: (bytes) => Buffer.allocUnsafeSlow(bytes), step: 2 ** 16, keep: 64, maxBytes: 32 * 2 ** 20, maxFreeBytes: 24 * 2 ** 20 });
  }
}

/**
 * The CPU half of a write: rows → payload JSON → byte-sized requests → protobuf. Separate from
 * sending so the sink can do it while another write is in flight (and off the collection's turn).
 * With `buffers`, requests are laid out in reused buffers: hand them back with releaseBatches once
 * nothing will send them again.
 */
export function prepareUpserts(database: string, plan: CollectionPlan, rows: Row[], batchBytes: number, buffers?: RequestBuffers): PreparedBatch[] {
  const encoded = rows.map((r) => encodeRow(plan, r));
  return splitByBytes(encoded, batchBytes).map((batch) => {
    if (!buffers) return { rows: batch, request: encodeWriteRequest(database, plan, batch) };
    let block: Buffer | undefined;
    const request = encodeWriteRequest(database, plan, batch, (size) => (block = buffers.take(size)));
    return { rows: batch, request, block };
  });
}

/**
 * A prepared batch without its rows (MilvusSink.prepareWrite): the request, its row count and
 * estimated bytes. Holding only bytes while a write waits its turn is the point: a page's rows and
 * points are thousands of small objects that, kept for the seconds a slow target takes, survive
 * V8's young-generation collections and are copied and promoted (docs/performance.md). What it
 * cannot do is halve itself: a refusal for size is TARGET_REQUEST_TOO_LARGE (writeBatch).
 */
export interface DetachedBatch {
  request: Buffer;
  block?: Buffer;
  count: number;
  bytes: number;
}

/** The same requests without their rows (see DetachedBatch). */
export function detachRows(batches: PreparedBatch[]): DetachedBatch[] {
  return batches.map(({ rows, request, block }) => ({ request, block, count: rows.length, bytes: rows.reduce((n, r) => n + r.bytes, 0) }));
}

/** The batches' buffers back to `buffers`; the batches must never be sent again. Idempotent. */
export function releaseBatches(batches: Array<{ block?: Buffer }>, buffers: RequestBuffers): void {
  for (const batch of batches) {
    if (batch.block) buffers.give(batch.block);
    batch.block = undefined;
  }
}

/** The network half: sends each request in order; resolves once the target acked every row. */
export async function sendPrepared(conn: MilvusConnection, plan: CollectionPlan, batches: Array<PreparedBatch | DetachedBatch>, opts: Omit<WriteOptions, 'batchBytes'>): Promise<void> {
  for (const batch of batches) await writeBatch(conn, plan, batch, opts);
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

async function writeBatch(conn: MilvusConnection, plan: CollectionPlan, batch: PreparedBatch | DetachedBatch, opts: Omit<WriteOptions, 'batchBytes'>): Promise<void> {
  if (opts.signal) throwIfAborted(opts.signal);
  const rows = 'rows' in batch ? batch.rows : undefined;
  const count = rows ? rows.length : (batch as DetachedBatch).count;
  const method = opts.method ?? 'Upsert';
  const sentAt = performance.now();
  const outcome = await sendWrite(conn, plan, method, batch.request, count, opts.flights);
  if (outcome === 'ok') {
    opts.onRequest?.(count, rows ? rows.reduce((n, r) => n + r.bytes, 0) : (batch as DetachedBatch).bytes, method, performance.now() - sentAt);
    return;
  }
  if (!rows) {
    // Not retried (a system error): the caller holds the rows and writes them through write().
    throw systemError(
      'TARGET_REQUEST_TOO_LARGE',
      `${conn.describe(plan.target)} refused an ${method} of ${count} rows as too large; prepared requests cannot be halved, so these rows must be written again through Sink.write().`,
      outcome,
    );
  }
  if (rows.length === 1) {
    const id = String(rows[0]!.row.id);
    throw configError(
      'ROW_TOO_LARGE',
      `Row ${id} (~${rows[0]!.bytes} bytes) is larger than ${conn.describe(plan.target)} accepts in one request.`,
      'Raise the server limit (proxy.grpc.serverMaxRecvSize) or drop the largest payload keys in the plan.',
      outcome,
    );
  }
  const half = Math.ceil(rows.length / 2);
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    await writeBatch(conn, plan, { rows: part, request: encodeWriteRequest(conn.database, plan, part) }, opts);
  }
}

/** 'ok', or the error when the server refused the request for its size (caller halves); throws otherwise. */
async function sendWrite(conn: MilvusConnection, plan: CollectionPlan, method: WriteMethod, request: Buffer, count: number, flights?: Flights): Promise<'ok' | MigrationError> {
  const ctx = conn.ctx(`${method} of ${count} rows`, plan.target);
  let res: { status: MilvusStatus; upsert_cnt?: string | number; insert_cnt?: string | number };
  try {
    // The SDK's own upsert() goes through its lossy row conversion (see rows.ts) and a slow
    // encoder (see encode.ts); this is the same pooled gRPC call with our own request bytes.
    res = await rawUnary(conn, method, request, flights?.start());
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
  const acknowledged = method === 'Insert' ? res.insert_cnt : res.upsert_cnt;
  if (Number(acknowledged ?? count) !== count) {
    throw systemError('SINK_PARTIAL_WRITE', `${ctx.op} into ${ctx.target}: the server acknowledged ${acknowledged} of ${count} rows.`);
  }
  return 'ok';
}
