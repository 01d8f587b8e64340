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
 * token is `root:Milvus`. Starts in 9-13 s here (the first start on a data dir also unpacks the
 * binary into it), ~800 MB RSS; stops on SIGINT within serve23.py's 15 s grace.
 *
 * Its gRPC ports listen on all interfaces whatever `<component>.ip` says (checked with `ss -ltnp`:
 * the setting only fixes the address each component advertises); its embedded etcd binds 127.0.0.1.
 * So it runs in a network namespace of its own with loopback only (netns23.py: `unshare -n`, or
 * `unshare -rn` when not root), its proxy port and the S3 server bridged across; where no namespace
 * can be made (or Q2M_STANDALONE23_NETNS=0) it runs as before, and says so once.
 * `milvus-server` moves a taken internal port to the next free one, but etcd's peer port 2380 is
 * not configurable, which is what makes it one per machine.
 *
 * `storage` (issue 14): Milvus keeps its segments in an S3 server (testkit/s3/launcher.ts) instead of
 * `<data>/data`, and bulk-import paths are object keys in its bucket (`a-bucket` by default).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVenv } from '../python.ts';
import type { MilvusOptions, MilvusServer, S3Storage } from './launcher.ts';
import {
  descendantPids, detach, freePort, host, portIsFree, spawnServer, waitForShowCollections, waitGone, type ServerProcess,
} from './process.ts';

const serveScript = join(dirname(fileURLToPath(import.meta.url)), 'serve23.py');
const netnsScript = join(dirname(fileURLToPath(import.meta.url)), 'netns23.py');
/** Every component that listens: each binds `ip` (else the first non-loopback address). */
const components = ['proxy', 'rootCoord', 'queryCoord', 'queryNode', 'indexCoord', 'indexNode', 'dataCoord', 'dataNode'];
const stopGraceMs = 30_000;
const authToken = 'root:Milvus';

export async function startStandalone23(opts: MilvusOptions): Promise<MilvusServer> {
  const venv = await ensureVenv('standalone23');
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'q2m-milvus23-')));
  const port = opts.port || (await freePort());
  // A restart right after kill() may find the dead server's sockets still closing: give them a moment.
  for (const until = Date.now() + 20_000; !(await portIsFree(port)) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 250));
  if (!(await portIsFree(port))) {
    throw new Error(`Milvus 2.3.5 cannot start on ${host}:${port}: the port is in use; pick another --port or stop what holds it`);
  }
  const args = [serveScript, '--data', dataDir, '--proxy-port', String(port)];
  for (const c of components) args.push('--extra-config', `${c}.ip=${host}`);
  if (opts.auth) args.push('--authorization-enabled', 'true');
  if (opts.storage) args.push(...storageArgs(opts.storage));
  const netns = await netnsFlag();
  const command = netns
    ? [netnsScript, '--unshare', netns, '--in-port', String(port), ...(opts.storage ? ['--out-port', String(opts.storage.port)] : []), '--', venv.python, ...args]
    : args;
  const proc = spawnServer(venv.python, command, { dataDir, ownsDir });
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
    // A temp data dir is deleted anyway: no graceful shutdown to wait for (2.3.5 takes up to the
    // 15 s grace serve23.py gives its Go binary). A kept data dir gets the graceful stop.
    stop: () => withGoBinary(proc, () => (ownsDir ? proc.stop('SIGKILL', 0) : proc.stop('SIGINT', stopGraceMs))),
    kill: () => withGoBinary(proc, () => proc.kill()),
  };
}

/**
 * Runs `end` (which ends the Python wrapper), then waits for the Go binary too: it dies through
 * PR_SET_PDEATHSIG a moment after the wrapper, and until then holds the ports (a restart on the same
 * port would find it taken) and the machine lock.
 */
async function withGoBinary(proc: ServerProcess, end: () => Promise<void>): Promise<void> {
  const go = proc.child.pid ? descendantPids(proc.child.pid) : [];
  await end();
  await waitGone(go, 30_000, 'the Milvus 2.3.5 Go binary');
}

/** `--extra-config` pairs that put Milvus's storage (segments, and the files it imports) on S3. */
function storageArgs(s: S3Storage): string[] {
  const config: Record<string, string> = {
    'common.storageType': 'minio',
    'minio.address': s.host,
    'minio.port': String(s.port),
    'minio.accessKeyID': s.accessKey,
    'minio.secretAccessKey': s.secretKey,
    'minio.useSSL': 'false',
    'minio.bucketName': s.bucket ?? 'a-bucket',
    'minio.rootPath': s.rootPath ?? 'files',
  };
  return Object.entries(config).flatMap(([k, v]) => ['--extra-config', `${k}=${v}`]);
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
  const gone = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  return waitForShowCollections(port, token, Date.now() + timeoutMs, gone);
}

let netnsProbe: Promise<string | undefined> | undefined;
/**
 * The `unshare` flag that gives Milvus 2.3.5 a network namespace here: `-n` as root, `-rn` (a user
 * namespace too) otherwise; undefined where neither works (containers often forbid both).
 */
function netnsFlag(): Promise<string | undefined> {
  if (process.env.Q2M_STANDALONE23_NETNS === '0') return Promise.resolve(undefined);
  netnsProbe ??= (async () => {
    for (const flag of process.getuid?.() === 0 ? ['-n', '-rn'] : ['-rn', '-n']) {
      const ok = await new Promise<boolean>((resolve) => {
        const child = spawn('unshare', [flag, '--', 'true'], { stdio: 'ignore' });
        child.on('error', () => resolve(false));
        child.on('exit', (code) => resolve(code === 0));
      });
      if (ok) return flag;
    }
    process.stderr.write('[testkit] Milvus 2.3.5 runs without a network namespace (`unshare -n` and `-rn` are not allowed here): its gRPC ports listen on all interfaces\n');
    return undefined;
  })();
  return netnsProbe;
}
