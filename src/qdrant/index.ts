/**
 * The Qdrant source. `createQdrantReader` is the only thing the rest of the code needs.
 */
import type { SourceReader } from '../core/contracts.ts';
import { AutoTransport, type TransportKind } from './auto.ts';
import { GrpcTransport } from './grpc.ts';
import { QdrantReader, type ReaderRetryOptions } from './reader.ts';
import { RestTransport } from './rest.ts';
import type { QdrantTransport } from './transport.ts';

export interface QdrantReaderOptions {
  /** Qdrant URL as users know it, e.g. http://localhost:6333 or https://xyz.cloud.qdrant.io:6333.
   *  The gRPC transport uses its scheme and host with `grpcPort`. */
  url: string;
  /** API key or JWT; sent as the `api-key` header, never logged or echoed in errors. */
  apiKey?: string;
  /** Default 'auto': gRPC when the gRPC port answers, else REST with a warning (see auto.ts). */
  transport?: 'rest' | 'grpc' | 'auto';
  /** Where the 'auto' transport says it fell back to REST. Default: a `warning:` line on stderr. */
  onWarning?: (message: string) => void;
  /** Qdrant's gRPC port (transports grpc and auto). Default 6334. */
  grpcPort?: number;
  /** Per request, ms. Default 60000. */
  timeoutMs?: number;
  /** Bounded retry of transient failures inside the reader. Defaults: 3 retries, 200 ms .. 5 s. */
  retry?: ReaderRetryOptions;
}

export function createQdrantReader(opts: QdrantReaderOptions): SourceReader {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const common = { url: opts.url, timeoutMs, ...(opts.apiKey ? { apiKey: opts.apiKey } : {}) };
  const make = (kind: TransportKind): QdrantTransport =>
    kind === 'grpc' ? new GrpcTransport({ ...common, ...(opts.grpcPort !== undefined ? { grpcPort: opts.grpcPort } : {}) }) : new RestTransport(common);
  const kind = opts.transport ?? 'auto';
  const warn = opts.onWarning ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const transport = kind === 'auto' ? new AutoTransport({ url: opts.url, grpcPort: opts.grpcPort, warn }, make) : make(kind);
  return new QdrantReader(transport, opts.retry);
}

export { QdrantReader, clipToRange, type ReaderRetryOptions } from './reader.ts';
export { RestTransport } from './rest.ts';
export { GrpcTransport } from './grpc.ts';
export type { QdrantTransport } from './transport.ts';
export { chooseTransport, type TransportKind } from './auto.ts';
