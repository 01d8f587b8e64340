/**
 * `npm run bench -- --transcode [--workload ref768] [--points 5000] [--rounds 5] [--target lite3|milvus26] [--path current|transcode|both] [--source test|real] [--heap] [--gaps 0,5,20,50]`
 *
 * The tool's own CPU per point between the two wires, without servers in the measurement:
 * ScrollResponse bytes recorded first (`--source test`: the test server's gRPC encoder, the
 * message Qdrant 1.19 sends; `--source real`: scrolled from a real Qdrant 1.19 loaded with the
 * dataset, ../shared/qdrant) → decode → toRows → byte-sized Upsert request bytes. What the
 * pipeline does per page, minus the network (the decode's blocks and the requests' buffers reused
 * from page to page, as the reader and MilvusSink's prepared writes do). Reports CPU seconds per
 * 1,000 points per stage, best of `--rounds`.
 *
 * Paths: `current` decodes vectors into JS numbers (grpc-scroll.ts decodeScrollResponse) and
 * encodes them back; `transcode` keeps dense vectors as the packed bytes they arrived as
 * (src/transcode/), so a float is never a JS number on the way.
 *
 * `--heap` adds, per path, the JS heap one pass allocates per point (V8's sampling heap profiler,
 * objects already collected counted too, by function) and what a decoded page keeps alive per
 * point, and its rows on top (after a full GC): in a migrate pages wait seconds for the target, so
 * what they keep is promoted and collected by the old generation, and what a pass allocates sets
 * how often the young one is scavenged (docs/performance.md, issue 12).
 *
 * `--gaps` adds, per path, passes with the process idle between pages (whole milliseconds each):
 * a migrate into a slow target does the same work per page in bursts between waits, and on a
 * small VM that costs more CPU per page than back to back (docs/performance.md, "Session 18").
 */
import { Command } from 'commander';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pageSizeFor } from '../src/core/defaults.ts';
import type { CollectionPlan, Point, TargetCapabilities } from '../src/core/types.ts';
import { planCollection } from '../src/mapping/plan.ts';
import { toRows } from '../src/mapping/rows.ts';
import { prepareUpserts, releaseBatches, DEFAULT_BATCH_BYTES, RequestBuffers } from '../src/milvus/writer.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { decodeScrollResponse } from '../src/qdrant/grpc-scroll.ts';
import { RawGrpcClient } from '../src/transcode/grpc-raw.ts';
import { BlockPool } from '../src/transcode/arena.ts';
import { encodeScrollRequest } from '../src/qdrant/grpc-scroll.ts';
import { dataset } from '../testkit/datasets/index.ts';
import { encodeScrollResponse } from '../testkit/qdrant/grpc-fast.ts';
import { seedRealQdrant, startRealQdrant } from '../testkit/qdrant/real.ts';
import { startQdrantTestServer } from '../testkit/qdrant/server.ts';

const LITE3: TargetCapabilities = {
  kind: 'milvus-lite', version: 'milvus_lite-3.2.2', float16Vector: false, sparseVector: true, nullableVector: false,
  emptySparseVector: false, arrayOfStruct: false, autoIndex: false,
};
const MILVUS26: TargetCapabilities = { ...LITE3, kind: 'milvus', version: 'v2.6.4', float16Vector: true, nullableVector: true, emptySparseVector: true, autoIndex: true };

type PathName = 'current' | 'transcode';
interface Options { workload: string; points: string; rounds: string; target: string; path: string; source: string; heap?: boolean; gaps?: string }

/** Plans the collection from the source's own description. */
async function planFor(restUrl: string, workload: string, caps: TargetCapabilities): Promise<CollectionPlan> {
  const reader = createQdrantReader({ url: restUrl, transport: 'rest' });
  try {
    const source = await reader.describe(workload);
    const { plan, problems } = planCollection(source, caps, { target: `bench_${source.name.replace(/\W/g, '_')}`, policies: { missingVector: 'skip' } });
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '));
    return plan;
  } finally {
    await reader.close();
  }
}

/** Pages of a real Qdrant's own ScrollResponse bytes (over our raw gRPC call, as the reader gets them). */
async function recordRealPages(workload: string, points: number, caps: TargetCapabilities): Promise<{ plan: CollectionPlan; pages: Buffer[] }> {
  const q = await startRealQdrant();
  try {
    await seedRealQdrant(q.restUrl, undefined, dataset(workload, points));
    const plan = await planFor(q.restUrl, workload, caps);
    return { plan, pages: await scrollPages(q.grpcUrl, workload, pageSizeFor(plan)) };
  } finally {
    await q.stop();
  }
}

/** Every page of `collection` as the source's own ScrollResponse bytes, over our raw gRPC call (as the reader gets them). */
export async function scrollPages(grpcUrl: string, collection: string, pageSize: number): Promise<Buffer[]> {
  const raw = new RawGrpcClient(grpcUrl, {});
  try {
    const pages: Buffer[] = [];
    let offset: Point['id'] | undefined;
    do {
      const bytes = await raw.call('/qdrant.Points/Scroll', encodeScrollRequest({ collection, offset, limit: pageSize, withData: true }), { timeoutMs: 60_000 });
      pages.push(Buffer.from(bytes));
      offset = decodeScrollResponse(bytes).next ?? undefined;
    } while (offset !== undefined);
    return pages;
  } finally {
    raw.close();
  }
}

/** Pages of ScrollResponse bytes for the whole collection, in scroll order. */
async function recordPages(workload: string, points: number, caps: TargetCapabilities): Promise<{ plan: CollectionPlan; pages: Buffer[] }> {
  const server = await startQdrantTestServer({ grpcPort: null, datasets: [{ name: workload, count: points }] });
  try {
    const plan = await planFor(server.restUrl, workload, caps);
    const limit = pageSizeFor(plan);
    const pages: Buffer[] = [];
    let offset: ReturnType<typeof server.store.scroll>['next_page_offset'] = null;
    do {
      const res = server.store.scroll(plan.source, { limit, offset, with_vector: true, with_payload: true });
      pages.push(encodeScrollResponse(res).withTime(0.001));
      offset = res.next_page_offset;
    } while (offset !== null);
    return { plan, pages };
  } finally {
    await server.stop();
  }
}

interface Stages { decode: number; map: number; encode: number; points: number; requestBytes: number }

const pool = new BlockPool();
/** Request buffers reused from page to page, as MilvusSink's prepared writes do (a fresh ~1 MB buffer per page was page faults the pipeline never pays). */
const requestBuffers = new RequestBuffers();

/** One pass over every page, CPU per stage (process.cpuUsage: this thread's work is all there is). */
function pass(path: PathName, plan: CollectionPlan, pages: Buffer[]): Stages {
  const s: Stages = { decode: 0, map: 0, encode: 0, points: 0, requestBytes: 0 };
  for (const page of pages) passPage(path, plan, page, s);
  return s;
}

const cpuSeconds = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };

/** One page's decode → toRows → request bytes, its CPU added to `s` per stage. */
function passPage(path: PathName, plan: CollectionPlan, page: Buffer, s: Stages): void {
  const t0 = cpuSeconds();
  // Blocks reused from page to page, as the gRPC reader does once the pipeline releases a page.
  const decoded = decodeScrollResponse(page, { packedVectors: path === 'transcode', pool });
  const points: Point[] = decoded.points;
  const t1 = cpuSeconds();
  const { rows } = toRows(plan, points);
  const t2 = cpuSeconds();
  const batches = prepareUpserts('default', plan, rows, DEFAULT_BATCH_BYTES, requestBuffers);
  for (const b of batches) s.requestBytes += b.request.length;
  decoded.release?.();
  releaseBatches(batches, requestBuffers);
  const t3 = cpuSeconds();
  s.decode += t1 - t0;
  s.map += t2 - t1;
  s.encode += t3 - t2;
  s.points += points.length;
}

/**
 * The same pass with the process idle `gapMs` between pages, as in a migrate whose target takes a
 * page every tenth of a second or more (Milvus Lite 3: ~3k points/s, a 768-d page of 583 every ~0.2 s): the
 * pages' own CPU, and the whole process's (the waits' wake-ups too), per 1,000 points.
 */
async function gappedPass(path: PathName, plan: CollectionPlan, pages: Buffer[], gapMs: number): Promise<{ work: number; process: number; points: number }> {
  const s: Stages = { decode: 0, map: 0, encode: 0, points: 0, requestBytes: 0 };
  const c0 = cpuSeconds();
  for (const page of pages) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    passPage(path, plan, page, s);
  }
  return { work: s.decode + s.map + s.encode, process: cpuSeconds() - c0, points: s.points };
}

/** A call into the inspector whose answer (same thread) arrives before post() returns. */
function post<T>(session: Session, method: string, params?: object): T {
  let out: { error: Error | null; result?: T } | undefined;
  session.post(method, params, (error, result) => (out = { error, result: result as T }));
  if (!out) throw new Error(`${method}: the inspector did not answer synchronously`);
  if (out.error) throw out.error;
  return out.result as T;
}

interface ProfileNode { callFrame: { functionName: string; url: string }; selfSize: number; children: ProfileNode[] }

/** JS heap allocated per point by one pass (collected objects too), by function, and kept per point by decoded pages and their rows. */
function heapReport(path: PathName, plan: CollectionPlan, pages: Buffer[]): Record<string, unknown> {
  const session = new Session();
  session.connect();
  post(session, 'HeapProfiler.enable');
  post(session, 'HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const s = pass(path, plan, pages);
  const { profile } = post<{ profile: { head: ProfileNode } }>(session, 'HeapProfiler.stopSampling');
  session.disconnect();
  const sites = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode): void => {
    const where = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`;
    sites.set(where, (sites.get(where) ?? 0) + n.selfSize);
    total += n.selfSize;
    n.children.forEach(walk);
  };
  walk(profile.head);
  const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([where, bytes]) => `${Math.round(bytes / s.points)} ${where}`);
  // Kept alive: every page decoded and held, then mapped and held, measured after full GCs.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const used = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const h0 = used();
  const decoded = pages.map((page) => decodeScrollResponse(page, { packedVectors: path === 'transcode', pool }));
  const h1 = used();
  const rows = decoded.map((d) => toRows(plan, d.points).rows);
  const h2 = used();
  const points = decoded.reduce((n, d) => n + d.points.length, 0);
  const report = { allocatedPerPoint: Math.round(total / s.points), keptDecodedPerPoint: Math.round((h1 - h0) / points), keptRowsPerPoint: Math.round((h2 - h1) / points), rowsKept: rows.length, top };
  for (const d of decoded) d.release?.();
  console.log(`${path.padEnd(9)} JS heap per point: ${report.allocatedPerPoint} B allocated by a pass (decode + toRows + encode), ${report.keptDecodedPerPoint} B kept by a decoded page, +${report.keptRowsPerPoint} B by its rows; allocated by: ${top.join(', ')}`);
  return report;
}

/** CPU per 1,000 points with the process idle between pages, each gap twice (in order, then reversed), the lower kept. */
async function gapReport(path: PathName, plan: CollectionPlan, pages: Buffer[], list: string): Promise<Record<string, { workPer1k: number; processPer1k: number }>> {
  const items = list.split(',');
  if (items.some((g) => !/^\d+$/.test(g.trim()))) throw new Error(`--gaps: '${list}' is not a list of whole milliseconds; pass e.g. --gaps 0,5,20,50`);
  const gaps = items.map(Number);
  const best = new Map<number, { work: number; process: number }>();
  for (const gap of [...gaps, ...[...gaps].reverse()]) {
    const r = await gappedPass(path, plan, pages, gap);
    const per1k = { work: (r.work / r.points) * 1000, process: (r.process / r.points) * 1000 };
    const kept = best.get(gap);
    if (!kept || per1k.work < kept.work) best.set(gap, per1k);
  }
  const out: Record<string, { workPer1k: number; processPer1k: number }> = {};
  for (const gap of gaps) {
    const b = best.get(gap)!;
    out[gap] = { workPer1k: +b.work.toFixed(4), processPer1k: +b.process.toFixed(4) };
    console.log(`${path.padEnd(9)} idle ${String(gap).padStart(3)} ms between pages: CPU s/1k ${b.work.toFixed(4)} in the pages' work, ${b.process.toFixed(4)} for the whole process (the wake-ups too)`);
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const opts = new Command('bench --transcode')
    .option('--transcode', 'this mode')
    .option('--workload <name>', 'a testkit dataset', 'ref768')
    .option('--points <n>', 'points in the recorded collection', '5000')
    .option('--rounds <n>', 'passes per path; the best is reported', '5')
    .option('--target <caps>', 'lite3 (no Float16Vector) or milvus26', 'lite3')
    .option('--path <name>', 'current, transcode or both', 'both')
    .option('--source <name>', 'test (the test server\'s encoder) or real (a real Qdrant 1.19)', 'test')
    .option('--heap', 'also the JS heap a pass allocates and a decoded page keeps, per point')
    .option('--gaps <ms>', 'also passes with the process idle this long between pages, e.g. 0,5,20,50: what the same work costs when it comes in bursts (each gap twice, in turn)')
    .parse(['node', 'bench', ...argv])
    .opts<Options>();
  const caps = opts.target === 'milvus26' ? MILVUS26 : LITE3;
  const record = opts.source === 'real' ? recordRealPages : recordPages;
  const { plan, pages } = await record(opts.workload, Number(opts.points), caps);
  const bytes = pages.reduce((n, p) => n + p.length, 0);
  console.log(`${opts.workload} from the ${opts.source === 'real' ? 'real Qdrant' : 'test server'}: ${pages.length} ScrollResponse pages, ${(bytes / 1e6).toFixed(1)} MB; target ${caps.version}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const paths: PathName[] = opts.path === 'both' ? ['current', 'transcode'] : [opts.path as PathName];
  const per1k = (sec: number, n: number) => ((sec / n) * 1000).toFixed(4);
  const results: Record<string, unknown> = {};
  for (const path of paths) {
    pass(path, plan, pages); // warm-up: JIT, caches
    let best: Stages | undefined;
    for (let r = 0; r < Number(opts.rounds); r++) {
      const s = pass(path, plan, pages);
      if (!best || s.decode + s.map + s.encode < best.decode + best.map + best.encode) best = s;
    }
    const b = best!;
    const total = b.decode + b.map + b.encode;
    results[path] = { cpuPer1k: +per1k(total, b.points), decodePer1k: +per1k(b.decode, b.points), mapPer1k: +per1k(b.map, b.points), encodePer1k: +per1k(b.encode, b.points), requestMB: +(b.requestBytes / 1e6).toFixed(1) };
    console.log(`${path.padEnd(9)} CPU s/1k ${per1k(total, b.points)}  (decode ${per1k(b.decode, b.points)}, toRows ${per1k(b.map, b.points)}, encode ${per1k(b.encode, b.points)}); ${b.points} points, ${(b.requestBytes / 1e6).toFixed(1)} MB of Upsert`);
    // After the CPU rounds: the profiler slows what it samples.
    if (opts.heap) results[path] = { ...(results[path] as object), heap: heapReport(path, plan, pages) };
    if (opts.gaps) results[path] = { ...(results[path] as object), gaps: await gapReport(path, plan, pages, opts.gaps) };
  }
  console.log(`TRANSCODE_RESULT ${JSON.stringify({ workload: opts.workload, source: opts.source, points: Number(opts.points), target: caps.version, load: loadavg(), results })}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
