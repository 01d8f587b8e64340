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
 * and signal handlers here. Measured (venv warm, 2 shared cores): start ~1.2-1.5 s to a
 * getVersion answer, almost all of it Python imports; stop ~0.2 s.
 *
 * What Milvus Lite 3.2.2 does through @zilliz/milvus2-sdk-node 3.0.6 (probed; sink code and
 * integration tests may rely on these, and must not treat them as real-Milvus behaviour):
 *   - getVersion → `milvus_lite-3.2.2`; checkHealth → isHealthy true; one database `default`
 *     (createDatabase works).
 *   - createCollection: Int64 or VarChar primary key (autoID off), FloatVector, SparseFloatVector,
 *     enable_dynamic_field (extra keys land in `$meta`). Five vector fields are accepted (no limit
 *     of 4). Float16Vector, BFloat16Vector, Int8Vector, BinaryVector: createCollection rejects them
 *     (error_code 6, "... which MilvusLite does not support"; the SDK throws the status object,
 *     not an Error). An Array-of-Struct field is accepted but silently DROPPED from the schema.
 *   - Nullable FloatVector: accepted and described as nullable, but a null or absent vector is
 *     stored and returned as all zeros, and `v is null` filters are rejected: treat nullable
 *     vectors as unsupported here.
 *   - insert with an existing primary key overwrites (real Milvus keeps both); upsert works and
 *     reports upsert_cnt. Int64 ids above 2^53 round-trip exactly (as strings).
 *   - createIndex without index_type → error_code 6 "missing required 'index_type'". FloatVector
 *     accepts any index_type string (FLAT, HNSW, AUTOINDEX, IVF_FLAT, IVF_SQ8, IVF_PQ, DISKANN,
 *     SCANN, even "BOGUS"): it is stored as metadata only. SparseFloatVector accepts only
 *     SPARSE_INVERTED_INDEX with IP (SPARSE_WAND, AUTOINDEX, BM25 rejected, error_code 6).
 *     A second createIndex on a field → code 35 "index already exists"; dropIndex on a loaded
 *     collection → error_code 6 "call release() first". index_params in createCollection work.
 *   - Collections are loaded from creation (getLoadState → LoadStateLoaded, before any index);
 *     flush / flushSync, loadCollection, releaseCollection work; query on a released collection
 *     → error_code 101. Query by ids (`id in [...]`), get, count(*) and count() work.
 *   - describeCollection: the description is NOT kept (empty), nor collection properties.
 *   - Errors come back as statuses (code 100 CollectionNotExists, 6 bad argument); insert into a
 *     missing collection makes the SDK throw the describeCollection response.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
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
  const { output, listening } = watchOutput(child);
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.on('error', (err) => resolve(err.message));
  });
  exited.then(() => live.delete(child));

  const giveUp = new AbortController();
  const failure = await Promise.race([
    exited.then((how) => `exited early (${how})`),
    waitReady(port, listening, Date.now() + timeoutMs, giveUp.signal),
  ]);
  giveUp.abort(); // stops a health check still running after the server died
  if (failure !== undefined) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    const log = output();
    const message = `Milvus Lite on ${host}:${port} did not start: ${failure}\n--- server output (tail) ---\n${log}`;
    throw /Failed to bind|Address already in use/i.test(log) ? new BindError(message) : new Error(message);
  }
  // Let a test process that forgot stop() still exit; the exit handler then kills the server.
  child.unref();
  // With stdio 'pipe' these are net.Sockets, though typed as plain Readables.
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();

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

/** Resolves undefined once the SDK sees our Milvus Lite, or a reason string on failure. */
async function waitReady(
  port: number, listening: Promise<void>, deadline: number, signal: AbortSignal,
): Promise<string | undefined> {
  // Wait for the server's own "listening" line rather than polling the port: the port may answer
  // for another server (an explicit port already in use) while ours is still importing and about
  // to fail its bind. Without SO_REUSEPORT (serve.py) the line proves the port is ours.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timed out waiting for "listening on"'), Math.max(0, deadline - Date.now()));
  });
  const aborted = new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('aborted')));
  const early = await Promise.race([listening.then(() => undefined), timedOut, aborted]);
  clearTimeout(timer);
  if (early !== undefined) return early;
  const client = new MilvusClient({
    address: `${host}:${port}`,
    timeout: Math.max(1000, deadline - Date.now()),
    // grpc-js shares connections per address across clients by default: a connection stuck on
    // whatever held this port before (a failed attempt) would stall every later client.
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
  });
  const close = () => void client.closeConnection().catch(() => undefined);
  signal.addEventListener('abort', close, { once: true });
  try {
    const { version } = await client.getVersion();
    return version.startsWith('milvus_lite') ? undefined : `unexpected server version ${version}`;
  } catch (err) {
    return `getVersion failed: ${(err as Error).message}`;
  } finally {
    signal.removeEventListener('abort', close);
    close();
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

/** Keeps the last ~8 KB of the server's stdout+stderr for error messages, and tells when the
 *  server printed `MilvusLite gRPC server listening on ...` (after bind and start succeeded). */
function watchOutput(child: ChildProcess): { output: () => string; listening: Promise<void> } {
  let text = '';
  let seen = false;
  let onListening = () => {};
  const listening = new Promise<void>((resolve) => (onListening = resolve));
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8192);
    if (!seen && /server listening on/.test(text)) {
      seen = true;
      onListening();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { output: () => text.trimEnd(), listening };
}

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
