/**
 * Hostile requests against the API, without a port: bodies too large to read, text fields too
 * long to store, a sandboxed frame (`Origin: null`) or a body-less POST trying to cancel a job,
 * and an access token that is blank.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, MAX_BODY_BYTES } from '../../src/api/app.ts';
import { checkAuthToken, startServer } from '../../src/api/server.ts';
import { isMigrationError } from '../../src/core/errors.ts';
import type { MigrationPlan } from '../../src/core/types.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';

const store = JobStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'q2m-hardening-')) });
const HOST = '127.0.0.1:7700';
const app = createApp({ engine: new JobEngine(store), store, allowedHosts: [HOST] });
after(() => {
  app.hub.close();
  store.close();
});

interface ErrorBody {
  error: { code: string; message: string; fix?: string; fields?: Array<{ path: string; message: string }> };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', headers: { host: HOST, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** A body of `total` bytes made on demand, counting what the server pulled. */
function countingBody(total: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

const plan: MigrationPlan = {
  version: 1,
  source: { url: 'http://qdrant:6333' },
  target: { uri: 'http://milvus:19530', database: 'default' },
  collections: [{
    source: 'books', target: 'books', description: '', primaryKey: { field: 'id', type: 'Int64', autoId: false }, vectors: [],
    dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'fail', sourceCount: 10,
  }],
};

describe('request bodies', () => {
  const HUNDRED_MB = 100 * 1024 * 1024;

  it('refuses a body whose Content-Length is over 1 MiB without reading a byte of it', async () => {
    const body = countingBody(HUNDRED_MB);
    const res = await app.request('/api/source/check', {
      method: 'POST',
      headers: { host: HOST, 'content-type': 'application/json', 'content-length': String(HUNDRED_MB) },
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    const { error } = (await res.json()) as ErrorBody;
    assert.equal(error.code, 'BODY_TOO_LARGE');
    assert.match(error.message, /1 MiB/);
    assert.ok(body.pulled() <= 128 * 1024, `read ${body.pulled()} bytes of a body it refused`);
  });

  it('stops reading a streamed body (no Content-Length) as soon as it passes 1 MiB', async () => {
    const body = countingBody(HUNDRED_MB);
    const res = await app.request('/api/jobs', { method: 'POST', headers: { host: HOST, 'content-type': 'application/json' }, body: body.stream, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as ErrorBody).error.code, 'BODY_TOO_LARGE');
    assert.ok(body.pulled() <= MAX_BODY_BYTES + 256 * 1024, `read ${body.pulled()} bytes before refusing`);
  });

  it('refuses a 10 MB description whole, and names the field of a long one that fits the body', async () => {
    const job = (description: string) => ({
      source: { url: 'http://qdrant:6333' },
      target: { uri: 'http://milvus:19530' },
      plan: { collections: [{ source: 'books', description }] },
    });
    const huge = await post('/api/jobs', job('x'.repeat(10 * 1024 * 1024)));
    assert.equal(huge.status, 413);
    const long = await post('/api/jobs', job('x'.repeat(5000)));
    assert.equal(long.status, 400);
    const { error } = (await long.json()) as ErrorBody;
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual(error.fields?.map((f) => f.path), ['plan.collections[0].description']);
    assert.match(error.fields?.[0]?.message ?? '', /at most 4096 characters \(it has 5000\)/);
    assert.equal(store.list().length, 0, 'no job was stored');
  });

  it('limits URLs, credentials and names, naming each field', async () => {
    const res = await post('/api/plan', {
      source: { url: `http://qdrant:6333/${'p'.repeat(3000)}`, apiKey: 'k'.repeat(9000) },
      target: { uri: 'http://milvus:19530', token: 't'.repeat(9000), database: 'd'.repeat(300) },
      collections: ['c'.repeat(300)],
      overrides: [{ source: 'books', target: 'n'.repeat(300), vectors: [{ source: 'v', note: 'z'.repeat(2000) }] }],
    });
    assert.equal(res.status, 400);
    const { error } = (await res.json()) as ErrorBody;
    const paths = (error.fields ?? []).map((f) => f.path).sort();
    assert.deepEqual(paths, [
      'collections[0]', 'overrides[0].target', 'overrides[0].vectors[0].note',
      'source.apiKey', 'source.url', 'target.database', 'target.token',
    ]);
    assert.ok(!JSON.stringify(error).includes('kkkkkkkk'), 'the too-long credential is not echoed');
  });
});

describe('requests that change something', () => {
  const newJob = () => store.create({ source: { url: plan.source.url }, target: plan.target, plan }).id;

  it('refuses Origin: null (a sandboxed frame) on cancel, resume and create; reads still work', async () => {
    const id = newJob();
    for (const path of [`/api/jobs/${id}/cancel`, `/api/jobs/${id}/resume`, '/api/jobs', '/api/source/check']) {
      const res = await post(path, {}, { origin: 'null' });
      assert.equal(res.status, 403, path);
      const { error } = (await res.json()) as ErrorBody;
      assert.equal(error.code, 'ORIGIN_NULL', path);
      assert.match(error.fix ?? '', /console/);
    }
    assert.equal(store.get(id).status, 'PENDING', 'the job was not cancelled');
    const read = await app.request(`/api/jobs/${id}`, { headers: { host: HOST, origin: 'null' } });
    assert.equal(read.status, 200);
  });

  it('refuses cancel and resume without a JSON body, and cancels with one (as the console sends)', async () => {
    const id = newJob();
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const headers: Record<string, string> = type ? { host: HOST, 'content-type': type } : { host: HOST };
      const res = await app.request(`/api/jobs/${id}/cancel`, { method: 'POST', headers, body: type ? 'x=1' : undefined });
      assert.equal(res.status, 415, String(type));
      assert.equal(((await res.json()) as ErrorBody).error.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
    assert.equal(store.get(id).status, 'PENDING', 'the job was not cancelled');
    const ok = await post(`/api/jobs/${id}/cancel`, {}, { origin: `http://${HOST}` });
    assert.equal(ok.status, 200);
    assert.equal(store.get(id).status, 'CANCELLED');
  });
});

describe('the access token', () => {
  it('refuses a blank token, or one HTTP cannot carry, with the fix', async () => {
    for (const token of ['', ' ', '   ', '\t', '\n']) {
      assert.throws(() => checkAuthToken(token), (e) => isMigrationError(e) && e.code === 'SERVE_TOKEN_BLANK' && /--auth-token/.test(e.fix ?? ''), JSON.stringify(token));
    }
    for (const token of [' secret-token', 'secret-token ', 'secret\u0000token']) {
      assert.throws(() => checkAuthToken(token), (e) => isMigrationError(e) && e.code === 'SERVE_TOKEN_INVALID', JSON.stringify(token));
    }
    assert.equal(checkAuthToken('a-real-token'), 'a-real-token');
    assert.equal(checkAuthToken(undefined), undefined);
    const dataDir = mkdtempSync(join(tmpdir(), 'q2m-hardening-serve-'));
    const started = startServer({ host: '127.0.0.1', port: 0, dataDir, authToken: ' ' });
    await assert.rejects(started, (e) => isMigrationError(e) && e.code === 'SERVE_TOKEN_BLANK');
    // Without the check the server would be listening now, unprotected: stop it.
    await started.then((s) => s.stop(), () => undefined);
  });
});
