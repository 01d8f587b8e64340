/**
 * The integration tests' world: a Qdrant source and a Milvus target, real protocol servers.
 *
 * Which servers (a test names a leg, not a command line):
 *   source  default            a Qdrant-compatible test server per file (testkit/qdrant), with fault
 *                              injection (`h.testServer`) and an OpenAPI audit of every response
 *           Q2M_SOURCE=real    the real Qdrant 1.19 binary per file (testkit/qdrant/real.ts); throws
 *                              naming what is missing when the binary is absent
 *           QDRANT_URL         the user's Qdrant (+ QDRANT_API_KEY)
 *   target  default            Milvus Lite 3.2.2 per file
 *           Q2M_TARGET_ENGINE  lite3 | lite25 | standalone23: that engine per file (testkit/milvus);
 *                              standalone23 allows one per machine, so such files queue on its lock
 *           MILVUS_URI         the user's Milvus (+ MILVUS_TOKEN, MILVUS_DB); Q2M_TARGET_ENGINE then
 *                              says what it is, when known (the matrix sets both)
 * startHarness({ source, targetEngine }) pins a leg for one file, overriding the variables (a test
 * of Milvus 2.3.5 restarts, say); such a file belongs in test/matrix/, which `npm test` leaves out
 * and the matrix's own-servers step runs one file at a time (scripts/matrix.mjs). Skip a test that
 * cannot apply with `t.skip(reason)`, never silently: `h.sourceKind`, `h.targetEngine`,
 * `h.ownsTarget` and `h.capabilities()` say what the file runs against.
 *
 * On servers the harness does not own (QDRANT_URL / MILVUS_URI), datasets go into uniquely prefixed
 * collections (`h.name()`, `h.seed()`), and stop() drops every collection with the prefix.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { TargetCapabilities } from '../../src/core/types.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { dataset as makeDataset } from '../../testkit/datasets/index.ts';
import type { Dataset } from '../../testkit/datasets/types.ts';
import { milvusEngines, startMilvus, type MilvusEngine, type MilvusServer } from '../../testkit/milvus/launcher.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';
import { startRealQdrant, type RealQdrant } from '../../testkit/qdrant/real.ts';
import { realQdrantRequest, seedRealQdrant } from '../../testkit/qdrant/real-seed.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { cliBin } from './cli-bin.ts';

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
  /** What the source is: the test server, a real Qdrant the harness started, or the user's. */
  sourceKind: 'test-server' | 'real-qdrant' | 'user';
  /** The test server, when the source is not a real Qdrant (for fault injection and seeding). */
  testServer?: QdrantTestServer;
  /** The real Qdrant the harness started (Q2M_SOURCE=real). */
  realQdrant?: RealQdrant;
  /** Which Milvus the target is (known when the harness started it, or from Q2M_TARGET_ENGINE). */
  targetEngine?: MilvusEngine;
  /** True when the harness started the target (so a test may stop, kill or restart it). */
  ownsTarget: boolean;
  /** The Milvus server the harness started, if it did. */
  milvusServer?: MilvusServer;
  /** @deprecated the lite3 server the harness started: use milvusServer. */
  milvusLite?: MilvusServer;
  milvus: MilvusClient;
  /** Where the run points: printed once per file so a reader knows what was tested. */
  describe(): string;
  /** Loads a dataset into the source; returns the source collection name used. */
  seed(name: string, count?: number, options?: { collection?: string }): Promise<string>;
  /** Runs the real CLI (bin/qdrant2milvus.js) with the source and target in its environment. */
  cli(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  /** A unique-per-run name for a target collection (prefixed on real servers). */
  name(base: string): string;
  /** What the target accepts, as the product's own probes learn it (cached): tests derive their
   *  expectations from it (e.g. refused vs migrated) instead of assuming one kind of Milvus. */
  capabilities(): Promise<TargetCapabilities>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** The source's API key (test server and real Qdrant started here; a user's Qdrant uses QDRANT_API_KEY). */
  apiKey?: string;
  /** Pins the source for this file: 'test-server' or 'real-qdrant' (overrides Q2M_SOURCE, not QDRANT_URL). */
  source?: 'test-server' | 'real-qdrant';
  /** Pins the target engine for this file (overrides Q2M_TARGET_ENGINE and MILVUS_URI). */
  targetEngine?: MilvusEngine;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const userQdrant = options.source ? undefined : process.env.QDRANT_URL;
  const userMilvus = options.targetEngine ? undefined : process.env.MILVUS_URI;
  const wantRealQdrant = !userQdrant && (options.source ?? (process.env.Q2M_SOURCE === 'real' ? 'real-qdrant' : 'test-server')) === 'real-qdrant';
  const targetEngine = options.targetEngine ?? engineFromEnv();
  const cliHome = mkdtempSync(join(tmpdir(), 'q2m-cli-home-'));
  const prefix = userQdrant || userMilvus ? `q2mtest_${Date.now().toString(36)}_` : '';
  // Every REST response the test server sends in a test file is checked against Qdrant's OpenAPI
  // spec; stop() fails the file if any was outside it.
  const auditor = createResponseAuditor();
  const [testServer, realQdrant, milvusServer] = await Promise.all([
    userQdrant || wantRealQdrant ? undefined : startQdrantTestServer({ apiKey: options.apiKey, onResponse: auditor.onResponse }),
    wantRealQdrant ? startRealQdrant({ apiKey: options.apiKey }) : undefined,
    userMilvus ? undefined : startMilvus({ engine: targetEngine ?? 'lite3', auth: targetEngine === 'standalone23' }),
  ]);
  const qdrantUrl = userQdrant ?? realQdrant?.restUrl ?? testServer!.restUrl;
  const qdrantApiKey = userQdrant ? process.env.QDRANT_API_KEY : options.apiKey;
  const milvusUri = userMilvus ?? milvusServer!.uri;
  const milvusToken = userMilvus ? process.env.MILVUS_TOKEN : milvusServer!.token;
  const milvusDb = (userMilvus && process.env.MILVUS_DB) || 'default';
  // Same keepalive as the sink (src/milvus/client.ts): the SDK's 10 s idle pings make Milvus Lite
  // answer GOAWAY "too_many_pings".
  const milvus = new MilvusClient({
    address: milvusUri,
    token: milvusToken,
    database: milvusDb,
    channelOptions: { 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 },
  });
  const seeded: string[] = [];
  let caps: Promise<TargetCapabilities> | undefined;

  const harness: Harness = {
    qdrantUrl,
    qdrantApiKey,
    milvusUri,
    milvusToken,
    milvusDb,
    sourceKind: userQdrant ? 'user' : realQdrant ? 'real-qdrant' : 'test-server',
    testServer,
    realQdrant,
    targetEngine: targetEngine ?? (userMilvus ? undefined : 'lite3'),
    ownsTarget: !userMilvus,
    milvusServer,
    milvusLite: milvusServer?.engine === 'lite3' ? milvusServer : undefined,
    milvus,
    describe: () =>
      `source: ${userQdrant ? `Qdrant at ${userQdrant} (QDRANT_URL)` : realQdrant ? `real Qdrant 1.19 at ${realQdrant.restUrl} (Q2M_SOURCE=real)` : 'Qdrant test server (Q2M_SOURCE=real or QDRANT_URL for a real Qdrant)'}; ` +
      `target: ${userMilvus ? `Milvus at ${userMilvus} (MILVUS_URI${targetEngine ? `, engine ${targetEngine}` : ''})` : `Milvus ${milvusServer!.engine} at ${milvusUri} (Q2M_TARGET_ENGINE or MILVUS_URI for another)`}`,
    name: (base) => `${prefix}${base}`,
    capabilities: () => (caps ??= probeCapabilities(milvusUri, milvusToken, milvusDb)),
    async seed(name, count, seedOptions = {}) {
      const ds = makeDataset(name, count);
      const collection = seedOptions.collection ?? `${prefix}${ds.collection}`;
      const renamed: Dataset = { ...ds, collection };
      if (testServer) testServer.store.seed(renamed);
      else await seedRealQdrant(qdrantUrl, qdrantApiKey, renamed);
      seeded.push(collection);
      return collection;
    },
    cli: (args, env = {}) =>
      runCli(args, {
        // The CLI's job store: one per harness, never the user's ~/.qdrant2milvus (shared by every
        // test file running at once, and by other checkouts whose schema may be newer).
        QDRANT2MILVUS_HOME: cliHome,
        QDRANT_URL: qdrantUrl,
        QDRANT_API_KEY: qdrantApiKey,
        // A real Qdrant started here is read over gRPC, the product's default transport (its gRPC
        // port is not REST+1, so auto-detection needs telling). A user's server: QDRANT_GRPC_PORT passes through.
        ...(realQdrant ? { QDRANT_GRPC_PORT: String(realQdrant.grpcPort) } : {}),
        MILVUS_URI: milvusUri,
        MILVUS_TOKEN: milvusToken,
        MILVUS_DB: milvusDb,
        ...env,
      }),
    async stop() {
      if (userQdrant) {
        for (const c of seeded) await realQdrantRequest(qdrantUrl, qdrantApiKey, 'DELETE', `/collections/${encodeURIComponent(c)}`).catch(() => undefined);
      }
      if (userMilvus) {
        // showCollections, not listCollections: the latter also describes each one, which some
        // servers (Milvus Lite 2.5.1) answer oddly; only the names matter here.
        const shown = await milvus.showCollections().catch(() => ({ data: [] as Array<{ name: string }> }));
        for (const c of shown.data ?? []) if (c.name.startsWith(prefix)) await milvus.dropCollection({ collection_name: c.name }).catch(() => undefined);
      }
      await milvus.closeConnection().catch(() => undefined);
      await Promise.allSettled([testServer?.stop(), realQdrant?.stop(), milvusServer?.stop()]);
      rmSync(cliHome, { recursive: true, force: true });
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
    const child = spawn(process.execPath, [cliBin, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function probeCapabilities(uri: string, token: string | undefined, database: string): Promise<TargetCapabilities> {
  const sink = await createMilvusSink({ uri, token, database });
  try {
    return await sink.capabilities();
  } finally {
    await sink.close();
  }
}

function engineFromEnv(): MilvusEngine | undefined {
  const engine = process.env.Q2M_TARGET_ENGINE;
  if (!engine) return undefined;
  if (!(milvusEngines as readonly string[]).includes(engine)) {
    throw new Error(`Q2M_TARGET_ENGINE=${engine}: not an engine; use one of ${milvusEngines.join(', ')}`);
  }
  return engine as MilvusEngine;
}
