/**
 * The engine's events (issue 4, item 9), in-process against the real servers: a listener that
 * throws cannot break a job, the other listeners still get every event, and retries of transient
 * failures arrive as job:error with willRetry.
 *
 * On any leg: the source key and target token are the harness's; the dataset is `rich` (points
 * rejected for a missing vector, so job:error carries them) where the target holds its four vector
 * fields and sparse, else `basic`; without the test server (fault injection) it skips, saying so.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan } from '../../src/core/planning.ts';
import { JobEngine, type EngineEventMap } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { freshDataDir, removeDataDir } from '../helpers/jobs.ts';

let h: Harness;

before(async () => {
  h = await startHarness();
  console.log(`# ${h.describe()}`);
});
after(async () => h?.stop());

async function planFor(collection: string) {
  const reader = createQdrantReader({ url: h.qdrantUrl, apiKey: h.qdrantApiKey });
  const sink = await createMilvusSink({ uri: h.milvusUri, token: h.milvusToken, database: h.milvusDb });
  try {
    const target = { uri: h.milvusUri, token: h.milvusToken, database: h.milvusDb };
    return (await buildPlan({ sourceUrl: h.qdrantUrl, target, collections: [collection], missingVector: 'skip' }, reader, sink)).plan;
  } finally {
    await Promise.allSettled([reader.close(), sink.close()]);
  }
}

it('a throwing listener does not break a job; the others see every event, retries included', async (t) => {
  if (!h.testServer) return t.skip(`needs the Qdrant test server to inject the transient failures; the source is ${h.sourceKind}`);
  const caps = await h.capabilities();
  const holdsRich = caps.sparseVector && (caps.maxVectorFields ?? 4) >= 4;
  if (!holdsRich) t.diagnostic(`${caps.version} cannot hold the rich dataset (4 vector fields, sparse): basic instead, no rejected points`);
  const c = await h.seed(holdsRich ? 'rich' : 'basic', 80, { collection: h.name('listeners') });
  const plan = await planFor(c);
  const dataDir = freshDataDir();
  const store = JobStore.open({ dataDir });
  t.after(() => {
    store.close();
    removeDataDir(dataDir);
  });
  const engine = new JobEngine(store);
  const reported = t.mock.method(console, 'error', () => undefined);

  const names: Array<keyof EngineEventMap> = ['job:status', 'job:collection', 'job:progress', 'job:error'];
  for (const name of names) {
    engine.on(name, () => {
      throw new Error(`a broken ${name} listener`);
    });
  }
  const seen = { statuses: [] as string[], progress: 0, rejected: 0, retries: [] as string[] };
  engine.on('job:status', (e) => seen.statuses.push(e.status));
  engine.on('job:progress', () => seen.progress++);
  engine.on('job:error', (e) => (e.willRetry ? seen.retries.push(e.code) : e.pointId !== undefined && seen.rejected++));

  // Two 503s on the first scrolls: retried, and reported as such.
  h.testServer!.faults.configure({ rules: [{ route: `POST /collections/${c}/points/scroll`, errorRate: 1, maxFaults: 2 }] });
  const job = engine.create({
    source: { url: h.qdrantUrl, apiKey: h.qdrantApiKey },
    target: { uri: h.milvusUri, token: h.milvusToken, database: h.milvusDb },
    plan,
    options: { pageSize: 20 },
  });
  const report = await engine.run(job.id);
  h.testServer!.faults.clear();

  assert.equal(report.ok, true, JSON.stringify(report.collections[0]?.error));
  assert.equal(store.get(job.id).status, 'SUCCESSFUL');
  assert.deepEqual(seen.statuses, ['IN_PROGRESS', 'SUCCESSFUL']);
  assert.ok(seen.progress > 0);
  assert.equal(seen.rejected, report.collections[0]!.rejectedCount);
  assert.deepEqual(seen.retries, ['SOURCE_UNAVAILABLE', 'SOURCE_UNAVAILABLE']);
  assert.ok(reported.mock.calls.some((call) => String(call.arguments[1]).includes('a broken job:status listener')), 'the broken listener was reported');
  const retryLog = store.errors(job.id, { limit: 1000 }).entries.filter((e) => /Retrying the source/.test(e.message));
  assert.equal(retryLog.length, 2, 'each retry is in the error log');
  assert.equal(retryLog[0]!.collection, c);
});
