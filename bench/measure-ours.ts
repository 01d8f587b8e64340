/**
 * (a) `migrate` with default settings, through runMigration (the engine's own call; checkpoints go
 * to an in-memory store here instead of SQLite), and (e) our pipeline (read, transform, encode)
 * into a sink that encodes every request and drops it: the tool's own cost.
 */
import type { PreparedWrite, Sink } from '../src/core/contracts.ts';
import { MigrationEvents } from '../src/core/events.ts';
import { runMigration, type CheckpointStore } from '../src/core/migrate.ts';
import { copyCollection, DEFAULT_READERS, DEFAULT_WRITERS, type RangeCheckpoint } from '../src/core/pipeline.ts';
import { pageSizeFor } from '../src/core/defaults.ts';
import type { CollectionPlan, Row } from '../src/core/types.ts';
import { createMilvusSink, DEFAULT_BATCH_BYTES } from '../src/milvus/index.ts';
import { detachRows, prepareUpserts, releaseBatches, RequestBuffers } from '../src/milvus/writer.ts';
import type { WriteSizeMeasure } from '../src/milvus/probe-write-size.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { benchPlan, measureSpan, result, threadCpuSeconds, type MeasureInput, type MeasureResult } from './lib.ts';

export interface OurSettings {
  readers?: number;
  writers?: number;
  pageSize?: number;
  batchBytes?: number;
  transport?: 'rest' | 'grpc' | 'auto';
  /** pipeline only: the null sink takes at most this many points/s, one write at a time (as Milvus
   *  Lite's serialised writes do), so pages wait as long as in a migrate into a slow target while
   *  nothing is sent: what the wait itself costs us. Default: no pacing. */
  pacePointsPerSecond?: number;
  /** pipeline only: no untimed warm-up slice first (a migrate runs cold). Default false. */
  cold?: boolean;
}

/** `requestBytes`: what the sink held its requests to (its write-size probe), where known. */
const describe = (s: OurSettings, transport: string, plan: CollectionPlan, requestBytes = s.batchBytes ?? DEFAULT_BATCH_BYTES) =>
  `${transport}, readers ${s.readers ?? DEFAULT_READERS}, writers ${s.writers ?? DEFAULT_WRITERS}, page ${s.pageSize ?? pageSizeFor(plan)}, batch ${+(requestBytes / 2 ** 20).toFixed(2)} MiB`;

function memoryCheckpoints(): CheckpointStore & { saves: number } {
  const saved = new Map<string, Map<number, RangeCheckpoint>>();
  const store = {
    saves: 0,
    load: (c: string) => [...(saved.get(c)?.values() ?? [])],
    save: (c: string, cp: RangeCheckpoint) => {
      store.saves++;
      if (!saved.has(c)) saved.set(c, new Map());
      saved.get(c)!.set(cp.index, { ...cp });
    },
  };
  return store;
}

export async function measureMigrate(input: MeasureInput, settings: OurSettings = {}): Promise<MeasureResult> {
  const { endpoints } = input;
  const warnings: string[] = [];
  const reader = createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: settings.transport, onWarning: (m) => warnings.push(m) });
  // Each acknowledged write as [sent, answered, rows] (ms): how busy the copy kept the target.
  const writes: Array<[number, number, number]> = [];
  const onRequest = (rows: number, _bytes: number, _method: string, ms: number) => {
    const now = performance.now();
    writes.push([now - ms, now, rows]);
  };
  const sink = await createMilvusSink({ uri: endpoints.milvusUri, onRequest, ...(settings.batchBytes ? { batchBytes: settings.batchBytes } : {}) });
  try {
    const plan = await benchPlan(reader, sink, input.workload, `bench_${input.workload}_migrate`);
    const checkpoints = memoryCheckpoints();
    const events = new MigrationEvents();
    const phases: Array<[string, number]> = [];
    // Our CPU by phase, main thread and the rest (V8's GC and compiler threads): /proc, Linux only.
    const cpuAt: Array<[number, number]> = [];
    const cpuNow = (): [number, number] => {
      let main = 0;
      let other = 0;
      for (const [tid, cpu] of threadCpuSeconds()) {
        if (tid === process.pid) main += cpu;
        else other += cpu;
      }
      return [main, other];
    };
    events.on('collection:status', (e) => {
      phases.push([e.phase, performance.now()]);
      cpuAt.push(cpuNow());
    });
    const migrationPlan = { version: 1 as const, source: { url: endpoints.restUrl }, target: { uri: endpoints.milvusUri, database: 'default' }, collections: [plan] };
    const { value: report, span } = await measureSpan(endpoints, () =>
      runMigration(migrationPlan, reader, sink, {
        events,
        signal: new AbortController().signal,
        checkpoints,
        ...(settings.pageSize ? { pageSize: settings.pageSize } : {}),
        ...(settings.readers ? { readers: settings.readers } : {}),
        ...(settings.writers ? { writers: settings.writers } : {}),
      }),
    );
    const c = report.collections[0]!;
    if (!report.ok) throw new Error(`migrate did not verify: ${JSON.stringify(c.error)}`);
    const took = phases.slice(0, -1).map(([phase, at], i) => `${phase} ${((phases[i + 1]![1] - at) / 1000).toFixed(1)} s`);
    const cpuTook = phases.slice(0, -1).map(([phase], i) => `${phase} ${(cpuAt[i + 1]![0] - cpuAt[i]![0]).toFixed(2)} + ${(cpuAt[i + 1]![1] - cpuAt[i]![1]).toFixed(2)}`);
    const notes = [...warnings, `phases: ${took.join(', ')}`, `CPU s by phase (main thread + other threads): ${cpuTook.join(', ')}`, `verified: source ${c.sourceCount}, target ${c.targetCount}, rejected ${c.rejectedCount}`, `${checkpoints.saves} checkpoint saves`];
    const phaseSeconds = Object.fromEntries(phases.slice(0, -1).map(([phase, at], i) => [phase, (phases[i + 1]![1] - at) / 1000]));
    const busy = targetBusy(writes, phaseSeconds.copy);
    if (busy) notes.push(`the target had a write in flight ${(100 * busy.fraction).toFixed(0)} % of the copy, taking ${Math.round(busy.rowsPerSecond)} rows/s while it did (${writes.length} writes)`);
    const { requestBytes, writeSizeProbe: probe } = sink as unknown as { requestBytes: number; writeSizeProbe?: WriteSizeMeasure };
    if (probe) notes.push(`write-size probe: 2 MiB as 4 requests ${probe.smallMs.toFixed(0)} ms, as 1 ${probe.largeMs.toFixed(0)} ms (fastest of ${probe.rounds} rounds)`);
    return result(input, c.written + c.rejectedCount, span, describe(settings, warnings.length ? 'rest (fallback)' : settings.transport ?? 'auto→grpc', plan, requestBytes), notes, { phaseSeconds, ...(busy ? { targetBusy: busy } : {}) });
  } finally {
    await Promise.allSettled([reader.close(), sink.close()]);
  }
}

/**
 * How much of the copy the target spent on our writes: the time some write was in flight (the
 * union of their [sent, answered] spans) over the copy phase's, and the rows it took per second of
 * that time. Near 100 % the tool kept the target busy, and the target's own pace beside the source
 * and the tool is the copy's (compare its rows/s with the write ceiling's, measured alone).
 */
function targetBusy(writes: ReadonlyArray<readonly [number, number, number]>, copySeconds: number | undefined): { fraction: number; rowsPerSecond: number } | undefined {
  if (writes.length === 0 || !copySeconds) return undefined;
  const spans = [...writes].sort((a, b) => a[0] - b[0]);
  let inFlightMs = 0;
  let [from, to] = spans[0]!;
  for (const [start, end] of spans.slice(1)) {
    if (start <= to) to = Math.max(to, end);
    else {
      inFlightMs += to - from;
      [from, to] = [start, end];
    }
  }
  inFlightMs += to - from;
  const rows = writes.reduce((n, w) => n + w[2], 0);
  return { fraction: Math.min(1, inFlightMs / 1000 / copySeconds), rowsPerSecond: rows / (inFlightMs / 1000) };
}

/**
 * A Sink whose write does all of our CPU work (payload JSON, byte-sized batches, protobuf request
 * bytes) and drops the result: what the pipeline costs without a target. Only for this benchmark.
 */
function encodingNullSink(inner: Sink, batchBytes: number, counters: { requests: number; bytes: number }, pace?: number): Sink {
  // Reused request buffers, as MilvusSink.write lays them out (released once "sent": at once, or paced).
  const buffers = new RequestBuffers();
  let turn: Promise<unknown> = Promise.resolve();
  const wait = (rows: number): Promise<unknown> => {
    if (!pace) return Promise.resolve();
    turn = turn.then(() => new Promise((r) => setTimeout(r, (1000 * rows) / pace)));
    return turn;
  };
  const write = async (plan: CollectionPlan, rows: Row[]) => {
    const batches = prepareUpserts('default', plan, rows, batchBytes, buffers);
    for (const b of batches) {
      counters.requests++;
      counters.bytes += b.request.length;
    }
    await wait(rows.length);
    releaseBatches(batches, buffers);
  };
  // The pipeline's own path (Sink.prepareWrite): encoded at read, the page released, sent later.
  const prepareWrite = (plan: CollectionPlan, rows: Row[]): PreparedWrite => {
    const batches = detachRows(prepareUpserts('default', plan, rows, batchBytes, buffers));
    for (const b of batches) {
      counters.requests++;
      counters.bytes += b.request.length;
    }
    const count = rows.length;
    return {
      rows: count,
      send: async () => {
        await wait(count);
        releaseBatches(batches, buffers);
      },
    };
  };
  // Everything but write comes from the real sink (only capabilities is used).
  return Object.assign(Object.create(inner) as Sink, { write, prepareWrite });
}

/** Runs `copy` until about `points` points went through, then stops it (untimed). */
async function warmUp(copy: (signal: AbortSignal, events: MigrationEvents) => Promise<unknown>, points: number): Promise<void> {
  const stop = new AbortController();
  const events = new MigrationEvents();
  events.on('collection:progress', (e) => {
    if (e.written + e.rejected >= points) stop.abort();
  });
  await copy(stop.signal, events).catch((e: unknown) => {
    if (!stop.signal.aborted) throw e;
  });
}

export async function measurePipeline(input: MeasureInput, settings: OurSettings = {}): Promise<MeasureResult> {
  const { endpoints } = input;
  const reader = createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: settings.transport });
  // A real sink only for capabilities (the plan); nothing is written to it.
  const target = await createMilvusSink({ uri: endpoints.milvusUri });
  try {
    const plan = await benchPlan(reader, target, input.workload, `bench_${input.workload}_null`);
    const counters = { requests: 0, bytes: 0 };
    const sink = encodingNullSink(target, settings.batchBytes ?? DEFAULT_BATCH_BYTES, counters, settings.pacePointsPerSecond);
    const copy = (signal: AbortSignal, events = new MigrationEvents()) =>
      copyCollection({
        plan, reader, sink, events, signal,
        pageSize: settings.pageSize ?? pageSizeFor(plan), total: input.count,
        ...(settings.readers ? { readers: settings.readers } : {}),
        ...(settings.writers ? { writers: settings.writers } : {}),
      });
    // Warm, like the ceilings it is held to (raw-read and read-ceiling time their best setting
    // after trying each on a slice in the same process): an untimed copy of a slice first, so the
    // timed run does not pay the JIT's warm-up (~0.015 CPU s/1k on a 20k-point run).
    if (!settings.cold) await warmUp(copy, Math.min(input.count, Math.max(5000, Math.min(50_000, Math.round(input.count / 8)))));
    const before = { ...counters };
    const { value: stats, span } = await measureSpan(endpoints, () => copy(new AbortController().signal));
    counters.requests -= before.requests;
    counters.bytes -= before.bytes;
    const notes = [
      `${counters.requests} requests encoded, ${(counters.bytes / 1e6).toFixed(0)} MB of protobuf`,
      ...(settings.pacePointsPerSecond ? [`null sink paced to ${settings.pacePointsPerSecond} points/s, one write at a time`] : []),
      ...(settings.cold ? ['cold: no warm-up slice'] : []),
    ];
    return result(input, stats.written + stats.rejectedCount, span, describe(settings, settings.transport ?? 'auto→grpc', plan), notes);
  } finally {
    await Promise.allSettled([reader.close(), target.close()]);
  }
}
