/**
 * A unary Milvus RPC whose request is already protobuf bytes (encode.ts), sent through the SDK's
 * own pooled gRPC clients: the same channels and interceptors (token, database header, keepalive)
 * as every other call, and the answer decoded by the SDK's deserializer, so errors and responses
 * look exactly like those of `promisify(channelPool, method, …)`.
 */
import type { MilvusConnection } from './client.ts';

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

export async function rawUnary<T>(conn: MilvusConnection, method: 'Upsert' | 'Insert', request: Buffer): Promise<T> {
  const pool = conn.client.channelPool as unknown as Pool;
  const client = await pool.acquire();
  try {
    const attrs = client[method] as MethodAttrs;
    return await new Promise<T>((resolve, reject) => {
      client.makeUnaryRequest(
        attrs.path,
        (message) => message.bytes,
        attrs.responseDeserialize,
        { bytes: request, toJSON: () => `<${method} request, ${request.length} bytes>` },
        // A Date, not a number: the SDK's retry interceptor reads `deadline.getTime()`.
        { deadline: new Date(Date.now() + conn.client.timeout) },
        (error, response) => (error ? reject(error) : resolve(response as T)),
      );
    });
  } finally {
    await pool.release(client);
  }
}
