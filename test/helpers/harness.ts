/**
 * The integration tests' world: a Qdrant source and a Milvus target, real protocol servers.
 *
 * By default each test file gets its own Qdrant-compatible test server (testkit/qdrant) and its own
 * Milvus Lite (testkit/milvus). With QDRANT_URL (+ QDRANT_API_KEY) and/or MILVUS_URI (+ MILVUS_TOKEN,
 * MILVUS_DB) set, the same tests run against those real servers instead: datasets are loaded over
 * Qdrant's REST API into uniquely prefixed collections, and everything created is dropped at the end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'lossless-json';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { dataset as makeDataset } from '../../testkit/datasets/index.ts';
import type { Dataset } from '../../testkit/datasets/types.ts';
import { startMilvusLite, type MilvusLite } from '../../testkit/milvus/launcher.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { repoRoot } from '../../testkit/python.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Harness {
  qdrantUrl: string;
  qdrantApiKey?: string;
  milvusUri: string;
  milvusToken?: string;
  milvusDb: string;
  /** The test server, when the source is not a real Qdrant (for fault injection and seeding). */
  testServer?: QdrantTestServer;
  milvusLite?: MilvusLite;
  milvus: MilvusClient;
  /** Where the run points: printed once per file so a reader knows what was tested. */
  describe(): string;
  /** Loads a dataset into the source; returns the source collection name used. */
  seed(name: string, count?: number, options?: { collection?: string }): Promise<string>;
  /** Runs the real CLI (bin/qdrant2milvus.js) with the source and target in its environment. */
  cli(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  /** A unique-per-run name for a target collection (prefixed on real servers). */
  name(base: string): string;
  stop(): Promise<void>;
}

export async function startHarness(options: { apiKey?: string } = {}): Promise<Harness> {
  const realQdrant = process.env.QDRANT_URL;
  const realMilvus = process.env.MILVUS_URI;
  const prefix = realQdrant || realMilvus ? `q2mtest_${Date.now().toString(36)}_` : '';
  // Every REST response the test server sends in a test file is checked against Qdrant's OpenAPI
  // spec; stop() fails the file if any was outside it.
  const auditor = createResponseAuditor();
  const [testServer, milvusLite] = await Promise.all([
    realQdrant ? undefined : startQdrantTestServer({ apiKey: options.apiKey, onResponse: auditor.onResponse }),
    realMilvus ? undefined : startMilvusLite(),
  ]);
  const qdrantUrl = realQdrant ?? testServer!.restUrl;
  const qdrantApiKey = realQdrant ? process.env.QDRANT_API_KEY : options.apiKey;
  const milvusUri = realMilvus ?? milvusLite!.uri;
  const milvusToken = realMilvus ? process.env.MILVUS_TOKEN : undefined;
  const milvusDb = (realMilvus && process.env.MILVUS_DB) || 'default';
  // Same keepalive as the sink (src/milvus/client.ts): the SDK's 10 s idle pings make Milvus Lite
  // answer GOAWAY "too_many_pings".
  const milvus = new MilvusClient({
    address: milvusUri,
    token: milvusToken,
    database: milvusDb,
    channelOptions: { 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 },
  });
  const seeded: string[] = [];

  const harness: Harness = {
    qdrantUrl,
    qdrantApiKey,
    milvusUri,
    milvusToken,
    milvusDb,
    testServer,
    milvusLite,
    milvus,
    describe: () =>
      `source: ${realQdrant ? `real Qdrant at ${realQdrant} (QDRANT_URL)` : 'Qdrant test server (set QDRANT_URL to use a real Qdrant)'}; ` +
      `target: ${realMilvus ? `real Milvus at ${realMilvus} (MILVUS_URI)` : 'Milvus Lite (set MILVUS_URI to use a real Milvus)'}`,
    name: (base) => `${prefix}${base}`,
    async seed(name, count, seedOptions = {}) {
      const ds = makeDataset(name, count);
      const collection = seedOptions.collection ?? `${prefix}${ds.collection}`;
      const renamed: Dataset = { ...ds, collection };
      if (testServer) testServer.store.seed(renamed);
      else await seedOverRest(qdrantUrl, qdrantApiKey, renamed);
      seeded.push(collection);
      return collection;
    },
    cli: (args, env = {}) =>
      runCli(args, {
        QDRANT_URL: qdrantUrl,
        QDRANT_API_KEY: qdrantApiKey,
        MILVUS_URI: milvusUri,
        MILVUS_TOKEN: milvusToken,
        MILVUS_DB: milvusDb,
        ...env,
      }),
    async stop() {
      if (realQdrant) {
        for (const c of seeded) await qdrantRequest(qdrantUrl, qdrantApiKey, 'DELETE', `/collections/${encodeURIComponent(c)}`).catch(() => undefined);
      }
      if (realMilvus) {
        const { data } = await milvus.listCollections().catch(() => ({ data: [] as Array<{ name: string }> }));
        for (const c of data) if (c.name.startsWith(prefix)) await milvus.dropCollection({ collection_name: c.name }).catch(() => undefined);
      }
      await milvus.closeConnection().catch(() => undefined);
      await Promise.allSettled([testServer?.stop(), milvusLite?.stop()]);
      auditor.assertClean();
    },
  };
  return harness;
}

export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const fullEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete fullEnv[k];
      else fullEnv[k] = v;
    }
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'qdrant2milvus.js'), ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function qdrantRequest(url: string, apiKey: string | undefined, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
    body: body === undefined ? undefined : stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Loads a dataset into a real Qdrant over REST (lossless JSON: ids above 2^53 stay exact). */
async function seedOverRest(url: string, apiKey: string | undefined, ds: Dataset): Promise<void> {
  const path = `/collections/${encodeURIComponent(ds.collection)}`;
  await qdrantRequest(url, apiKey, 'PUT', path, ds.config);
  for (const idx of ds.payloadIndexes ?? []) await qdrantRequest(url, apiKey, 'PUT', `${path}/index?wait=true`, idx);
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length > 0) await qdrantRequest(url, apiKey, 'PUT', `${path}/points?wait=true`, { points: batch });
    batch = [];
  };
  for (const p of ds.points()) {
    batch.push(p);
    if (batch.length >= 256) await flush();
  }
  await flush();
}
