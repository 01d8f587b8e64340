/**
 * The real-Qdrant launcher (testkit/qdrant/real.ts) and `npm run testkit:qdrant -- --real`: loopback
 * ports, API keys, lossless seeding, a stop that leaves nothing behind, no orphan when the parent is
 * SIGKILLed, and a clear refusal where the binary is absent. Skips, saying why, without the binary.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'lossless-json';
import { dataset } from '../../testkit/datasets/index.ts';
import { repoRoot } from '../../testkit/python.ts';
import { REAL_QDRANT_ABSENT, realQdrantBinary, seedRealQdrant, startRealQdrant, type RealQdrant } from '../../testkit/qdrant/real.ts';

const binary = await realQdrantBinary();
if (!binary) console.warn(`[qdrant-real-launcher] skipped: ${REAL_QDRANT_ABSENT}`);
const skip = binary ? false : REAL_QDRANT_ABSENT;
const cli = join(repoRoot, 'testkit', 'qdrant', 'cli.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (killed, not yet reaped by init) still answers signal 0.
  return !/\bState:\s+Z/.test(readStatus(pid));
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Runs the CLI until it prints its URLs (or exits); returns the child and its output so far. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, output: () => out };
}

describe('real Qdrant launcher', { skip }, () => {
  let q: RealQdrant;
  before(async () => {
    const started = Date.now();
    q = await startRealQdrant({ apiKey: 'launcher-key', readOnlyApiKey: 'launcher-ro' });
    console.log(`[qdrant-real-launcher] ready in ${Date.now() - started} ms`);
  });
  after(() => q?.stop());

  it('listens on loopback with the key enforced, REST and gRPC', async () => {
    assert.match(q.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(q.grpcUrl, `http://127.0.0.1:${q.grpcPort}`);
    const root = (await (await fetch(q.restUrl)).json()) as { version: string };
    assert.equal(root.version, '1.19.0');
    assert.equal((await fetch(`${q.restUrl}/collections`)).status, 401);
    assert.equal((await fetch(`${q.restUrl}/collections`, { headers: { 'api-key': 'launcher-ro' } })).status, 200);
  });

  it('seeds a dataset over REST with ids above 2^53 exact', async () => {
    const ds = dataset('overflow-ids', 20);
    await seedRealQdrant(q.restUrl, 'launcher-key', ds);
    const res = await fetch(`${q.restUrl}/collections/overflow-ids/points/scroll`, {
      method: 'POST', headers: { 'api-key': 'launcher-key', 'content-type': 'application/json' }, body: '{"limit":100}',
    });
    const ids = (parse(await res.text()) as { result: { points: Array<{ id: unknown }> } }).result.points.map((p) => String(p.id));
    assert.deepEqual(ids, [...ds.points()].map((p) => String(p.id)));
  });

  it('stops: process gone, temp dir removed', async () => {
    const other = await startRealQdrant();
    await other.stop();
    assert.equal(alive(other.pid), false);
    assert.equal(existsSync(other.storageDir), false);
  });
});

describe('npm run testkit:qdrant -- --real', { skip }, () => {
  it('loads datasets, prints the URLs, stops on SIGINT, leaves no process', async () => {
    const run = startCli(['--real', '--api-key', 'cli-key', '--dataset', 'basic:30']);
    assert.ok(await waitFor(() => /real Qdrant gRPC/.test(run.output()), 60_000), run.output());
    assert.match(run.output(), /collection basic: 30 points/);
    const pid = Number(/\(pid (\d+)/.exec(run.output())![1]);
    const rest = /real Qdrant REST (\S+)/.exec(run.output())![1]!;
    const count = await fetch(`${rest}/collections/basic/points/count`, {
      method: 'POST', headers: { 'api-key': 'cli-key', 'content-type': 'application/json' }, body: '{"exact":true}',
    });
    assert.deepEqual(((await count.json()) as { result: unknown }).result, { count: 30 });
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
    assert.equal(alive(pid), false);
  });

  it('leaves no orphan when the parent is SIGKILLed (PR_SET_PDEATHSIG)', async () => {
    const run = startCli(['--real']);
    assert.ok(await waitFor(() => /\(pid \d+/.test(run.output()), 60_000), run.output());
    const pid = Number(/\(pid (\d+)/.exec(run.output())![1]);
    assert.equal(alive(pid), true);
    const storage = /storage (\S+);/.exec(run.output())![1]!;
    run.child.kill('SIGKILL');
    await run.exited;
    const gone = await waitFor(() => !alive(pid), 5000);
    if (!gone) process.kill(pid, 'SIGKILL');
    // The parent had no chance to remove the temp dir (documented in real.ts); the test does.
    rmSync(storage, { recursive: true, force: true });
    assert.ok(gone, `qdrant pid ${pid} outlived its parent`);
  });
});

describe('without the binary', () => {
  it('the CLI says so and exits 2', async () => {
    const run = startCli(['--real'], { QDRANT_BIN: 'none' });
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /real Qdrant 1\.19\.0 not found: set QDRANT_BIN/);
  });

  it('a QDRANT_BIN that names no file is an error naming it', async () => {
    const run = startCli(['--real'], { QDRANT_BIN: '/nonexistent/qdrant' });
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /QDRANT_BIN=\/nonexistent\/qdrant: no such file/);
  });
});
