/**
 * The lite3 engine: Milvus Lite 3.2.2 (pure-Python gRPC server from PyPI `milvus-lite`, run from
 * the test kit's `.venv` through serve.py), the default target of `npm test`. Use it through
 * startMilvus() / startMilvusLite() in launcher.ts. Measured (venv warm, 2 shared cores): start ~1.2-1.5 s to a
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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { ensureVenv } from '../python.ts';
import type { MilvusOptions, MilvusServer } from './launcher.ts';
import { freePort, host, sigtermServer, spawnServer, type ServerProcess } from './process.ts';

const serveScript = join(dirname(fileURLToPath(import.meta.url)), 'serve.py');
const stopGraceMs = 10_000;

export async function startLite3(opts: MilvusOptions): Promise<MilvusServer> {
  const { python } = await ensureVenv('lite3');
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
): Promise<MilvusServer> {
  const args = [serveScript, 'server', '--data-dir', dataDir, '--host', host, '--port', String(port)];
  const proc = spawnServer(python, args, { dataDir, ownsDir });
  const giveUp = new AbortController();
  const failure = await Promise.race([
    proc.exited.then((how) => `exited early (${how})`),
    waitReady(port, proc, Date.now() + timeoutMs, giveUp.signal),
  ]);
  giveUp.abort(); // stops a health check still running after the server died
  if (failure !== undefined) {
    await proc.kill();
    const log = proc.output();
    const message = `Milvus Lite on ${host}:${port} did not start: ${failure}\n--- server output (tail) ---\n${log}`;
    throw /Failed to bind|Address already in use/i.test(log) ? new BindError(message) : new Error(message);
  }
  return sigtermServer('lite3', proc, port, dataDir, stopGraceMs);
}

/** Resolves undefined once the SDK sees our Milvus Lite, or a reason string on failure. */
async function waitReady(
  port: number, proc: ServerProcess, deadline: number, signal: AbortSignal,
): Promise<string | undefined> {
  // Wait for the server's own "listening" line rather than polling the port: the port may answer
  // for another server (an explicit port already in use) while ours is still importing and about
  // to fail its bind. Without SO_REUSEPORT (serve.py) the line proves the port is ours.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timed out waiting for "listening on"'), Math.max(0, deadline - Date.now()));
  });
  const aborted = new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('aborted')));
  const early = await Promise.race([proc.printed(/server listening on/).then(() => undefined), timedOut, aborted]);
  clearTimeout(timer);
  if (early !== undefined) return early;
  const client = new MilvusClient({
    address: `${host}:${port}`,
    timeout: Math.max(1000, deadline - Date.now()),
    // grpc-js shares connections per address across clients by default: a connection stuck on
    // whatever held this port before (a failed attempt) would stall every later client.
    // The SDK's default keepalive (a ping every 10 s, also without calls, and on after
    // closeConnection()) makes Milvus Lite answer GOAWAY "too_many_pings", which grpc-js prints
    // on stderr of whatever process started the server: the sink's settings (src/milvus/client.ts).
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 },
  });
  const close = () => void client.closeConnection().catch(() => undefined);
  signal.addEventListener('abort', close, { once: true });
  try {
    const { version } = await client.getVersion();
    return version?.startsWith('milvus_lite') ? undefined : `unexpected server version ${version}`;
  } catch (err) {
    return `getVersion failed: ${(err as Error).message}`;
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
}
