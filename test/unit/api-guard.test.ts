/**
 * What keeps a left-running `serve` safe, without a port: loopback by default and a token
 * required elsewhere, the Host and Origin guards, and a static handler that serves only the
 * console's own files.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/api/app.ts';
import { checkBinding, isLoopback } from '../../src/api/server.ts';
import { serveConsole } from '../../src/api/static.ts';
import { isMigrationError } from '../../src/core/errors.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';

const store = JobStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'q2m-guard-')) });
after(() => store.close());

describe('serve binding', () => {
  it('binds loopback freely and refuses any other address without a token', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
      assert.equal(isLoopback(host), true, host);
      checkBinding(host, undefined);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com']) {
      assert.throws(() => checkBinding(host, undefined), (e) => isMigrationError(e) && e.code === 'SERVE_TOKEN_REQUIRED' && /--auth-token/.test(e.fix ?? ''));
      checkBinding(host, 'a-token');
    }
  });
});

describe('request guards', () => {
  const app = createApp({ engine: new JobEngine(store), store, allowedHosts: ['127.0.0.1:7700', 'localhost:7700'] });
  after(() => app.hub.close());

  it('answers only to the Host names it was given (DNS rebinding)', async () => {
    assert.equal((await app.request('/api/jobs', { headers: { host: '127.0.0.1:7700' } })).status, 200);
    const rebound = await app.request('/api/jobs', { headers: { host: 'attacker.example:7700' } });
    assert.equal(rebound.status, 403);
    assert.equal(((await rebound.json()) as { error: { code: string } }).error.code, 'HOST_NOT_ALLOWED');
  });

  it('refuses requests another web site makes through the browser, and bodies that are not JSON', async () => {
    const cross = await app.request('/api/jobs', { method: 'POST', headers: { host: 'localhost:7700', origin: 'https://attacker.example' } });
    assert.equal(cross.status, 403);
    const sameSite = await app.request('/api/source/check', { method: 'POST', headers: { host: 'localhost:7700', origin: 'http://localhost:7700', 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(sameSite.status, 415);
  });
});

describe('console files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'q2m-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'q2m-outside.txt'), 'secret');
  const app = createApp({ engine: new JobEngine(store), store, web: serveConsole(dir) });
  after(() => app.hub.close());

  it('serves index.html at / and hashed assets as immutable, with a strict CSP', async () => {
    const index = await app.request('/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const asset = await app.request('/assets/app-1234.js');
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
  });

  it('serves nothing outside its directory', async () => {
    for (const path of ['/../q2m-outside.txt', '/%2e%2e/q2m-outside.txt', '/assets/../../q2m-outside.txt']) {
      const res = await app.request(path);
      assert.equal(res.status, 404, path);
    }
  });

  it('says how to build the console when it is not built', async () => {
    const bare = createApp({ engine: new JobEngine(store), store, web: serveConsole(join(dir, 'missing')) });
    const res = await bare.request('/');
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build:web/);
    bare.hub.close();
  });
});
