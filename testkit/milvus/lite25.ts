/**
 * The lite25 engine: Milvus Lite 2.5.1 (PyPI `milvus-lite==2.5.1`), Milvus's own C++ engine
 * (knowhere, segcore) as one binary, `site-packages/milvus_lite/lib/milvus`, run directly:
 *
 *   LD_LIBRARY_PATH=$LIB $LIB/milvus DIR/milvus.db 127.0.0.1:PORT INFO
 *
 * through pdeathsig.py (dies with its parent). Use it through startMilvus({ engine: 'lite25' }).
 *
 * What it is (probed): Float16Vector and sparse; FLAT only (AUTOINDEX refused on Float16Vector);
 * no GetVersion and no ListDatabases (UNIMPLEMENTED, which the Node SDK's interceptor turns into an
 * OK answer of `{}`); DescribeCollection of a missing collection answers Success with code 100.
 * Readiness is therefore its "Start milvus-local success" line plus a ShowCollections that answers
 * with a real status. Starts in < 1 s, stops on SIGTERM.
 *
 * Port clashes: gRPC C++ binds with SO_REUSEPORT, so a second server on a taken port would start
 * and silently share it. The launcher checks the port is free right before spawning (Node binds
 * without SO_REUSEPORT, so a gRPC holder makes that check fail).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVenv } from '../python.ts';
import type { MilvusOptions, MilvusServer } from './launcher.ts';
import { freePort, host, portIsFree, sigtermServer, spawnServer, waitForShowCollections, type ServerProcess } from './process.ts';

const wrapper = join(dirname(fileURLToPath(import.meta.url)), 'pdeathsig.py');
/** The binary insists on `^[a-zA-Z0-9.\-_]+$`, at most 36 characters. */
const dbFile = 'milvus.db';
const stopGraceMs = 10_000;

export async function startLite25(opts: MilvusOptions): Promise<MilvusServer> {
  const venv = await ensureVenv('lite25');
  const lib = join(venv.sitePackages(), 'milvus_lite', 'lib');
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'q2m-milvus25-')));
  const port = opts.port || (await freePort());
  if (!(await portIsFree(port))) {
    throw new Error(`Milvus Lite 2.5.1 cannot start on ${host}:${port}: the port is in use; pick another --port or stop what holds it`);
  }
  const proc = spawnServer(venv.python, [wrapper, join(lib, 'milvus'), join(dataDir, dbFile), `${host}:${port}`, 'INFO'], {
    env: { Q2M_EXEC_LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    dataDir,
    ownsDir,
  });
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const failure = await Promise.race([
    proc.exited.then((how) => `exited early (${how})`),
    waitReady(port, proc, Date.now() + timeoutMs),
  ]);
  if (failure !== undefined) {
    await proc.kill();
    await proc.stop('SIGKILL', 0); // removes an owned temp dir
    throw new Error(`Milvus Lite 2.5.1 on ${host}:${port} did not start: ${failure}\n--- server output (tail) ---\n${proc.output()}`);
  }
  return sigtermServer('lite25', proc, port, dataDir, stopGraceMs);
}

/** Resolves undefined once ShowCollections answers with a status, or a reason string. */
async function waitReady(port: number, proc: ServerProcess, deadline: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timed out waiting for "Start milvus-local success"'), Math.max(0, deadline - Date.now()));
  });
  const early = await Promise.race([proc.printed(/Start milvus-local success/).then(() => undefined), timedOut]);
  clearTimeout(timer);
  if (early !== undefined) return early;
  const gone = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  return waitForShowCollections(port, undefined, deadline, gone);
}
