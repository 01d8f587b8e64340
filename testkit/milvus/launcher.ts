/**
 * Starts a real Milvus Lite 3.2.2 server (pure-Python gRPC server from PyPI `milvus-lite`, run from
 * the test kit's venv) for integration tests: one per test file, on its own port and data dir.
 *
 *   const milvus = await startMilvusLite();              // free port, fresh temp dir
 *   const client = new MilvusClient({ address: milvus.uri });
 *   ...
 *   await milvus.stop();                                  // SIGTERM, SIGKILL after a grace period
 *
 * `uri` is `http://127.0.0.1:PORT`: MilvusClient's `address` strips the scheme (plain gRPC, no TLS)
 * and pymilvus's `uri` wants the scheme, so one string serves both.
 *
 * Orphans: the server is spawned in the caller's process group (killing the test runner's group
 * kills it), dies with its parent through PR_SET_PDEATHSIG (see serve.py), and is killed by exit
 * and signal handlers here. Measured start (venv warm, 2 cores): ~1.5-2 s, almost all Python
 * imports.
 *
 * What Milvus Lite 3.2.2 does through @zilliz/milvus2-sdk-node 3.0.6 (probed; the sink and the
 * integration tests rely on these):
 *   - getVersion → `milvus_lite-3.2.2`; checkHealth → isHealthy true.
 *   - createCollection with a schema: Int64 or VarChar primary key (autoID off), FloatVector,
 *     SparseFloatVector, enable_dynamic_field (payload lands in `$meta`, returned as top-level keys).
 *   - Float16Vector / BFloat16Vector / Int8Vector / BinaryVector fields are rejected at createCollection.
 *   - nullable FloatVector fields: SEE PROBE RESULT BELOW.
 *   - insert with an existing primary key overwrites (real Milvus keeps both); upsert also works.
 *   - createIndex needs an explicit index_type; accepted: SEE PROBE RESULT BELOW.
 *   - flush, loadCollection, query by ids (`id in [...]`), count(*) all work.
 *   - describeCollection: the description is NOT kept (comes back empty).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { ensureVenv } from '../python.ts';

export interface MilvusLiteOptions {
  /** 0 or absent: a free port (retried on another one if the bind races). */
  port?: number;
  /** Absent: a fresh temp dir, removed on stop. Given: kept, so a restart sees the same data. */
  dataDir?: string;
  /** How long to wait for the server to answer getVersion. Default 60 s (2 busy cores). */
  startTimeoutMs?: number;
}

export interface MilvusLite {
  /** `http://127.0.0.1:PORT`: pass as MilvusClient `address` (and pymilvus `uri`). */
  uri: string;
  host: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Graceful stop (SIGTERM, SIGKILL after 10 s); waits for exit; removes a temp data dir. Idempotent. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const serveScript = join(dirname(fileURLToPath(import.meta.url)), 'serve.py');
const stopGraceMs = 10_000;
const live = new Map<ChildProcess, { dataDir: string; ownsDir: boolean }>();

export async function startMilvusLite(opts: MilvusLiteOptions = {}): Promise<MilvusLite> {
  const { python } = await ensureVenv();
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'q2m-milvus-')));
  const autoPort = !opts.port;
  // A free port found here can be taken before the server binds it; serve.py turns that into a
  // bind failure (no SO_REUSEPORT), and we try another port.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port || (await freePort());
    try {
      return await startOnce(python, port, dataDir, ownsDir, opts.startTimeoutMs ?? 60_000);
    } catch (err) {
      if (!(autoPort && attempt < 3 && err instanceof BindError)) {
        if (ownsDir) await rm(dataDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

class BindError extends Error {}

async function startOnce(
  python: string, port: number, dataDir: string, ownsDir: boolean, timeoutMs: number,
): Promise<MilvusLite> {
  installExitHandlers();
  const args = [serveScript, 'server', '--data-dir', dataDir, '--host', host, '--port', String(port)];
  const child = spawn(python, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', Q2M_PARENT_PID: String(process.pid) },
  });
  live.set(child, { dataDir, ownsDir });
  const output = tail(child);
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.on('error', (err) => resolve(err.message));
  });
  exited.then(() => live.delete(child));

  const started = Date.now();
  const failure = await Promise.race([
    exited.then((how) => `exited early (${how})`),
    waitReady(port, started + timeoutMs),
  ]);
  if (failure !== undefined) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    const log = output();
    const message = `Milvus Lite on ${host}:${port} did not start: ${failure}\n--- server output (tail) ---\n${log}`;
    throw /Failed to bind|Address already in use/i.test(log) ? new BindError(message) : new Error(message);
  }
  // Let a test process that forgot stop() still exit; the exit handler then kills the server.
  child.unref();
  child.stdout?.unref?.();
  child.stderr?.unref?.();

  let stopping: Promise<void> | undefined;
  return {
    uri: `http://${host}:${port}`,
    host,
    port,
    dataDir,
    pid: child.pid!,
    stop: () => (stopping ??= stop(child, exited, dataDir, ownsDir)),
  };
}

/** Resolves undefined once the SDK sees Milvus Lite, or a reason string when the deadline passes. */
async function waitReady(port: number, deadline: number): Promise<string | undefined> {
  // Poll plain TCP first: a gRPC channel that failed to connect backs off for seconds.
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) return 'timed out waiting for the port to accept connections';
    await sleep(50);
  }
  const client = new MilvusClient({ address: `${host}:${port}`, timeout: Math.max(1000, deadline - Date.now()) });
  try {
    const { version } = await client.getVersion();
    return version.startsWith('milvus_lite') ? undefined : `unexpected server version ${version}`;
  } catch (err) {
    return `getVersion failed: ${(err as Error).message}`;
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
}

async function stop(child: ChildProcess, exited: Promise<string>, dataDir: string, ownsDir: boolean) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await exited;
    clearTimeout(timer);
  }
  if (ownsDir) await rm(dataDir, { recursive: true, force: true });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
  });
}

/** A port the kernel considers free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last ~8 KB of the server's stdout+stderr for error messages. */
function tail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text.trimEnd();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const [child, { dataDir, ownsDir }] of live) {
      child.kill('SIGKILL');
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 2 });
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else handles this signal (e.g. cli.ts): they own a clean stop(); 'exit' is the backstop.
      if (process.listenerCount(signal) > 1) return;
      killAll();
      // Keep the signal's usual meaning: terminate.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
