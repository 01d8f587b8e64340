/**
 * A unary Milvus RPC whose request is already protobuf bytes (encode.ts), sent through the SDK's
 * own pooled gRPC clients: the same channels and interceptors (token, database header, keepalive)
 * as every other call, and the answer decoded by the SDK's deserializer, so errors and responses
 * look exactly like those of `promisify(channelPool, method, …)`.
 */
import { ProtoReader } from '../core/protobuf.ts';
import type { MilvusConnection } from './client.ts';
import type { MilvusStatus } from './errors.ts';

type Callback = (error: Error | null, response?: unknown) => void;

/**
 * The request as the interceptors see it. The SDK's retry interceptor JSON.stringify()s every
 * request for a debug line, whatever the log level; on a Buffer that builds an array of every byte
 * (measured: ~0.25 ms of CPU per 768-d row, most of a write's cost), so the bytes travel wrapped
 * in an object whose JSON form is a short note.
 */
interface Encoded {
  bytes: Buffer;
  toJSON(): string;
}

/** The parts of a grpc-js service client (as the SDK's pool hands them out) used here. */
interface PooledClient {
  makeUnaryRequest(
    path: string,
    serialize: (value: Encoded) => Buffer,
    deserialize: (bytes: Buffer) => unknown,
    argument: Encoded,
    options: { deadline: Date },
    callback: Callback,
  ): unknown;
  [method: string]: unknown;
}

interface MethodAttrs {
  path: string;
  responseDeserialize: (bytes: Buffer) => unknown;
}

interface Pool {
  acquire(): Promise<PooledClient>;
  release(client: PooledClient): Promise<void> | void;
}

/** What callers read of a MutationResult: the status and the counts (int64s as decimal strings). */
export interface MutationAnswer {
  status: MilvusStatus;
  insert_cnt: string;
  delete_cnt: string;
  upsert_cnt: string;
  toJSON(): string;
}

/**
 * milvus.proto MutationResult: status = 1, insert_cnt = 6, delete_cnt = 7, upsert_cnt = 8; the rest
 * (IDs = 2: every key written, timestamps) is skipped. The SDK's deserializer turned each answer's
 * keys into Long objects and decimal strings, and its retry interceptor JSON.stringify()d them for
 * a debug line, per request. A status that is not the empty (success) one goes to `sdk`, the SDK's
 * own deserializer, so every failure is mapped from exactly the object it always was (errors.ts);
 * the success status is the SDK's own decoding of an empty Status, taken once.
 */
export function decodeMutationResult(bytes: Buffer, sdk: (bytes: Buffer) => unknown): MutationAnswer | unknown {
  const r = new ProtoReader(bytes);
  const counts = { insert_cnt: '0', delete_cnt: '0', upsert_cnt: '0' };
  let status = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) {
      const [start, end] = r.span();
      if (end > start) return sdk(bytes);
      status = true;
    } else if (field >= 6 && field <= 8 && wire === 0) {
      const value = BigInt.asIntN(64, r.varint64()).toString();
      if (field === 6) counts.insert_cnt = value;
      else if (field === 7) counts.delete_cnt = value;
      else counts.upsert_cnt = value;
    } else r.skip(wire);
  }
  // No status at all: whatever the SDK makes of that (null), as before.
  if (!status) return sdk(bytes);
  successStatus ??= (sdk(EMPTY_STATUS) as { status: MilvusStatus }).status;
  const answer = { status: { ...successStatus }, ...counts };
  // The SDK's retry interceptor stringifies every answer for its debug line: a short note instead.
  return { ...answer, toJSON: () => `<MutationResult, ${bytes.length} bytes, ${JSON.stringify(answer)}>` };
}

let successStatus: MilvusStatus | undefined;
/** A MutationResult holding an empty status (field 1, length 0). */
const EMPTY_STATUS = Buffer.from([0x0a, 0x00]);

/** The SDK's path and answer deserializer of each method, per connection (read once from its pool). */
const methodAttrs = new WeakMap<MilvusConnection, Map<string, Promise<MethodAttrs>>>();

function attrsOf(conn: MilvusConnection, method: string): Promise<MethodAttrs> {
  let byMethod = methodAttrs.get(conn);
  if (!byMethod) methodAttrs.set(conn, (byMethod = new Map()));
  let attrs = byMethod.get(method);
  if (!attrs) {
    const pool = conn.client.channelPool as unknown as Pool;
    attrs = pool.acquire().then(async (client) => {
      const { path, responseDeserialize } = client[method] as MethodAttrs;
      await pool.release(client);
      return { path, responseDeserialize };
    });
    byMethod.set(method, attrs);
    // A failed read is not an answer: the next call reads again.
    attrs.catch(() => byMethod.delete(method));
  }
  return attrs;
}

/**
 * Upsert / Insert. On a plaintext target without a proxy (MilvusConnection.rawWrites) the request
 * goes over our own HTTP/2 client (the one that reads Qdrant, src/transcode/grpc-raw.ts) with the
 * headers the SDK's interceptors add (authorization, dbname) and its deadline: grpc-js copied each
 * ~1 MB request into a framed buffer of its own (fresh memory outside V8's heap per page, which
 * forced young-generation GCs) and ran it through its call stack and the SDK's interceptors, about
 * a sixth of the main thread's time in a migrate into Milvus Lite (docs/performance.md). Failures
 * carry gRPC status codes as grpc-js's do, so errors.ts maps both the same way; the answer is
 * decoded as on the SDK's channel. Elsewhere (TLS, proxies, a message cap) the SDK's channel.
 */
export async function rawUnary<T>(conn: MilvusConnection, method: 'Upsert' | 'Insert', request: Buffer, onSent?: () => void): Promise<T> {
  const raw = conn.rawWrites();
  if (raw) {
    let attrs: MethodAttrs;
    try {
      attrs = await attrsOf(conn, method);
    } catch (e) {
      onSent?.();
      throw e;
    }
    const bytes = await raw.call(attrs.path, request, { timeoutMs: conn.client.timeout, onSent });
    return decodeMutationResult(bytes, attrs.responseDeserialize) as T;
  }
  return sdkUnary(conn, method, request, onSent);
}

/**
 * The same call on the SDK's pooled grpc-js clients (its channels and interceptors). `onSent`
 * once the call is over: grpc-js frames a copy of the request, which its retries resend.
 */
export async function sdkUnary<T>(conn: MilvusConnection, method: 'Upsert' | 'Insert', request: Buffer, onSent?: () => void): Promise<T> {
  const pool = conn.client.channelPool as unknown as Pool;
  let client: PooledClient;
  try {
    client = await pool.acquire();
  } catch (e) {
    onSent?.();
    throw e;
  }
  try {
    const attrs = client[method] as MethodAttrs;
    return await new Promise<T>((resolve, reject) => {
      client.makeUnaryRequest(
        attrs.path,
        (message) => message.bytes,
        (bytes) => decodeMutationResult(bytes, attrs.responseDeserialize),
        { bytes: request, toJSON: () => `<${method} request, ${request.length} bytes>` },
        // A Date, not a number: the SDK's retry interceptor reads `deadline.getTime()`.
        { deadline: new Date(Date.now() + conn.client.timeout) },
        (error, response) => (error ? reject(error) : resolve(response as T)),
      );
    });
  } finally {
    onSent?.();
    await pool.release(client);
  }
}
