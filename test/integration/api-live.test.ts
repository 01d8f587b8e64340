/**
 * The HTTP API of issue 11 and 14, without a port (`app.request()`), against the harness's source
 * and target: "Full verify" and "Sync" of a finished migration (jobs of their own, with passes,
 * counts and "in sync at"), the source changed in between through Qdrant's own REST API; and bulk
 * mode refused with the reason where the target has no import. Every JSON answer is checked
 * against /api/openapi.json, and no credential may appear in any of them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type ApiApp } from '../../src/api/app.ts';
import type { FollowUpView, JobDetailView } from '../../src/api/schemas/responses.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const OWN_API_KEY = 'api-live-source-key-c41d';
const FAKE_TOKEN = 'root:api-live-target-token-8e2f';
const STORAGE_SECRET = 'api-live-storage-secret-77aa';

let h: Harness;
let store: JobStore;
let engine: JobEngine;
let app: ApiApp;
let api: ApiClient;
let coll: string;
let apiKey: string | undefined;
let token: string;
let migration: string;
const source = () => ({ url: h.qdrantUrl, ...(apiKey !== undefined && { apiKey }) });
const target = () => ({ uri: h.milvusUri, token, database: h.milvusDb });

before(async () => {
  h = await startHarness({ apiKey: OWN_API_KEY });
  console.log(`# ${h.describe()}`);
  apiKey = h.qdrantApiKey;
  token = h.milvusToken ?? FAKE_TOKEN;
  coll = await h.seed('basic', 200, { collection: h.name('api_live') });
  store = JobStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'q2m-api-live-')) });
  engine = new JobEngine(store, { syncEveryMs: 200 });
  app = createApp({ engine, store, hub: { pollMs: 200, throttleMs: 50 } });
  api = new ApiClient(app);
});

after(async () => {
  for (const id of engine.activeJobs()) engine.cancel(id);
  while (engine.activeJobs().length > 0) await new Promise((r) => setTimeout(r, 100));
  app?.hub.close();
  store?.close();
  await h?.stop();
});

async function finished(id: string, timeoutMs = 90_000): Promise<JobDetailView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api.get<JobDetailView>(`/api/jobs/${id}`);
    if (json.status !== 'IN_PROGRESS' && json.status !== 'PENDING') return json;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${json.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Writes to the source through Qdrant's REST API (the test server and a real Qdrant alike). */
async function qdrant(method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${h.qdrantUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(apiKey !== undefined && { 'api-key': apiKey }) },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

describe('full verify and sync of a finished job', () => {
  it('migrates, then a full verification finds no difference', async () => {
    const created = await api.post<{ id: string }>('/api/jobs', { source: source(), target: target(), plan: { collections: [{ source: coll }] } });
    assert.equal(created.status, 201, created.text);
    migration = created.json.id;
    assert.equal((await finished(migration)).status, 'SUCCESSFUL');

    const verify = await api.post<FollowUpView>(`/api/jobs/${migration}/verify-full`, {});
    assert.equal(verify.status, 201, verify.text);
    assert.deepEqual([verify.json.kind, verify.json.parentJobId], ['verify-full', migration]);
    const job = await finished(verify.json.id);
    assert.equal(job.status, 'SUCCESSFUL', JSON.stringify(job.error));
    assert.equal(job.kind, 'verify-full');
    assert.deepEqual(job.passes.map((p) => [p.collection, p.phase, p.compared, p.missing, p.extra, p.different]), [[coll, 'done', 200, 0, 0, 0]]);
    assert.equal(job.target.hasToken, true);
  });

  it('syncs a changed source: one pass upserts and deletes, the next changes nothing and says "in sync"', async () => {
    await qdrant('POST', `/collections/${coll}/points/delete?wait=true`, { points: [1, 2, 3] });
    const vector = Array.from({ length: 128 }, (_, i) => ((i % 7) + 1) / 10);
    // Two new points and one changed: point 10 gets another vector and one more payload key (the
    // engine's own tests cover removed keys; here the API's view of the passes is under test).
    const ten = (await (await fetch(`${h.qdrantUrl}/collections/${coll}/points/10`, { headers: apiKey !== undefined ? { 'api-key': apiKey } : {} })).json()) as { result: { payload: Record<string, unknown> } };
    await qdrant('PUT', `/collections/${coll}/points?wait=true`, {
      points: [{ id: 90_001, vector, payload: { fresh: true } }, { id: 90_002, vector, payload: {} }, { id: 10, vector, payload: { ...ten.result.payload, changed: 'yes' } }],
    });

    // Started from the verification, the sync belongs to the migration at the root.
    const verifications = (await api.get<{ jobs: Array<{ id: string; kind: string }> }>('/api/jobs')).json.jobs.filter((j) => j.kind === 'verify-full');
    const sync = await api.post<FollowUpView>(`/api/jobs/${verifications[0]!.id}/sync`, { maxPasses: 3 });
    assert.equal(sync.status, 201, sync.text);
    assert.deepEqual([sync.json.kind, sync.json.parentJobId], ['sync', migration]);
    const job = await finished(sync.json.id);
    assert.equal(job.status, 'SUCCESSFUL', JSON.stringify(job.error));
    assert.deepEqual(
      job.passes.map((p) => [p.pass, p.upserted, p.deleted, p.unchanged, p.phase]),
      [[1, 3, 3, 196, 'done'], [2, 0, 0, 199, 'done']],
    );
    assert.ok(job.inSyncAt !== null && Date.parse(job.inSyncAt) >= Date.parse(job.passes[1]!.startedAt));
    const parent = (await api.get<JobDetailView>(`/api/jobs/${migration}`)).json;
    assert.equal(parent.inSyncAt, job.inSyncAt, 'the migration shows "in sync at" too');
  });

  it('answers 404 for an unknown job and 400 naming a bad field', async () => {
    const missing = await api.post<{ error: { code: string } }>('/api/jobs/nope/sync', {});
    assert.deepEqual([missing.status, missing.json.error.code], [404, 'JOB_NOT_FOUND']);
    const bad = await api.post<{ error: { fields: Array<{ path: string }> } }>(`/api/jobs/${migration}/sync`, { maxPasses: 0 });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.error.fields.map((f) => f.path), ['maxPasses']);
  });
});

describe('bulk mode', () => {
  it('needs the object storage, and is refused with the reason where the target has no import', async (t) => {
    if ((await h.capabilities()).kind !== 'milvus-lite') return t.skip(`the target (${h.describe()}) may run import jobs; the refusal needs Milvus Lite`);
    const noStorage = await api.post<{ error: { fields: Array<{ path: string }> } }>('/api/jobs', {
      source: source(), target: target(), plan: { collections: [{ source: coll, target: h.name('bulk_x') }] }, options: { mode: 'bulk' },
    });
    assert.equal(noStorage.status, 400);
    assert.deepEqual(noStorage.json.error.fields.map((f) => f.path), ['options.storage']);
    const before = (await api.get<{ jobs: unknown[] }>('/api/jobs')).json.jobs.length;
    const refused = await api.post<{ error: { code: string; message: string; fix?: string } }>('/api/jobs', {
      source: source(), target: target(), plan: { collections: [{ source: coll, target: h.name('bulk_x') }] },
      options: { mode: 'bulk', storage: { endpoint: 'http://127.0.0.1:9', bucket: 'a-bucket', accessKey: 'minio', secretKey: STORAGE_SECRET } },
    });
    assert.ok(refused.status === 422 || refused.status === 400, refused.text);
    assert.match(refused.json.error.code, /BULK/);
    assert.ok(refused.json.error.fix, 'the refusal says what to do instead');
    assert.equal((await api.get<{ jobs: unknown[] }>('/api/jobs')).json.jobs.length, before, 'no job is left behind');
  });
});

describe('secrets', () => {
  it('never puts a credential in any answer', () => {
    for (const body of api.seen) {
      for (const secret of [token, STORAGE_SECRET, ...(apiKey ? [apiKey] : [])]) assert.ok(!body.includes(secret), `a response contains a secret: ${body.slice(0, 300)}`);
    }
  });
});
