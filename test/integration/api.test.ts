/**
 * The HTTP API, route by route, without opening a port (`app.request()`), against the harness's
 * source and target (the Qdrant test server and Milvus Lite by default; a real Qdrant and any Milvus
 * engine on the test matrix's legs): happy paths, 400 field messages, 401, 404, 409, every JSON
 * answer checked against /api/openapi.json, and no credential in any answer. Issue 11: "Full verify"
 * and "Sync" of a finished migration (jobs of their own, passes, "in sync at"), the source changed
 * in between through Qdrant's REST API; issue 14: bulk mode refused, with the reason, where the
 * target has no import jobs.
 *
 * Honest on real servers: the source key and target token are the ones the servers really use
 * (made-up ones only where the server ignores them: the test server's key is ours to choose, the
 * Lites ignore tokens), names come from h.name() and are dropped by the harness, the target's kind
 * is what its probe says, and the one test that needs fault injection skips, saying so, without the
 * test server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { createApp, type ApiApp } from '../../src/api/app.ts';
import type { FollowUpView, JobDetailView, JobEvent, PlanView, SourceCollectionsView } from '../../src/api/schemas/responses.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

/** The key of a source the harness starts; a user's Qdrant (QDRANT_URL) has its own (QDRANT_API_KEY). */
const OWN_API_KEY = 'api-test-source-key-5b1e0c';
/** Milvus Lite ignores tokens, so a made-up one proves where a token never goes; a server with
 *  authorization gets its real one (the harness's MILVUS_TOKEN). */
const FAKE_TOKEN = 'root:api-test-target-token-93d1';
const ACCESS = 'api-test-access-token-1f7a42';
const STORAGE_SECRET = 'api-test-storage-secret-77aa';

let h: Harness;
let store: JobStore;
let engine: JobEngine;
let app: ApiApp;
let api: ApiClient;
let basic: string;
let manhattan: string;
let apiKey: string | undefined;
let token: string;
/** Issue 11: the collection the full-verify and sync tests migrate, then change. */
let coll: string;
let migration: string;
const source = () => ({ url: h.qdrantUrl, ...(apiKey !== undefined && { apiKey }) });
const target = () => ({ uri: h.milvusUri, token, database: h.milvusDb });

before(async () => {
  h = await startHarness({ apiKey: OWN_API_KEY });
  console.log(`# ${h.describe()}`);
  apiKey = h.qdrantApiKey;
  token = h.milvusToken ?? FAKE_TOKEN;
  basic = await h.seed('basic', 300, { collection: h.name('api_basic') });
  manhattan = await h.seed('manhattan', 40, { collection: h.name('api_manhattan') });
  store = JobStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'q2m-api-')) });
  engine = new JobEngine(store, { syncEveryMs: 200 });
  app = createApp({ engine, store, authToken: ACCESS, hub: { pollMs: 200, throttleMs: 50 } });
  api = new ApiClient(app, ACCESS);
});

after(async () => {
  for (const id of engine.activeJobs()) engine.cancel(id);
  while (engine.activeJobs().length > 0) await new Promise((r) => setTimeout(r, 100));
  app?.hub.close();
  store?.close();
  await h?.stop();
});

async function waitFor(id: string, done: (job: JobDetailView) => boolean, timeoutMs = 90_000): Promise<JobDetailView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api.get<JobDetailView>(`/api/jobs/${id}`);
    if (done(json)) return json;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${json.status}: ${JSON.stringify(json.collections)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('access', () => {
  it('needs the access token on every /api route when one is set (401 otherwise)', async () => {
    for (const [method, path] of [['GET', '/api/jobs'], ['GET', '/api/openapi.json'], ['POST', '/api/source/check'], ['GET', '/api/events']]) {
      const none = await api.raw(method!, path!, { auth: false });
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.equal((none.json as { error: { code: string } }).error.code, 'UNAUTHORIZED');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const wrong = await api.raw('GET', '/api/jobs', { auth: false, headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal((await api.get('/api/jobs')).status, 200);
  });

  it('refuses requests from other web sites and serves a truthful OpenAPI 3.1 document', async () => {
    const cross = await api.raw('POST', '/api/jobs/x/cancel', { headers: { origin: 'https://evil.example', host: 'localhost' } });
    assert.equal(cross.status, 403);
    const doc = await api.openapi();
    assert.equal(doc.openapi, '3.1.0');
    const paths = Object.keys(doc.paths as object);
    for (const p of ['/api/source/check', '/api/source/collections', '/api/plan', '/api/target/check-name', '/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/cancel', '/api/jobs/{id}/resume', '/api/jobs/{id}/errors', '/api/jobs/{id}/verification', '/api/jobs/{id}/events', '/api/events']) {
      assert.ok(paths.includes(p), `${p} documented`);
    }
    const unknown = await api.raw('GET', '/api/nothing-here');
    assert.equal(unknown.status, 404);
  });
});

describe('wizard routes', () => {
  it('tests the source: version on success, the reason on a bad key, field messages on bad input', async (t) => {
    const ok = await api.post<{ version: string; collections: number }>('/api/source/check', source());
    assert.equal(ok.status, 200);
    assert.ok(ok.json.collections >= 2);
    if (apiKey === undefined) {
      t.diagnostic('bad-key check skipped: the source (QDRANT_URL) has no API key, so every key is accepted');
    } else {
      const badKey = await api.post<{ error: { code: string; message: string } }>('/api/source/check', { url: h.qdrantUrl, apiKey: 'wrong-key-123456' });
      assert.equal(badKey.status, 422);
      assert.equal(badKey.json.error.code, 'SOURCE_UNAUTHORIZED');
    }
    const bad = await api.post<{ error: { code: string; fields: Array<{ path: string }> } }>('/api/source/check', { url: 'ftp://x', apiKey: 5, other: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(bad.json.error.fields.map((f) => f.path).sort(), ['apiKey', 'other', 'url']);
    const missing = await api.post<{ error: { fields: Array<{ path: string; message: string }> } }>('/api/source/check', {});
    assert.deepEqual(missing.json.error.fields, [{ path: 'url', message: 'is required' }]);
    assert.equal((await api.raw('POST', '/api/source/check', { body: 'url=x' })).status, 415);
    assert.equal((await api.raw('POST', '/api/source/check', { body: '{', headers: { 'content-type': 'application/json' } })).status, 400);
  });

  it('lists collections with counts, vectors, id kinds and readiness, judged against the target when given', async () => {
    const plain = await api.post<SourceCollectionsView>('/api/source/collections', { source: source() });
    assert.equal(plain.status, 200);
    const b = plain.json.collections.find((c) => c.name === basic)!;
    assert.equal(b.pointsCount, 300);
    assert.equal(b.migratable, true);
    assert.ok(b.vectors.length > 0);
    const m = plain.json.collections.find((c) => c.name === manhattan)!;
    assert.equal(m.migratable, false);
    assert.ok(m.problems.some((p) => p.code === 'MANHATTAN_METRIC' && p.path?.startsWith('vectors')));
    const judged = await api.post<SourceCollectionsView>('/api/source/collections', { source: source(), target: target(), collections: [basic] });
    // What the target is comes from its own answers (probes), not from an assumed kind of Milvus.
    const caps = await h.capabilities();
    assert.equal(judged.json.judgedAgainst.kind, caps.kind);
    assert.equal(judged.json.judgedAgainst.version, caps.version);
    assert.deepEqual(judged.json.collections.map((c) => c.name), [basic]);
  });

  it('plans through buildPlan, with edits as overrides and each problem where it belongs', async () => {
    const plain = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [basic] });
    assert.equal(plain.status, 200);
    assert.deepEqual(plain.json.problems.filter((p) => p.severity === 'error'), []);
    const vector = plain.json.plan.collections[0]!.vectors[0]!;
    const edited = await api.post<PlanView>('/api/plan', {
      source: source(), target: target(), collections: [basic],
      overrides: [{ source: basic, target: h.name('api_renamed'), vectors: [{ source: vector.source, field: 'embedding' }] }],
    });
    assert.equal(edited.json.plan.collections[0]!.target, h.name('api_renamed'));
    assert.equal(edited.json.plan.collections[0]!.vectors[0]!.field, 'embedding');
    const invalid = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [basic], overrides: [{ source: basic, target: '1-bad' }] });
    assert.ok(invalid.json.problems.some((p) => p.code === 'INVALID_NAME' && p.path === 'target'));
    const dup = await api.post<{ error: { fields: Array<{ path: string }> } }>('/api/plan', { source: source(), target: target(), collections: [basic], overrides: [{ source: basic }, { source: basic }] });
    assert.equal(dup.status, 400);
    assert.deepEqual(dup.json.error.fields.map((f) => f.path), ['overrides[1].source']);
    const typo = await api.post<{ error: { fields: Array<{ path: string }> } }>('/api/plan', { source: source(), target: target(), collections: [basic], overrides: [{ source: basic, vectors: [{ source: '', colour: 1 }] }] });
    assert.deepEqual(typo.json.error.fields.map((f) => f.path), ['overrides[0].vectors[0].colour']);
    const none = await api.post<{ error: { fields: Array<{ path: string }> } }>('/api/plan', { source: source(), target: target(), collections: [] });
    assert.deepEqual(none.json.error.fields.map((f) => f.path), ['collections']);
    const unknown = await api.post<{ error: { code: string } }>('/api/plan', { source: source(), target: target(), collections: ['nope'] });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.json.error.code, 'SOURCE_COLLECTION_NOT_FOUND');
  });

  it('checks target names: invalid, free, taken', async () => {
    const free = await api.post<{ available: boolean }>('/api/target/check-name', { target: target(), name: h.name('api_free_name') });
    assert.equal(free.json.available, true);
    const invalid = await api.post<{ valid: boolean; available: boolean; message: string }>('/api/target/check-name', { target: target(), name: 'has-hyphen' });
    assert.deepEqual([invalid.json.valid, invalid.json.available], [false, false]);
    assert.match(invalid.json.message, /not a valid Milvus name/);
    await h.milvus.createCollection({
      collection_name: h.name('api_taken'),
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 4 }],
    });
    const taken = await api.post<{ exists: boolean; available: boolean; message: string }>('/api/target/check-name', { target: target(), name: h.name('api_taken') });
    assert.deepEqual([taken.json.exists, taken.json.available], [true, false]);
    assert.match(taken.json.message, /already exists/);
  });
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
    coll = await h.seed('basic', 200, { collection: h.name('api_live') });
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
    if (h.targetEngine !== 'lite3' && h.targetEngine !== 'lite25') return t.skip(`the target (${h.targetEngine ?? 'a user server'}) may run import jobs; the refusal needs Milvus Lite`);
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
    // The storage's format / api / file size / region reach the job: `api: rest` is probed as REST.
    const storage = { endpoint: 'http://127.0.0.1:9', bucket: 'a-bucket', accessKey: 'minio', secretKey: STORAGE_SECRET, format: 'json', api: 'rest', fileKb: 1024, region: 'eu-west-1' };
    const rest = await api.post<{ error: { code: string; message: string } }>('/api/jobs', {
      source: source(), target: target(), plan: { collections: [{ source: coll, target: h.name('bulk_x') }] }, options: { mode: 'bulk', storage },
    });
    assert.equal(rest.json.error.code, 'BULK_UNSUPPORTED', rest.text);
    assert.match(rest.json.error.message, /no REST import API/);
    const badFormat = await api.post<{ error: { fields: Array<{ path: string }> } }>('/api/jobs', {
      source: source(), target: target(), plan: { collections: [{ source: coll, target: h.name('bulk_x') }] }, options: { mode: 'bulk', storage: { ...storage, format: 'csv' } },
    });
    assert.equal(badFormat.status, 400);
    assert.deepEqual(badFormat.json.error.fields.map((f) => f.path), ['options.storage.format']);
    assert.doesNotMatch(rest.text + badFormat.text, new RegExp(STORAGE_SECRET));
  });
});

describe('jobs', () => {
  let jobId: string;

  it('refuses a plan with errors (400 with the problems) and leaves no job behind', async () => {
    const before = (await api.get<{ jobs: unknown[] }>('/api/jobs')).json.jobs.length;
    const res = await api.post<{ error: { code: string; problems: Array<{ code: string }> } }>('/api/jobs', { source: source(), target: target(), plan: { collections: [{ source: manhattan }] } });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'PLAN_HAS_ERRORS');
    assert.ok(res.json.error.problems.some((p) => p.code === 'MANHATTAN_METRIC'));
    assert.equal((await api.get<{ jobs: unknown[] }>('/api/jobs')).json.jobs.length, before);
  });

  it('creates a job that runs in the server and ends SUCCESSFUL and verified', async () => {
    const jobTarget = h.name('api_job_one');
    const created = await api.post<{ id: string; status: string }>('/api/jobs', { source: source(), target: target(), plan: { collections: [{ source: basic, target: jobTarget }] }, options: { verifySample: 20 } });
    assert.equal(created.status, 201, created.text);
    jobId = created.json.id;
    const job = await waitFor(jobId, (j) => j.status !== 'IN_PROGRESS' && j.status !== 'PENDING');
    assert.equal(job.status, 'SUCCESSFUL', JSON.stringify(job.error));
    assert.deepEqual(job.source, { url: h.qdrantUrl, hasApiKey: apiKey !== undefined });
    assert.equal(job.target.hasToken, true);
    assert.deepEqual(job.collections.map((c) => [c.target, c.written, c.percent, c.sourceCount, c.targetCount, c.verified]), [[jobTarget, 300, 100, 300, 300, true]]);
    assert.equal(job.options.verifySample, 20);
    const list = await api.get<{ jobs: Array<{ id: string }> }>('/api/jobs?status=SUCCESSFUL&limit=5');
    assert.ok(list.json.jobs.some((j) => j.id === jobId));
    const v = await api.get<{ verified: boolean; collections: Array<{ sourceCount: number; targetCount: number }> }>(`/api/jobs/${jobId}/verification`);
    assert.equal(v.json.verified, true);
    assert.deepEqual(v.json.collections.map((c) => [c.sourceCount, c.targetCount]), [[300, 300]]);
    const errors = await api.get<{ total: number; entries: unknown[] }>(`/api/jobs/${jobId}/errors?offset=0&limit=10`);
    assert.deepEqual([errors.json.total, errors.json.entries.length], [0, 0]);
  });

  it('answers 400 for bad paging, 404 for unknown jobs, 409 for a finished job', async () => {
    const bad = await api.get<{ error: { fields: Array<{ path: string; message: string }> } }>(`/api/jobs/${jobId}/errors?offset=-1&limit=0`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.error.fields.map((f) => f.path).sort(), ['limit', 'offset']);
    for (const [method, path] of [['GET', ''], ['POST', '/cancel'], ['POST', '/resume'], ['GET', '/errors'], ['GET', '/verification']] as const) {
      const res = method === 'GET' ? await api.get<{ error: { code: string } }>(`/api/jobs/nope${path}`) : await api.post<{ error: { code: string } }>(`/api/jobs/nope${path}`);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.json.error.code, 'JOB_NOT_FOUND');
    }
    assert.equal((await api.events('/api/jobs/nope/events')).status, 404);
    const cancel = await api.post<{ outcome: string; status: string }>(`/api/jobs/${jobId}/cancel`);
    assert.deepEqual([cancel.status, cancel.json.outcome, cancel.json.status], [200, 'finished', 'SUCCESSFUL']);
    const resume = await api.post<{ error: { code: string } }>(`/api/jobs/${jobId}/resume`);
    assert.deepEqual([resume.status, resume.json.error.code], [409, 'JOB_FINISHED']);
  });

  it('streams live events, cancels a running job and resumes it to SUCCESSFUL', async (t) => {
    // Cancelling mid-copy needs a copy slow enough to catch: fault injection on the test server.
    if (!h.testServer) return t.skip(`needs the Qdrant test server to slow the copy down; the source is ${h.sourceKind}`);
    const slow = await h.seed('basic', 1500, { collection: h.name('api_slow') });
    h.testServer!.faults.configure({ rules: [{ route: 'POST /collections/*/points/scroll', latencyMs: 250 }] });
    const all = await api.events('/api/events');
    assert.match(all.contentType, /^text\/event-stream/);
    const created = await api.post<{ id: string }>('/api/jobs', { source: source(), target: target(), plan: { collections: [{ source: slow }] }, options: { pageSize: 50 } });
    assert.equal(created.status, 201, created.text);
    const id = created.json.id;
    const one = await api.events(`/api/jobs/${id}/events`);
    const first = await one.next();
    assert.equal(first.event, 'snapshot');
    await api.assertSchema('JobEvent', first.data);
    await one.close();

    const seen: JobEvent[] = [];
    for (;;) {
      const { event, data } = await all.next();
      await api.assertSchema('JobEvent', data);
      const e = data as JobEvent;
      assert.equal(event, e.type);
      if (e.type !== 'snapshot' && e.jobId === id) seen.push(e);
      if (e.type === 'progress' && e.jobId === id && e.written > 0) break;
    }
    const cancel = await api.post<{ outcome: string }>(`/api/jobs/${id}/cancel`);
    assert.equal(cancel.status, 202);
    assert.equal(cancel.json.outcome, 'requested');
    const cancelled = await waitFor(id, (j) => j.status === 'CANCELLED', 30_000);
    assert.ok(cancelled.collections[0]!.written < 1500);
    h.testServer!.faults.clear();
    const resumed = await api.post<{ status: string }>(`/api/jobs/${id}/resume`);
    assert.equal(resumed.status, 202);
    const done = await waitFor(id, (j) => j.status === 'SUCCESSFUL' || j.status === 'FAILED');
    assert.equal(done.status, 'SUCCESSFUL', JSON.stringify(done.error));
    assert.equal(done.collections[0]!.targetCount, 1500);
    await all.close();
    assert.ok(seen.some((e) => e.type === 'status' && e.status === 'IN_PROGRESS'));
    assert.ok(seen.some((e) => e.type === 'collection'));
  });

  it('never puts a credential in any answer', () => {
    assert.ok(api.seen.length > 20);
    for (const body of api.seen) {
      const secrets = [token, Buffer.from(token).toString('base64'), ACCESS, STORAGE_SECRET, ...(apiKey ? [apiKey] : [])];
      // The made-up token's password part too; a real one (root:Milvus) has a word that messages may use.
      if (token === FAKE_TOKEN) secrets.push('api-test-target-token-93d1');
      for (const secret of secrets) {
        assert.ok(!body.includes(secret), `a response contains a secret: ${body.slice(0, 300)}`);
      }
    }
  });
});
