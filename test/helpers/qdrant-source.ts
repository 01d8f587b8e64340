/**
 * The Qdrant source the reader integration tests run against: the testkit's Qdrant-compatible
 * server by default, or a real Qdrant when QDRANT_URL (+ QDRANT_API_KEY, QDRANT_GRPC_PORT) is set.
 * Datasets are loaded into uniquely prefixed collections on a real server and dropped at the end.
 */
import { stringify } from 'lossless-json';
import { compareIds, INT64_LIMIT, UINT64_MAX } from '../../src/core/ids.ts';
import type { Point } from '../../src/core/types.ts';
import { createQdrantReader, type QdrantReaderOptions } from '../../src/qdrant/index.ts';
import { restPoint } from '../../src/qdrant/rest-convert.ts';
import { dataset } from '../../testkit/datasets/index.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';

export const TRANSPORTS = ['rest', 'grpc'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const COUNTS = { rich: 120, basic: 40, 'overflow-ids': 25 } as const;
/** Hand-made collections that pin the id-kind detection: every combination that matters. */
export const ID_SETS = {
  mixed: [3n, 1n, INT64_LIMIT + 5n, UINT64_MAX, 'ffffffff-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000001'],
  'uuid-only': ['aaaaaaaa-0000-0000-0000-000000000000', 'bbbbbbbb-0000-0000-0000-000000000000'],
  'int-and-uuid': [7n, 'cccccccc-0000-0000-0000-000000000000'],
  empty: [],
} as const;

export interface Source {
  real: boolean;
  restUrl: string;
  apiKey?: string;
  grpcPort: number;
  server?: QdrantTestServer;
  /** Collection name as loaded (prefixed on a real server). */
  name(base: string): string;
  /** Expected points in scroll order: from the test server's store (exact), or from the dataset
   *  generator on a real server (ids and payloads exact, vectors by name only). */
  expected(base: keyof typeof COUNTS): Point[];
  reader(transport: Transport, extra?: Partial<QdrantReaderOptions>): ReturnType<typeof createQdrantReader>;
  /** What the run points at, for the test log. */
  banner: string;
  stop(): Promise<void>;
}

export const SERVER_ONLY = process.env.QDRANT_URL ? 'needs the Qdrant test server (QDRANT_URL is set: real Qdrant)' : false;

export async function startSource(): Promise<Source> {
  const realUrl = process.env.QDRANT_URL;
  const server = realUrl ? undefined : await startQdrantTestServer({ port: 0, grpcPort: 0 });
  const restUrl = realUrl ?? server!.restUrl;
  const apiKey = realUrl ? process.env.QDRANT_API_KEY : undefined;
  const grpcPort = realUrl ? Number(process.env.QDRANT_GRPC_PORT ?? 6334) : server!.grpcPort!;
  const prefix = realUrl ? `q2mtest_${Date.now().toString(36)}_` : '';
  const name = (base: string) => `${prefix}${base}`;
  const rest = (method: string, path: string, body?: unknown) => restCall(restUrl, apiKey, method, path, body);

  for (const [base, count] of Object.entries(COUNTS)) {
    const ds = { ...dataset(base, count), collection: name(base) };
    if (server) server.store.seed(ds);
    else {
      await rest('PUT', `/collections/${encodeURIComponent(ds.collection)}`, ds.config);
      for (const idx of ds.payloadIndexes ?? []) await rest('PUT', `/collections/${encodeURIComponent(ds.collection)}/index?wait=true`, idx);
      const points = [...ds.points()];
      for (let i = 0; i < points.length; i += 200) {
        await rest('PUT', `/collections/${encodeURIComponent(ds.collection)}/points?wait=true`, { points: points.slice(i, i + 200) });
      }
    }
  }
  for (const [base, ids] of Object.entries(ID_SETS)) {
    const path = `/collections/${encodeURIComponent(name(base))}`;
    await rest('PUT', path, { vectors: { size: 2, distance: 'Dot' } });
    const points = ids.map((id, i) => ({ id, vector: [i, 1], payload: { i } }));
    if (points.length) await rest('PUT', `${path}/points?wait=true`, { points });
  }

  return {
    real: Boolean(realUrl),
    restUrl,
    apiKey,
    grpcPort,
    server,
    name,
    banner: realUrl
      ? `reader integration: real Qdrant at ${realUrl} (QDRANT_URL), gRPC port ${grpcPort}`
      : 'reader integration: Qdrant test server (set QDRANT_URL to run against a real Qdrant)',
    expected(base) {
      if (server) {
        const all = server.store.scroll(name(base), { limit: 1_000_000, with_payload: true, with_vector: true });
        return all.points.map(restPoint);
      }
      return [...dataset(base, COUNTS[base]).points()].map(restPoint).sort((a, b) => compareIds(a.id, b.id));
    },
    reader: (transport, extra = {}) =>
      createQdrantReader({ url: restUrl, apiKey, transport, grpcPort, timeoutMs: 10_000, retry: { baseMs: 5, maxMs: 20 }, ...extra }),
    async stop() {
      if (realUrl) {
        for (const base of [...Object.keys(COUNTS), ...Object.keys(ID_SETS)]) {
          await rest('DELETE', `/collections/${encodeURIComponent(name(base))}`).catch(() => undefined);
        }
      }
      await server?.stop();
    },
  };
}

async function restCall(url: string, apiKey: string | undefined, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
    ...(body === undefined ? {} : { body: stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

/** On a real server vectors are normalised (Cosine) and quantised (float16/uint8): compare names. */
export function comparable(points: Point[], exactVectors: boolean): unknown[] {
  return exactVectors ? points : points.map((p) => ({ ...p, vectors: Object.keys(p.vectors).sort() }));
}
