/**
 * Would worker threads help? The pipeline's CPU work (decode, transform, encode) run inline on the
 * main thread versus in K worker threads, each reading its own ranges, mapping and encoding them,
 * and handing the request bytes to the main thread (transferred, not copied), as a worker-based
 * pipeline would. Not shipped: see docs/performance.md for the numbers and why.
 *
 *   node --import tsx bench/workers-experiment.ts REST_URL GRPC_PORT COLLECTION COUNT [K...]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { cutPositions, rangesFromBoundaries } from '../src/core/ranges.ts';
import type { CollectionPlan, PointId } from '../src/core/types.ts';
import { toRows } from '../src/mapping/rows.ts';
import { planCollection } from '../src/mapping/plan.ts';
import { capabilitiesFromVersion } from '../src/milvus/capabilities.ts';
import { prepareUpserts } from '../src/milvus/writer.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import type { RangeCheckpoint } from '../src/core/pipeline.ts';

interface Job {
  restUrl: string;
  grpcPort: number;
  collection: string;
  plan: CollectionPlan;
  ranges: RangeCheckpoint[];
}

/** A worker cannot start from a .ts file on Node 20: it registers tsx first, then imports this file. */
const BOOT = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;

const parse = (s: string | null): PointId | undefined => (s === null ? undefined : /^\d+$/.test(s) ? BigInt(s) : s);

/** Reads, maps and encodes the ranges; calls `emit` with each page's request bytes. */
async function work(job: Job, emit: (requests: Buffer[], points: number) => void): Promise<void> {
  const reader = createQdrantReader({ url: job.restUrl, grpcPort: job.grpcPort, transport: 'grpc' });
  await Promise.all(
    job.ranges.map(async (r) => {
      for await (const page of reader.read({ collection: job.collection, pageSize: 500, range: { from: parse(r.from), to: parse(r.to) } })) {
        const { rows } = toRows(job.plan, page.points);
        emit(prepareUpserts('default', job.plan, rows, 16 * 2 ** 20).map((b) => b.request), page.points.length);
      }
    }),
  );
  await reader.close();
}

if (!isMainThread) {
  await work(workerData as Job, (requests, points) => {
    const buffers = requests.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    parentPort!.postMessage({ points, buffers }, buffers);
  });
  parentPort!.postMessage({ done: true });
} else {
  const [restUrl, grpcPortText, collection, countText, ...ks] = process.argv.slice(2);
  const grpcPort = Number(grpcPortText);
  const count = Number(countText);
  const reader = createQdrantReader({ url: restUrl!, grpcPort, transport: 'grpc' });
  const { plan } = planCollection(await reader.describe(collection!), capabilitiesFromVersion('http://x', 'milvus_lite-3.2.2'), { policies: { missingVector: 'skip' } });
  const ranges = rangesFromBoundaries(await reader.idsAt(collection!, cutPositions(count, 4, 500)));
  await reader.close();
  for (const k of ks.length > 0 ? ks.map(Number) : [0, 1, 2]) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let points = 0;
    let bytes = 0;
    if (k === 0) {
      await work({ restUrl: restUrl!, grpcPort, collection: collection!, plan, ranges } as Job, (requests, n) => {
        points += n;
        bytes += requests.reduce((s, b) => s + b.length, 0);
      });
    } else {
      const shares = Array.from({ length: k }, (_, i) => ranges.filter((_r, j) => j % k === i));
      await Promise.all(
        shares.map(
          (share) =>
            new Promise<void>((resolve, reject) => {
              const w = new Worker(BOOT, { eval: true, workerData: { restUrl, grpcPort, collection, plan, ranges: share } as Job });
              w.on('message', (m: { done?: boolean; points?: number; buffers?: ArrayBuffer[] }) => {
                if (m.done) return resolve();
                points += m.points ?? 0;
                bytes += (m.buffers ?? []).reduce((s, b) => s + b.byteLength, 0);
              });
              w.on('error', reject);
            }),
        ),
      );
    }
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const label = k === 0 ? 'inline (main thread)' : `${k} worker thread(s)`;
    console.log(`${label}: ${points} points in ${s.toFixed(1)} s = ${Math.round(points / s)} points/s; CPU ${(((cpu.user + cpu.system) / 1e6 / points) * 1000).toFixed(3)} s/1k; ${(bytes / 1e6).toFixed(0)} MB encoded`);
  }
}
