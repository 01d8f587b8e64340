/**
 * `npm run bench -- --split [--counts 1000000,10000000] [--real 200000] [--transports grpc,rest] [--repeats 3]`
 *
 * Times the range split of a fresh collection, both ways (src/core/split.ts): the full ids-only
 * scan (idsAt) against the quantiles of a random sample (`query` with `sample: random`), on the
 * Qdrant test server (its own process, seeded in memory) at each count, and on real Qdrant 1.19
 * where its binary is present (`--real N` points loaded through its REST API; 0 skips it). Reports
 * wall time, our CPU and the server's CPU, and how even the ranges are (max/mean points per range,
 * exact: the id set is known). No Milvus is involved. JSON goes to bench/results/split-*.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_READERS } from '../src/core/defaults.ts';
import { splitIdSpace } from '../src/core/split.ts';
import type { PointId } from '../src/core/types.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { realQdrantBinary, realQdrantRequest, startRealQdrant } from '../testkit/qdrant/real.ts';
import { repoRoot } from '../testkit/python.ts';
import { processCpuSeconds } from './lib.ts';
import { idAt, rangeSizes, SPLIT_COLLECTION } from './split-ids.ts';

interface SplitRow {
  source: string;
  points: number;
  transport: 'grpc' | 'rest';
  method: string;
  seconds: number;
  ourCpuSeconds: number;
  serverCpuSeconds: number;
  ranges: number;
  sampled?: number;
  maxOverMean: number;
}

interface Source {
  name: string;
  restUrl: string;
  grpcPort: number;
  pid: number;
  stop(): Promise<void>;
}

/** The test server child with `count` points; resolves once it is seeded and listening. */
function startTestServer(count: number): Promise<Source> {
  const child = spawn(process.execPath, ['--max-old-space-size=12000', '--import', 'tsx', join(repoRoot, 'bench', 'split-ids.ts'), String(count)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const early = (code: number | null) => reject(new Error(`the split test server exited (${code}) before it was ready`));
    child.once('exit', early);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+) (\d+)/.exec(out);
      if (!m) return;
      child.off('exit', early);
      resolve({ name: 'test server', restUrl: m[1]!, grpcPort: Number(m[2]), pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited) });
    });
  });
}

/** Real Qdrant with `count` points, loaded in batches of 5,000 ids (2-d vectors, no payload). */
async function startRealSource(count: number): Promise<Source> {
  const real = await startRealQdrant({ startTimeoutMs: 120_000 });
  const path = `/collections/${SPLIT_COLLECTION}`;
  await realQdrantRequest(real.restUrl, undefined, 'PUT', path, { vectors: { size: 2, distance: 'Dot' } });
  for (let start = 0; start < count; start += 5_000) {
    const points = Array.from({ length: Math.min(5_000, count - start) }, (_, k) => ({ id: idAt(start + k, count), vector: [1, 0], payload: {} }));
    await realQdrantRequest(real.restUrl, undefined, 'PUT', `${path}/points?wait=true`, { points });
  }
  // The optimizer indexes a fresh collection ("grey") on the same 2 cores: wait until it is done.
  let status = '';
  for (let i = 0; i < 600 && status !== 'green'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    status = ((await realQdrantRequest(real.restUrl, undefined, 'GET', path)) as { result: { status: string } }).result.status;
  }
  // Still optimizing after 5 minutes (10M points on 2 cores): measured anyway, and labelled so.
  return { name: `real Qdrant 1.19${status === 'green' ? '' : ` (${status})`}`, restUrl: real.restUrl, grpcPort: real.grpcPort, pid: real.pid, stop: () => real.stop() };
}

/** Sorted ids without a comparator sort: the integers are generated ascending, the UUIDs as text. */
function sortedIds(count: number): PointId[] {
  const ints = Math.floor(count * 0.9);
  const uuids = Array.from({ length: count - ints }, (_, k) => idAt(ints + k, count) as string).sort();
  return [...Array.from({ length: ints }, (_, i) => idAt(i, count)), ...uuids];
}

async function measure(source: Source, count: number, sorted: PointId[], transport: 'grpc' | 'rest', method: 'scan' | 'sample', readers: number): Promise<SplitRow> {
  const reader = createQdrantReader({ url: source.restUrl, transport, grpcPort: source.grpcPort, timeoutMs: 600_000 });
  try {
    const total = await reader.count(SPLIT_COLLECTION);
    const server0 = processCpuSeconds(source.pid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const split = await splitIdSpace({
      reader, collection: SPLIT_COLLECTION, total, readers, minPerRange: 4_000,
      sampleFrom: method === 'sample' ? 0 : Number.POSITIVE_INFINITY, signal: new AbortController().signal,
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (split.method !== method) throw new Error(`asked for a ${method} split, got ${split.method}: ${split.reason ?? ''}`);
    const sizes = rangeSizes(sorted, split.boundaries);
    return {
      source: source.name, points: count, transport, method, seconds,
      ourCpuSeconds: (cpu.user + cpu.system) / 1e6, serverCpuSeconds: processCpuSeconds(source.pid) - server0,
      ranges: sizes.length, ...(split.sampled !== undefined ? { sampled: split.sampled } : {}),
      maxOverMean: Math.max(...sizes) / (count / sizes.length),
    };
  } finally {
    await reader.close();
  }
}

async function measureSource(source: Source, count: number, o: Options): Promise<SplitRow[]> {
  const sorted = sortedIds(count);
  const rows: SplitRow[] = [];
  for (const transport of o.transports) {
    for (const method of ['scan', 'sample'] as const) {
      for (let i = 0; i < (method === 'sample' ? o.repeats : 1); i++) {
        const row = await measure(source, count, sorted, transport, method, o.readers);
        process.stderr.write(`[bench split] ${source.name} ${count} ${transport} ${method}: ${row.seconds.toFixed(3)} s, max/mean ${row.maxOverMean.toFixed(3)}\n`);
        rows.push(row);
      }
    }
  }
  return rows;
}

interface Options {
  counts: number[];
  real: number;
  transports: Array<'grpc' | 'rest'>;
  repeats: number;
  readers: number;
}

function table(rows: SplitRow[]): string {
  const head = ['source', 'points', 'transport', 'method', 'seconds', 'our CPU s', 'server CPU s', 'ranges', 'sampled', 'max/mean'];
  const body = rows.map((r) => [r.source, String(r.points), r.transport, r.method, r.seconds.toFixed(3), r.ourCpuSeconds.toFixed(3), r.serverCpuSeconds.toFixed(2), String(r.ranges), String(r.sampled ?? ''), r.maxOverMean.toFixed(3)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const raw = new Command('bench --split')
    .option('--split', 'measure the range split only')
    .option('--counts <list>', 'test server collection sizes (0: none)', '1000000,10000000')
    .option('--real <n>', 'points loaded into real Qdrant (0: skip)', '200000')
    .option('--transports <list>', 'grpc and/or rest', 'grpc')
    .option('--repeats <n>', 'sampled splits per size (the sample is random)', '3')
    .option('--readers <n>', 'ranges wanted', String(DEFAULT_READERS))
    .parse(argv, { from: 'user' })
    .opts<{ counts: string; real: string; transports: string; repeats: string; readers: string }>();
  const o: Options = {
    counts: raw.counts.split(',').map(Number).filter((n) => n > 0), real: Number(raw.real),
    transports: raw.transports.split(',') as Options['transports'], repeats: Number(raw.repeats), readers: Number(raw.readers),
  };
  const loadAtStart = loadavg();
  const rows: SplitRow[] = [];
  for (const count of o.counts) {
    const t0 = Date.now();
    const source = await startTestServer(count);
    process.stderr.write(`[bench split] test server seeded with ${count} ids in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    try {
      rows.push(...(await measureSource(source, count, o)));
    } finally {
      await source.stop();
    }
  }
  if (o.real > 0 && (await realQdrantBinary())) {
    const t0 = Date.now();
    const source = await startRealSource(o.real);
    process.stderr.write(`[bench split] real Qdrant loaded with ${o.real} ids in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    try {
      rows.push(...(await measureSource(source, o.real, o)));
    } finally {
      await source.stop();
    }
  }
  const command = `npm run bench -- ${argv.join(' ')}`;
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAtStart, loadAtEnd: loadavg() };
  const finishedAt = new Date().toISOString();
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `split-${finishedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ command, machine, finishedAt, readers: o.readers, rows }, null, 2)}\n`);
  console.log(`\n${table(rows)}\n`);
  console.log(`machine: ${machine.cpus} x ${machine.cpu}, Node ${machine.node}; load ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${machine.loadAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`);
  console.log(`written to ${file}`);
}
