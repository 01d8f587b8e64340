/**
 * The Qdrant source. `createQdrantReader` is the only thing the rest of the code needs.
 */
import type { SourceReader } from '../core/contracts.ts';
import { GrpcTransport } from './grpc.ts';
import { QdrantReader, type ReaderRetryOptions } from './reader.ts';
import { RestTransport } from './rest.ts';

export interface QdrantReaderOptions {
  /** Qdrant URL as users know it, e.g. http://localhost:6333 or https://xyz.cloud.qdrant.io:6333.
   *  The gRPC transport uses its scheme and host with `grpcPort`. */
  url: string;
  /** API key or JWT; sent as the `api-key` header, never logged or echoed in errors. */
  apiKey?: string;
  /** Default 'rest'. */
  transport?: 'rest' | 'grpc';
  /** gRPC transport only. Default 6334. */
  grpcPort?: number;
  /** Per request, ms. Default 60000. */
  timeoutMs?: number;
  /** Bounded retry of transient failures inside the reader. Defaults: 3 retries, 200 ms .. 5 s. */
  retry?: ReaderRetryOptions;
}

export function createQdrantReader(opts: QdrantReaderOptions): SourceReader {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const common = { url: opts.url, timeoutMs, ...(opts.apiKey ? { apiKey: opts.apiKey } : {}) };
  const transport =
    (opts.transport ?? 'rest') === 'grpc'
      ? new GrpcTransport({ ...common, ...(opts.grpcPort !== undefined ? { grpcPort: opts.grpcPort } : {}) })
      : new RestTransport(common);
  return new QdrantReader(transport, opts.retry);
}

export { QdrantReader, clipToRange, type ReaderRetryOptions } from './reader.ts';
export { RestTransport } from './rest.ts';
export { GrpcTransport } from './grpc.ts';
export type { QdrantTransport } from './transport.ts';
