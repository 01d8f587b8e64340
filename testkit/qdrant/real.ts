/**
 * Starts the real Qdrant 1.19 server (the binary in ../shared/qdrant, see its README) for tests and
 * the demo: free loopback ports, a fresh temp working dir, ready when `GET /readyz` answers 200 and
 * the gRPC port accepts connections.
 *
 *   const bin = await realQdrantBinary();       // undefined: no binary here, skip that leg
 *   const qdrant = await startRealQdrant({ apiKey: 'k' });
 *   await seedRealQdrant(qdrant.restUrl, 'k', dataset('basic', 100));
 *   await qdrant.stop();                         // SIGTERM, SIGKILL after a grace period; temp dir removed
 *
 * No registry serves Qdrant, so the binary is an optional test dependency: QDRANT_BIN names one, or
 * the xz archive beside the clone is unpacked once into <repo>/.tmp/qdrant-bin (git-ignored) and
 * checked against the sha256 in the README.
 *
 * Orphans: the server is exec'd through `setpriv --pdeathsig KILL` (or a python3 prctl shim), so the
 * kernel kills it when this process dies, even by SIGKILL; exit and signal handlers stop it too.
 * The temp dir of a server whose parent was SIGKILLed stays behind in the OS temp dir (q2m-qdrant-*).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { createReadStream, existsSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../python.ts';

export { realQdrantRequest, seedRealQdrant } from './real-seed.ts';

export const REAL_QDRANT_VERSION = '1.19.0';
const ARCHIVE = `qdrant-${REAL_QDRANT_VERSION}-x86_64-linux.xz`;
const SHA256 = '9b2188cac8f5345de40efaa9e5f332ceb44ad584e33c1396850e285d069d1c84';
const host = '127.0.0.1';
// Qdrant's graceful shutdown waits for idle keep-alive HTTP connections (a client's connection
// pool keeps it ~4 s); its storage is a temp dir we delete, so a short grace is enough.
const stopGraceMs = 1_500;

export interface RealQdrant {
  /** `http://127.0.0.1:PORT` */
  restUrl: string;
  grpcPort: number;
  /** `http://127.0.0.1:PORT` */
  grpcUrl: string;
  apiKey?: string;
  pid: number;
  /** The server's working dir (storage/, snapshots/); removed on stop. */
  storageDir: string;
  /** SIGTERM (SIGKILL after 1.5 s), waits for exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface RealQdrantOptions {
  apiKey?: string;
  readOnlyApiKey?: string;
  /** Default 30 s (it is ready in well under a second on an idle machine). */
  startTimeoutMs?: number;
}

/** Why the real leg cannot run here; tests print it when they skip. */
export const REAL_QDRANT_ABSENT =
  `real Qdrant ${REAL_QDRANT_VERSION} not found: set QDRANT_BIN to a qdrant binary, or put ` +
  `${ARCHIVE} in ../shared/qdrant beside the clone (see that README)` +
  (process.env.QDRANT_BIN === 'none' ? ' (QDRANT_BIN=none turns the real leg off)' : '');

let binary: Promise<string | undefined> | undefined;

/**
 * QDRANT_BIN, else ../shared/qdrant/<archive> (or /work/shared/qdrant) unpacked once into
 * <repo>/.tmp/qdrant-bin and sha256-checked; undefined when there is neither, or when
 * QDRANT_BIN=none (to run without the real leg on a machine that has it).
 * Throws when QDRANT_BIN names a missing file or the archive unpacks to the wrong bytes.
 */
export function realQdrantBinary(): Promise<string | undefined> {
  return (binary ??= findBinary());
}

async function findBinary(): Promise<string | undefined> {
  const fromEnv = process.env.QDRANT_BIN;
  if (fromEnv === 'none') return undefined;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`QDRANT_BIN=${fromEnv}: no such file; point it at a qdrant binary or unset it`);
    return resolve(fromEnv);
  }
  const archive = [join(repoRoot, '..', 'shared', 'qdrant', ARCHIVE), join('/work/shared/qdrant', ARCHIVE)].find((p) => existsSync(p));
  if (!archive) return undefined;
  const dir = join(repoRoot, '.tmp', 'qdrant-bin');
  const target = join(dir, `qdrant-${REAL_QDRANT_VERSION}`);
  if (existsSync(target) && (await sha256(target)) === SHA256) return target;
  await mkdir(dir, { recursive: true });
  // Unpack to a private name and rename: parallel test files may race to unpack.
  const partial = `${target}.${process.pid}.partial`;
  const xz = spawnSync('sh', ['-c', 'xz -dc "$1" > "$2"', 'sh', archive, partial], { encoding: 'utf8' });
  if (xz.status !== 0) {
    await rm(partial, { force: true });
    throw new Error(`cannot unpack ${archive} (needs xz): ${xz.stderr || xz.error?.message}`);
  }
  const got = await sha256(partial);
  if (got !== SHA256) {
    await rm(partial, { force: true });
    throw new Error(`${archive} unpacked to sha256 ${got}, expected ${SHA256} (README there): replace the archive`);
  }
  await chmod(partial, 0o755);
  await rename(partial, target);
  return target;
}

function sha256(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (c) => hash.update(c)).on('error', rej).on('end', () => res(hash.digest('hex')));
  });
}

const live = new Map<ChildProcess, string>();

export async function startRealQdrant(opts: RealQdrantOptions = {}): Promise<RealQdrant> {
  const bin = await realQdrantBinary();
  if (!bin) throw new Error(REAL_QDRANT_ABSENT);
  // A free port found here can be taken before Qdrant binds it; Qdrant then exits, and we retry.
  for (let attempt = 1; ; attempt++) {
    const [http, grpc] = await twoFreePorts();
    try {
      return await startOnce(bin, http, grpc, opts);
    } catch (err) {
      if (!(err instanceof BindError) || attempt >= 3) throw err;
    }
  }
}

class BindError extends Error {}

async function startOnce(bin: string, http: number, grpc: number, opts: RealQdrantOptions): Promise<RealQdrant> {
  installExitHandlers();
  const dir = await mkdtemp(join(tmpdir(), 'q2m-qdrant-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QDRANT__SERVICE__HOST: host,
    QDRANT__SERVICE__HTTP_PORT: String(http),
    QDRANT__SERVICE__GRPC_PORT: String(grpc),
    QDRANT__STORAGE__STORAGE_PATH: join(dir, 'storage'),
    QDRANT__STORAGE__SNAPSHOTS_PATH: join(dir, 'snapshots'),
    QDRANT__TELEMETRY_DISABLED: 'true',
  };
  delete env.QDRANT__SERVICE__API_KEY;
  delete env.QDRANT__SERVICE__READ_ONLY_API_KEY;
  if (opts.apiKey) env.QDRANT__SERVICE__API_KEY = opts.apiKey;
  if (opts.readOnlyApiKey) env.QDRANT__SERVICE__READ_ONLY_API_KEY = opts.readOnlyApiKey;
  const [cmd, args] = deathSignalWrapper(bin);
  const child = spawn(cmd, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(child, dir);
  const output = keepTail(child);
  const exited = new Promise<string>((res) => {
    child.on('exit', (code, signal) => res(signal ?? `exit code ${code}`));
    child.on('error', (err) => res(err.message));
  });
  void exited.then(() => live.delete(child));

  const started = Date.now();
  const deadline = started + (opts.startTimeoutMs ?? 30_000);
  const done = new AbortController();
  const failure = await Promise.race([
    exited.then((how) => `exited early (${how})`),
    waitReady(http, grpc, deadline, done.signal),
  ]);
  done.abort();
  if (failure !== undefined) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    const log = output();
    const message = `real Qdrant on ${host}:${http}/${grpc} did not start: ${failure}\n--- server output (tail) ---\n${log}`;
    throw /address already in use|Address in use|os error 98/i.test(log) ? new BindError(message) : new Error(message);
  }
  child.unref();
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();
  let stopping: Promise<void> | undefined;
  return {
    restUrl: `http://${host}:${http}`,
    grpcPort: grpc,
    grpcUrl: `http://${host}:${grpc}`,
    apiKey: opts.apiKey,
    pid: child.pid!,
    storageDir: dir,
    stop: () => (stopping ??= stop(child, exited, dir)),
  };
}

/** The kernel kills the server when this process dies (PR_SET_PDEATHSIG), before execing it. */
function deathSignalWrapper(bin: string): [string, string[]] {
  if (spawnSync('setpriv', ['--version']).status === 0) return ['setpriv', ['--pdeathsig', 'KILL', '--', bin]];
  const shim = 'import ctypes,os,signal,sys\n' +
    'ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n' +
    'if os.getppid() != int(sys.argv[1]): sys.exit(1)\n' +
    'os.execv(sys.argv[2], sys.argv[2:])';
  return ['python3', ['-c', shim, String(process.pid), bin]];
}

async function waitReady(http: number, grpc: number, deadline: number, signal: AbortSignal): Promise<string | undefined> {
  let last = 'no answer yet';
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const status = await readyz(http);
      if (status === 200 && (await portOpen(grpc))) return undefined;
      last = status === 200 ? `gRPC port ${grpc} not open` : `GET /readyz answered ${status}`;
    } catch (err) {
      last = `GET /readyz: ${(err as Error).message}`;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return signal.aborted ? 'aborted' : `timed out (${last})`;
}

/** One GET /readyz on its own connection (fetch would keep it alive and slow Qdrant's shutdown). */
function readyz(port: number): Promise<number> {
  return new Promise((res, rej) => {
    const req = httpGet({ host, port, path: '/readyz', agent: false, timeout: 2000 }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', rej);
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, host);
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

async function stop(child: ChildProcess, exited: Promise<string>, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    // Keep this process alive until the server's exit is seen (start() unref'd it).
    child.ref();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}

/** Two distinct ports the kernel considers free now (held open together so they differ). */
async function twoFreePorts(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  const ports = await Promise.all(servers.map((s) => new Promise<number>((res, rej) => {
    s.once('error', rej);
    s.listen(0, host, () => res((s.address() as { port: number }).port));
  })));
  await Promise.all(servers.map((s) => new Promise((res) => s.close(res))));
  return [ports[0]!, ports[1]!];
}

function keepTail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(-8192));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text.trimEnd();
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const [child, dir] of live) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else handles this signal (e.g. cli.ts) and owns a clean stop(); 'exit' is the backstop.
      if (process.listenerCount(sig) > 1) return;
      killAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
