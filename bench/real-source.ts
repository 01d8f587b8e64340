/**
 * Real Qdrant 1.19 as the bench's source (issue 12 §2): the binary from ../shared/qdrant started by
 * the test kit (testkit/qdrant/real.ts), the workload loaded through its REST API, and the
 * collection left green before anything is measured.
 *
 * Why its own loader instead of testkit's seedRealQdrant: that one sends 256 points per request,
 * one at a time, through lossless-json (fine for the hundreds of points a test loads); 1M points
 * of 768-d would take longer than the bench itself. Here: 1,000 points a request, two in flight,
 * JSON.stringify with big integers spliced back in as bare digits.
 *
 * The HNSW index is turned off for the bench collection (`indexing_threshold: 0`): building it
 * for 1M 768-d points would take the shared 2 cores for many minutes, and neither scroll nor
 * retrieve by id uses it. The collection is still waited on until `green` (the optimizer also
 * merges segments after a load), so no measure shares the cores with it.
 */
import { dataset } from '../testkit/datasets/index.ts';
import type { RestPoint } from '../testkit/datasets/types.ts';
import { realQdrantRequest, startRealQdrant } from '../testkit/qdrant/real.ts';
import type { QdrantProcess } from './servers.ts';

const BATCH = 1_000;
const IN_FLIGHT = 2;
const BIG = /"\\u0000big:(-?\d+)"/g;

/** JSON with bigints as bare digits (ids above 2^53, payload integers up to 2^64-1). */
function toJson(points: RestPoint[]): string {
  let big = false;
  const text = JSON.stringify({ points }, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    big = true;
    return `\u0000big:${v}`;
  });
  return big ? text.replace(BIG, '$1') : text;
}

async function put(restUrl: string, path: string, body: string): Promise<void> {
  // A kept-alive connection Qdrant closed while we were generating the batch fails with EPIPE:
  // the upsert is idempotent, so it is simply sent again.
  let res: Response;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(new URL(path, restUrl), { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  if (!res.ok) throw new Error(`Qdrant PUT ${path} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  await res.arrayBuffer();
}

async function waitGreen(restUrl: string, path: string, log: (m: string) => void): Promise<string> {
  const started = Date.now();
  let status = '';
  for (let i = 0; status !== 'green' && Date.now() - started < 30 * 60_000; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    status = ((await realQdrantRequest(restUrl, undefined, 'GET', path)) as { result: { status: string } }).result.status;
    if (i % 30 === 29) log(`still ${status} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return status;
}

/** Starts real Qdrant and loads `workload` with `count` points; resolves once it is green. */
export async function startRealQdrantSource(workload: string, count: number, log: (m: string) => void): Promise<QdrantProcess> {
  const real = await startRealQdrant({ startTimeoutMs: 120_000 });
  try {
    const ds = dataset(workload, count);
    const path = `/collections/${encodeURIComponent(ds.collection)}`;
    await realQdrantRequest(real.restUrl, undefined, 'PUT', path, { ...ds.config, optimizers_config: { indexing_threshold: 0 } });
    for (const idx of ds.payloadIndexes ?? []) await realQdrantRequest(real.restUrl, undefined, 'PUT', `${path}/index?wait=true`, idx);
    const inFlight = new Set<Promise<void>>();
    const batch: RestPoint[] = [];
    const send = async () => {
      const p = put(real.restUrl, `${path}/points?wait=true`, toJson(batch.splice(0)));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    };
    for (const point of ds.points()) {
      batch.push(point);
      if (batch.length >= BATCH) await send();
    }
    if (batch.length > 0) await send();
    await Promise.all(inFlight);
    const counted = (await realQdrantRequest(real.restUrl, undefined, 'POST', `${path}/points/count`, { exact: true })) as { result: { count: unknown } };
    if (Number(counted.result.count) !== count) throw new Error(`real Qdrant counts ${String(counted.result.count)} points in ${workload}, loaded ${count}`);
    const status = await waitGreen(real.restUrl, path, log);
    if (status !== 'green') log(`${workload} is still ${status}: measured anyway`);
    return { restUrl: real.restUrl, grpcPort: real.grpcPort, pid: real.pid, stop: () => real.stop() };
  } catch (error) {
    await real.stop();
    throw error;
  }
}
