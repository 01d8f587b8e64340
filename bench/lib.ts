/**
 * What the benchmark's parent (run.ts) and its measuring children (measure.ts) share: the shape
 * of a measurement, CPU accounting of our process and of the two servers, and the plan every
 * measure copies with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Sink, SourceReader } from '../src/core/contracts.ts';
import type { CollectionPlan } from '../src/core/types.ts';
import { planCollection } from '../src/mapping/plan.ts';
import { descendantPids } from '../testkit/milvus/process.ts';

export const WORKLOADS = {
  ref768: { count: 100_000, quick: 5_000 },
  rich: { count: 50_000, quick: 3_000 },
  basic: { count: 1_000_000, quick: 20_000 },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;

export const MEASURES = ['migrate', 'naive', 'raw-read', 'read-ceiling', 'write-ceiling', 'pipeline', 'vdf-io'] as const;
export type MeasureName = (typeof MEASURES)[number];

export interface Endpoints {
  restUrl: string;
  grpcPort: number;
  /** The test server's process (a separate one, so its CPU is not ours). */
  qdrantPid: number;
  milvusUri: string;
  milvusPid: number;
  /** Which source and target these are (bench --source / --target). */
  source?: 'test' | 'real';
  target?: string;
}

export interface MeasureInput {
  measure: MeasureName;
  workload: WorkloadName;
  /** Points in the source collection (named like the workload). */
  count: number;
  /** Row bytes per point (the sink's size estimate: vectors + payload JSON), for MB/s. */
  rowBytes: number;
  endpoints: Endpoints;
  quick: boolean;
}

export interface MeasureResult {
  measure: MeasureName;
  workload: WorkloadName;
  points: number;
  seconds: number;
  pointsPerSecond: number;
  mbPerSecond: number;
  /** CPU seconds of our process (all threads) per 1000 points. */
  cpuPer1k: number;
  /** CPU seconds of the test server / Milvus Lite per 1000 points, while this measure ran. */
  sourceCpuPer1k: number;
  targetCpuPer1k: number;
  /** Of cpuPer1k: our main thread's and our other threads' CPU seconds per 1000 points (Linux). */
  mainCpuPer1k?: number;
  otherCpuPer1k?: number;
  /** Peak RSS of the measuring process, MB. */
  peakRssMb: number;
  /** The settings used (for the ceilings: the best of those tried). */
  config: string;
  notes: string[];
  /** Everything else worth keeping in the JSON (sweeps of the ceilings). */
  detail?: unknown;
  /** The machine's 1/5/15-minute load average when the measure ended (2 cores shared by others). */
  load?: number[];
  source?: string;
  target?: string;
}

/**
 * CPU seconds (user + system, all threads) of a server process and every process under it, from
 * /proc (Linux): Milvus 2.3.5's Go binary runs two levels below the pid the launcher returns (its
 * network-namespace bridge and serve23.py), Milvus Lite 2.5's engine one level. 0 when unknown.
 */
export function processCpuSeconds(pid: number): number {
  return [pid, ...descendantPids(pid)].reduce((sum, p) => sum + ownCpuSeconds(p), 0);
}

function ownCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface Span {
  seconds: number;
  cpu: number;
  sourceCpu: number;
  targetCpu: number;
  /** CPU seconds of our main thread (the JS thread) and of every other thread (V8's helpers: GC
   *  marking and sweeping, the optimizing compiler; libuv's pool), from /proc; undefined elsewhere. */
  mainCpu?: number;
  otherCpu?: number;
}

/** CPU seconds per thread of this process (Linux /proc/self/task), keyed by thread id. */
export function threadCpuSeconds(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // Not Linux.
  }
  return out;
}

/** Main-thread and other-thread CPU seconds between two threadCpuSeconds() readings. */
function threadSplit(before: Map<number, number>, after: Map<number, number>): { mainCpu?: number; otherCpu?: number } {
  if (after.size === 0) return {};
  let main = 0;
  let other = 0;
  for (const [tid, cpu] of after) {
    const d = cpu - (before.get(tid) ?? 0);
    if (tid === process.pid) main += d;
    else other += d;
  }
  return { mainCpu: main, otherCpu: other };
}

/** Wall time and CPU of us and both servers around `fn`. */
export async function measureSpan<T>(endpoints: Endpoints, fn: () => Promise<T>): Promise<{ value: T; span: Span }> {
  const s0 = processCpuSeconds(endpoints.qdrantPid);
  const t0 = processCpuSeconds(endpoints.milvusPid);
  const th0 = threadCpuSeconds();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - w0) / 1000;
  const c = process.cpuUsage(c0);
  const threads = threadSplit(th0, threadCpuSeconds());
  return {
    value,
    span: {
      seconds,
      cpu: (c.user + c.system) / 1e6,
      sourceCpu: processCpuSeconds(endpoints.qdrantPid) - s0,
      targetCpu: processCpuSeconds(endpoints.milvusPid) - t0,
      ...threads,
    },
  };
}

export function result(input: MeasureInput, points: number, span: Span, config: string, notes: string[] = [], detail?: unknown): MeasureResult {
  const per1k = (s: number) => (points > 0 ? (s / points) * 1000 : 0);
  const pps = points / span.seconds;
  return {
    measure: input.measure,
    workload: input.workload,
    points,
    seconds: span.seconds,
    pointsPerSecond: pps,
    mbPerSecond: (pps * input.rowBytes) / 1e6,
    cpuPer1k: per1k(span.cpu),
    sourceCpuPer1k: per1k(span.sourceCpu),
    targetCpuPer1k: per1k(span.targetCpu),
    ...(span.mainCpu !== undefined ? { mainCpuPer1k: per1k(span.mainCpu), otherCpuPer1k: per1k(span.otherCpu ?? 0) } : {}),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    config,
    notes,
    ...(detail !== undefined ? { detail } : {}),
    load: loadavg().map((l) => +l.toFixed(2)),
    source: input.endpoints.source ?? 'test',
    target: input.endpoints.target ?? 'lite3',
  };
}

/**
 * The plan every measure copies with: the product's own plan() for the target, with points that
 * lack a vector skipped (Milvus Lite has no nullable vectors; `rich` has such points on purpose).
 */
export async function benchPlan(reader: SourceReader, sink: Sink, collection: string, target: string): Promise<CollectionPlan> {
  const { plan, problems } = planCollection(await reader.describe(collection), await sink.capabilities(), {
    target,
    policies: { missingVector: 'skip' },
  });
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(`plan for ${collection}: ${errors.map((e) => e.message).join('; ')}`);
  return { ...plan, ifExists: 'drop' };
}
