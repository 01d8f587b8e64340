/**
 * In-process start API of the Qdrant test server: one store served over REST and (optionally)
 * gRPC, with shared fault injection, optionally pre-loaded with generated datasets.
 *
 *   const qdrant = await startQdrantTestServer({ datasets: [{ name: 'basic', count: 100 }] });
 *   // qdrant.restUrl → http://127.0.0.1:<port>; qdrant.grpcUrl → http://127.0.0.1:<port> | null
 *   await qdrant.stop();
 */
import { dataset } from '../datasets/index.ts';
import { FaultController, type FaultConfig } from './faults.ts';
import { startRestServer, type RestServerOptions } from './rest.ts';
import { QdrantStore } from './store.ts';

export interface QdrantTestServerOptions {
  /** Interface to bind. Default 127.0.0.1 (tests never expose the server). */
  host?: string;
  /** REST port; 0 (default) picks a free one. */
  port?: number;
  /** gRPC port; 0 (default) picks a free one; null runs no gRPC server. */
  grpcPort?: number | null;
  /** When set, every Qdrant API call needs this key (`api-key` header or `Authorization: Bearer`). */
  apiKey?: string;
  /** A key that may read but not write (403 on writes). */
  readOnlyApiKey?: string;
  /** Datasets (testkit/datasets names) loaded before the server answers; count defaults per dataset. */
  datasets?: Array<{ name: string; count?: number; seed?: number }>;
  /** Faults active from the start; change them later through `faults` or `POST /__testkit/faults`. */
  faults?: FaultConfig;
  /** Test hook: sees every REST response (e.g. createResponseAuditor().onResponse from openapi.ts). */
  onResponse?: RestServerOptions['onResponse'];
}

export interface QdrantTestServer {
  restUrl: string;
  grpcUrl: string | null;
  port: number;
  grpcPort: number | null;
  store: QdrantStore;
  faults: FaultController;
  stop(): Promise<void>;
}

export async function startQdrantTestServer(opts: QdrantTestServerOptions = {}): Promise<QdrantTestServer> {
  const host = opts.host ?? '127.0.0.1';
  const store = new QdrantStore();
  for (const d of opts.datasets ?? []) store.seed(dataset(d.name, d.count, d.seed));
  const faults = new FaultController(opts.faults);
  // Under `npm test` (QDRANT_TESTKIT_AUDIT=1) every REST response of every test server is checked
  // against Qdrant's OpenAPI spec, and stop() fails the test that stops a server which sent one
  // outside it. Tests that pass their own onResponse audit themselves.
  const auditor = !opts.onResponse && process.env.QDRANT_TESTKIT_AUDIT === '1'
    ? (await import('./openapi.ts')).createResponseAuditor()
    : undefined;
  const onResponse = opts.onResponse ?? auditor?.onResponse;
  const auth = { apiKey: opts.apiKey, readOnlyApiKey: opts.readOnlyApiKey };
  const rest = await startRestServer({ store, faults, host, port: opts.port ?? 0, onResponse, ...auth });
  let grpc: { port: number; stop(): Promise<void> } | null = null;
  const grpcPort = opts.grpcPort === undefined ? 0 : opts.grpcPort;
  if (grpcPort !== null) {
    try {
      // Loaded only when wanted: REST-only users skip the proto loading cost.
      const { startGrpcServer } = await import('./grpc.ts');
      grpc = await startGrpcServer(store, { port: grpcPort, host, faults, ...auth });
    } catch (err) {
      await rest.stop();
      throw err;
    }
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    restUrl: `http://${urlHost}:${rest.port}`,
    grpcUrl: grpc ? `http://${urlHost}:${grpc.port}` : null,
    port: rest.port,
    grpcPort: grpc?.port ?? null,
    store,
    faults,
    stop: async () => {
      await Promise.all([rest.stop(), grpc?.stop()]);
      auditor?.assertClean();
    },
  };
}
