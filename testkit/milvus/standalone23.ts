/**
 * The standalone23 engine: Milvus 2.3.5 standalone (PyPI `milvus==2.3.5`, "embedded Milvus"), the
 * real Go proxy, coordinators, nodes and embedded etcd in one process, run through serve23.py:
 *
 *   milvus-server --data DIR --proxy-port P --extra-config <component>.ip=127.0.0.1 ... [--authorization-enabled true]
 *
 * Use it through startMilvus({ engine: 'standalone23' }).
 *
 * One per machine: its internal ports are fixed, so serve23.py holds an flock on
 * /tmp/q2m-standalone23.lock (Q2M_STANDALONE23_LOCK) for the server's lifetime; a second caller
 * waits (Q2M_LOCK_TIMEOUT_S, default 600 s) and then fails naming the holder's pid. The start
 * timeout counts from the moment the lock is held.
 *
 * Readiness: ShowCollections answers Success. A restart on the same data dir after kill() may
 * answer DEADLINE_EXCEEDED or "not ready" for a few seconds: readiness retries through that.
 * It reports `v2.3.5-lite`; one vector field per collection; no sparse, no float16; with auth the
 * token is `root:Milvus`. Starts in 10-20 s (the first start on a data dir also unpacks the binary
 * into it), ~800 MB RSS; stops on SIGINT.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { ensureVenv } from '../python.ts';
import type { MilvusOptions, MilvusServer } from './launcher.ts';
import { detach, freePort, host, portIsFree, sleep, spawnServer, type ServerProcess } from './process.ts';

const serveScript = join(dirname(fileURLToPath(import.meta.url)), 'serve23.py');
/** Every component that listens: each binds `ip` (else the first non-loopback address). */
const components = ['proxy', 'rootCoord', 'queryCoord', 'queryNode', 'indexCoord', 'indexNode', 'dataCoord', 'dataNode'];
const stopGraceMs = 30_000;
const authToken = 'root:Milvus';

export async function startStandalone23(opts: MilvusOptions): Promise<MilvusServer> {
  const venv = await ensureVenv('standalone23');
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'q2m-milvus23-')));
  const port = opts.port || (await freePort());
  if (!(await portIsFree(port))) {
    throw new Error(`Milvus 2.3.5 cannot start on ${host}:${port}: the port is in use; pick another --port or stop what holds it`);
  }
  const args = [serveScript, '--data', dataDir, '--proxy-port', String(port)];
  for (const c of components) args.push('--extra-config', `${c}.ip=${host}`);
  if (opts.auth) args.push('--authorization-enabled', 'true');
  const proc = spawnServer(venv.python, args, { dataDir, ownsDir });
  const token = opts.auth ? authToken : undefined;

  const failure = await Promise.race([
    proc.exited.then((how) => `exited early (${how})`),
    waitReady(port, token, proc, opts.startTimeoutMs ?? 180_000),
  ]);
  if (failure !== undefined) {
    const goLog = await readFile(join(dataDir, 'logs', 'milvus-stderr.log'), 'utf8').catch(() => '');
    await proc.kill();
    await proc.stop('SIGKILL', 0); // removes an owned temp dir
    throw new Error(
      `Milvus 2.3.5 on ${host}:${port} did not start: ${failure}\n--- launcher output (tail) ---\n${proc.output()}` +
        (goLog ? `\n--- milvus-stderr.log (tail) ---\n${goLog.slice(-4000)}` : ''),
    );
  }
  detach(proc.child);
  return {
    engine: 'standalone23',
    uri: `http://${host}:${port}`,
    token,
    host,
    port,
    dataDir,
    pid: proc.child.pid!,
    stop: () => proc.stop('SIGINT', stopGraceMs),
    kill: () => proc.kill(),
  };
}

/** Resolves undefined once ShowCollections answers Success, or a reason string. */
async function waitReady(port: number, token: string | undefined, proc: ServerProcess, timeoutMs: number): Promise<string | undefined> {
  // The lock wait is not part of the start timeout: a matrix may queue behind another test's server.
  void proc.printed(/q2m: waiting for/).then(() => {
    // Say why nothing happens: another Milvus 2.3.5 holds the machine (its ports are fixed).
    const line = proc.output().split('\n').find((l) => l.includes('q2m: waiting for'));
    if (line && !proc.output().includes('q2m: lock held')) process.stderr.write(`[testkit] ${line.trim()}\n`);
  });
  const locked = await Promise.race([
    proc.printed(/q2m: lock held/).then(() => true),
    proc.exited.then(() => false),
  ]);
  if (!locked) return 'exited before taking the machine lock';
  const deadline = Date.now() + timeoutMs;
  const client = new MilvusClient({
    address: `${host}:${port}`,
    token,
    timeout: 5000,
    // The SDK's default keepalive (a ping every 10 s, also without calls, and on after
    // closeConnection()) makes Milvus answer GOAWAY "too_many_pings", which grpc-js prints
    // on stderr of whatever process started the server: the sink's settings (src/milvus/client.ts).
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 },
  });
  // The SDK connects in its constructor; before the proxy listens that rejects, and unhandled it
  // fails the calling test file ("asynchronous activity after the test ended"). Polling below reports.
  client.connectPromise.catch(() => undefined);
  let lastError = 'no answer yet';
  try {
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return 'exited';
      try {
        const res = await client.showCollections();
        if (res.status?.error_code === 'Success') return undefined;
        lastError = JSON.stringify(res.status ?? res);
      } catch (err) {
        // Before the proxy listens: connection refused; after a kill/restart: DEADLINE_EXCEEDED for a while.
        lastError = (err as Error).message;
      }
      await sleep(500);
    }
    return `timed out after ${timeoutMs} ms; last answer: ${lastError}`;
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
}
