/**
 * The test kit's launchers for the real Milvus builds of the matrix (testkit/milvus): Lite 2.5.1's
 * C++ binary and Milvus 2.3.5 standalone. What a test author relies on: the server answers on
 * 127.0.0.1 at `uri`, a taken port is refused instead of silently shared, stop() frees the process,
 * port and temp dir, kill() keeps the data dir, nothing outlives a SIGKILLed parent (including
 * 2.3.5's Go binary behind its Python wrapper), and a second 2.3.5 waits for the machine lock and
 * then fails naming it. (Lite 3.2.2's launcher: test/integration/milvus-lite-launcher.test.ts.)
 *
 * In test/matrix/ (the matrix's own-servers step), not in `npm test`: it starts Milvus 2.3.5.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startMilvus, type MilvusServer } from '../../testkit/milvus/launcher.ts';
import { repoRoot } from '../../testkit/python.ts';

const started: MilvusServer[] = [];
after(() => Promise.allSettled(started.map((m) => m.stop())));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Direct children of `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the engine in a child node process, then SIGKILLs that process: returns the server's pids. */
async function serverPidsAfterParentKilled(engine: string): Promise<number[]> {
  const script = `
    import { startMilvus } from ${JSON.stringify(join(repoRoot, 'testkit/milvus/launcher.ts'))};
    const m = await startMilvus({ engine: ${JSON.stringify(engine)} });
    console.log('PID ' + m.pid);
    setInterval(() => {}, 1 << 30);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitUntil('the child to print the server pid', () => /PID \d+/.test(out), 240_000);
  const pid = Number(/PID (\d+)/.exec(out)![1]);
  const pids = [pid, ...childrenOf(pid)];
  child.kill('SIGKILL');
  return pids;
}

test('lite25: answers on loopback, refuses a taken port, kill keeps the data, stop frees everything', async () => {
  const t0 = Date.now();
  const milvus = await startMilvus({ engine: 'lite25' });
  started.push(milvus);
  console.log(`# lite25 ready in ${Date.now() - t0} ms`);
  assert.equal(milvus.uri, `http://127.0.0.1:${milvus.port}`);
  const client = new MilvusClient({ address: milvus.uri });
  assert.equal((await client.showCollections()).status.error_code, 'Success');
  await client.closeConnection();
  // gRPC C++ binds with SO_REUSEPORT: without the launcher's check a second server would share the port.
  await assert.rejects(startMilvus({ engine: 'lite25', port: milvus.port }), /port is in use/);

  await milvus.kill();
  assert.equal(isRunning(milvus.pid), false);
  assert.ok(existsSync(milvus.dataDir), 'kill() keeps the data dir');
  const again = await startMilvus({ engine: 'lite25', port: milvus.port, dataDir: milvus.dataDir });
  started.push(again);
  await again.stop();
  assert.equal(isRunning(again.pid), false);
  assert.equal(await canListen(again.port), true, 'port still bound after stop');
  await milvus.stop(); // the first server owned the temp dir: removed now
  assert.equal(existsSync(milvus.dataDir), false, 'temp data dir left behind');
});

test('lite25: the server dies with a SIGKILLed parent', async () => {
  const pids = await serverPidsAfterParentKilled('lite25');
  await waitUntil('the orphaned server to die', () => pids.every((p) => !isRunning(p)));
});

test('standalone23: auth on, one per machine (a second waits, then fails naming the lock), no orphan Go process', async () => {
  const t0 = Date.now();
  const milvus = await startMilvus({ engine: 'standalone23', auth: true });
  started.push(milvus);
  console.log(`# standalone23 ready in ${Date.now() - t0} ms`);
  assert.equal(milvus.token, 'root:Milvus');
  const client = new MilvusClient({ address: milvus.uri, token: milvus.token });
  assert.match((await client.getVersion()).version, /^v2\.3\.5/);
  await client.closeConnection();
  const anonymous = new MilvusClient({ address: milvus.uri, timeout: 10_000 });
  // The SDK connects in its constructor; without a token that connect fails (and later calls rethrow it).
  const refused = await anonymous.connectPromise.then(() => anonymous.showCollections()).then((r) => r.status, (e: unknown) => e);
  assert.notEqual((refused as { error_code?: string }).error_code, 'Success', 'no token, no answer');
  await anonymous.closeConnection();

  process.env.Q2M_LOCK_TIMEOUT_S = '2';
  try {
    await assert.rejects(startMilvus({ engine: 'standalone23' }), /q2m-standalone23\.lock[\s\S]*one per machine/);
  } finally {
    delete process.env.Q2M_LOCK_TIMEOUT_S;
  }

  const goBinary = childrenOf(milvus.pid);
  assert.equal(goBinary.length, 1, 'the wrapper runs one Go process');
  await milvus.kill();
  await waitUntil('the Go binary to die with its wrapper', () => !isRunning(goBinary[0]!));
  assert.ok(existsSync(milvus.dataDir), 'kill() keeps the data dir');
  await milvus.stop();
  assert.equal(existsSync(milvus.dataDir), false);

  const pids = await serverPidsAfterParentKilled('standalone23');
  assert.equal(pids.length, 2, 'wrapper and Go binary');
  await waitUntil('wrapper and Go binary to die with a SIGKILLed parent', () => pids.every((p) => !isRunning(p)), 30_000);
});
