/**
 * Credentials written into the URLs (`http://user:password@host`, issue 13 defect 11): a secret
 * like an API key. The source sits behind a proxy that asks for HTTP Basic auth, so the job works
 * only if the credentials reach it, also after a crash and `jobs resume` (sealed, then unsealed).
 * Yet the job database's bytes, `jobs show`, error messages and API answers never contain them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../src/api/app.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { cli, cliJson, freshDataDir, jobIdOf, removeDataDir, sourceIds, targetIds, type Run } from '../helpers/jobs.ts';

const SOURCE_USER = 'alice';
const SOURCE_PASSWORD = 'Src-pw-7f3a9c@x';
let h: Harness;
let dataDir: string;
let proxy: Server;
let proxyBase: string;
/** Requests the proxy let through (right credentials). */
let authorized = 0;
let targetPassword: string;
let targetBase: string;
let targetUserinfo: string;

/** A reverse proxy in front of the test server that wants Basic auth, as nginx would. */
async function startBasicAuthProxy(upstream: string): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${SOURCE_USER}:${SOURCE_PASSWORD}`).toString('base64')}`;
  const server = createServer(async (req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="qdrant"', 'content-type': 'text/plain' }).end('Unauthorized');
      return;
    }
    authorized++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'authorization', 'connection', 'content-length'].includes(k)) headers[k] = v;
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(upstream + req.url, { method: req.method, headers, body });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

before(async () => {
  h = await startHarness();
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
  proxy = await startBasicAuthProxy(h.qdrantUrl.replace(/\/+$/, ''));
  proxyBase = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  // The target's credentials go into its URI: the real ones when the target has any.
  targetUserinfo = h.milvusToken?.includes(':') ? h.milvusToken : 'bob:Tgt-pw-2b8e1d';
  targetPassword = targetUserinfo.slice(targetUserinfo.indexOf(':') + 1);
  targetBase = h.milvusUri.replace(/\/+$/, '');
});
after(async () => {
  await new Promise((r) => proxy?.close(r));
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

const withCreds = (base: string, userinfo: string) => base.replace('://', `://${userinfo.split(':').map(encodeURIComponent).join(':')}@`);
const sourceUrl = () => withCreds(proxyBase, `${SOURCE_USER}:${SOURCE_PASSWORD}`);
const env = () => ({ QDRANT_URL: sourceUrl(), QDRANT_API_KEY: undefined, MILVUS_URI: withCreds(targetBase, targetUserinfo), MILVUS_TOKEN: undefined });
const secrets = () => [SOURCE_PASSWORD, encodeURIComponent(SOURCE_PASSWORD), targetPassword, Buffer.from(`${SOURCE_USER}:${SOURCE_PASSWORD}`).toString('base64')];

function assertNoSecret(text: string, where: string): void {
  for (const s of secrets()) assert.ok(!text.includes(s), `${where} contains a credential (${s.slice(0, 3)}…):\n${text}`);
}

describe('credentials in the source URL and target URI', () => {
  let id: string;
  let collection: string;

  it('are used to connect, also by `jobs resume` after a crash, and the copy is exact', async () => {
    collection = await h.seed('basic', 200, { collection: h.name('url_creds') });
    const run: Run = await cli(h, dataDir, ['migrate', '--collections', collection, '--source-rest', '--page-size', '50', '--yes', '--json'], {
      ...env(),
      QDRANT2MILVUS_CRASH_AT: `checkpoint:${collection}:1`,
    });
    assert.equal(run.signal, 'SIGKILL', `expected the crash; exit ${run.code}\n${run.stderr}`);
    assertNoSecret(run.stdout + run.stderr, 'migrate output');
    id = jobIdOf(run.stderr);
    const before = authorized;
    const report = await cliJson<{ ok: boolean }>(h, dataDir, ['jobs', 'resume', id], env());
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.ok(authorized > before, 'the resumed job read the source through the proxy with the sealed credentials');
    assert.deepEqual(await targetIds(h, collection), sourceIds(h, collection));
  });

  it('never reach the job database in plain text', () => {
    for (const file of ['jobs.db', 'jobs.db-wal']) {
      const path = join(dataDir, file);
      if (!existsSync(path)) continue;
      assertNoSecret(readFileSync(path).toString('latin1'), file);
    }
  });

  it('are not printed by `jobs show`, `jobs list` or `jobs logs`, which show the URL without them', async () => {
    for (const args of [['jobs', 'show', id], ['jobs', 'show', id, '--json'], ['jobs', 'list'], ['jobs', 'logs', id]]) {
      const run = await cli(h, dataDir, args, env());
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assertNoSecret(run.stdout + run.stderr, args.join(' '));
    }
    const shown = await cliJson<{ source: { url: string }; target: { uri: string }; plan: unknown }>(h, dataDir, ['jobs', 'show', id], env());
    assert.equal(shown.source.url, proxyBase);
    assert.equal(shown.target.uri, targetBase);
  });

  it('are not echoed by errors: a wrong password, an unreachable host', async () => {
    const wrong = await cli(h, dataDir, ['inspect', '--source-rest'], { ...env(), QDRANT_URL: withCreds(proxyBase, `${SOURCE_USER}:Wrong-pw-51ce`) });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.ok(!wrong.stderr.includes('Wrong-pw-51ce'), wrong.stderr);
    const down = await cli(h, dataDir, ['inspect', '--source-rest'], { ...env(), QDRANT_URL: withCreds('http://127.0.0.1:1', `${SOURCE_USER}:${SOURCE_PASSWORD}`) });
    assert.notEqual(down.code, 0);
    assertNoSecret(down.stdout + down.stderr, 'inspect of an unreachable host');
    const target = await cli(h, dataDir, ['inspect', '--source-rest', '--target-uri', withCreds('http://127.0.0.1:1', targetUserinfo)], env());
    assert.notEqual(target.code, 0);
    assertNoSecret(target.stdout + target.stderr, 'inspect with an unreachable target');
  });

  it('are not in API answers: source check, plan, job views, errors', async () => {
    const store = JobStore.open({ dataDir });
    const app = createApp({ engine: new JobEngine(store), store });
    try {
      const post = async (path: string, body: unknown) => {
        const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, text: await res.text() };
      };
      const check = await post('/api/source/check', { url: sourceUrl() });
      assert.equal(check.status, 200, check.text);
      assert.equal((JSON.parse(check.text) as { url: string }).url, proxyBase);
      assertNoSecret(check.text, '/api/source/check');
      const plan = await post('/api/plan', { source: { url: sourceUrl() }, target: { uri: withCreds(targetBase, targetUserinfo) }, collections: [collection] });
      assert.equal(plan.status, 200, plan.text);
      assertNoSecret(plan.text, '/api/plan');
      const refused = await post('/api/source/check', { url: withCreds('http://127.0.0.1:1', `${SOURCE_USER}:${SOURCE_PASSWORD}`) });
      assert.ok(refused.status >= 400, refused.text);
      assertNoSecret(refused.text, 'an API error');
      for (const path of ['/api/jobs', `/api/jobs/${id}`, `/api/jobs/${id}/errors`]) {
        const res = await app.request(path);
        assert.equal(res.status, 200);
        assertNoSecret(await res.text(), path);
      }
    } finally {
      app.hub.close();
      store.close();
    }
  });
});
