/**
 * Copies one collection's points from a SourceReader into a Sink, with R range readers and W
 * writers in flight.
 *
 *   split the id space into ranges (once; saved before any point moves, see ranges.ts)
 *   R readers: scroll a page of their range → toRows (pure) → request bytes (Sink.prepareWrite),
 *              page released → bounded queue   (waits when full)
 *   W writers: take a page → send it (resolves once the target acknowledged every row)
 *              → the range's checkpoint moves over every page acknowledged in order (range-progress.ts)
 *
 * Memory is bounded by the pages in flight (R being read, the queue, W being written), never by
 * the collection size. Because a checkpoint only ever covers acknowledged rows, a crash at any
 * moment replays at most the pages in flight, and the sink's upsert makes the replay harmless.
 *
 * Why pages wait as request bytes, not as points and rows: against a slow target (Milvus Lite
 * takes ~3k 768-d points/s) a page waits seconds in the queue, and its thousands of small objects
 * outlive V8's young-generation collections: each is copied, promoted and later marked, which
 * made a migrate's CPU per point almost twice the same pipeline's into a null sink
 * (docs/performance.md). Encoded at once, a page's objects die young; what waits is one buffer.
 */
import { setOwn } from './own.ts';
import type { PreparedWrite, Sink, SourceReader } from './contracts.ts';
import { MigrationError, asMigrationError } from './errors.ts';
import type { MigrationEvents } from './events.ts';
import { RateMeter } from './events.ts';
import { parseId } from './ids.ts';
import { DEFAULT_READERS, DEFAULT_WRITERS } from './defaults.ts';
import { boundHeapGrowth } from './heap-growth.ts';
import { BoundedQueue } from './queue.ts';
import { RangeProgress } from './range-progress.ts';
import { completeRanges, rangesFromBoundaries, SAMPLE_SPLIT_MIN_POINTS } from './ranges.ts';
import { splitIdSpace } from './split.ts';
import type { CollectionPlan, Page, Point, PointId, RejectedPoint, Row } from './types.ts';
import { toRows } from '../mapping/rows.ts';

export { DEFAULT_READERS, DEFAULT_WRITERS };

/** Progress of one id range, as the job store keeps it. Ids are formatted (see core/ids.ts). */
export interface RangeCheckpoint {
  index: number;
  /** Inclusive start; null = start of the id space. */
  from: string | null;
  /** Exclusive end; null = end of the id space. */
  to: string | null;
  /** Next id to read (inclusive); null = start at `from`. */
  cursor: string | null;
  done: boolean;
  written: number;
  /** Points of the range the mapping rejected so far; a resumed run needs it to verify. Default 0. */
  rejected?: number;
}

export interface CopyStats {
  written: number;
  rejected: RejectedPoint[];
  /** Exact number of rejected points even when `rejected` is capped. */
  rejectedCount: number;
  nullsDropped: number;
  /** Values of promoted payload keys that did not fit their field under the `null` policy: the
   *  field was written null and the value kept in `$meta` under `<key>__raw`. */
  mismatchNulled: number;
  renamedKeys: Record<string, string>;
}

export interface CopyOptions {
  plan: CollectionPlan;
  reader: SourceReader;
  sink: Sink;
  events: MigrationEvents;
  signal: AbortSignal;
  /** Points per scroll request. */
  pageSize: number;
  /** Ranges to copy, with their resume state. Default: the whole id space, from the start. */
  ranges?: RangeCheckpoint[];
  /** Called after each acknowledged write, in order per range. Must be durable when it resolves. */
  saveCheckpoint?: (checkpoint: RangeCheckpoint) => void | Promise<void>;
  /** Total points expected, for progress and ETA. */
  total: number;
  /** Keep at most this many rejected points in memory (the count stays exact). */
  maxRejectedKept?: number;
  /** Ranges a fresh collection is split into, read at once. A resumed collection keeps its saved
   *  ranges (and reads up to this many of them at once). Default DEFAULT_READERS. */
  readers?: number;
  /** Sink writes in flight. Default DEFAULT_WRITERS. */
  writers?: number;
  /** A fresh collection of at least this many points is split at the quantiles of a random sample
   *  of ids when the reader can sample (SourceReader.sampleIds); smaller ones, and readers that
   *  cannot, are split by scanning every id. Default SAMPLE_SPLIT_MIN_POINTS. */
  sampleSplitFrom?: number;
  /** Pages read and transformed ahead of the writers, over all readers. Default readers + writers. */
  queuePages?: number;
}

export function wholeIdSpace(): RangeCheckpoint[] {
  return [{ index: 0, from: null, to: null, cursor: null, done: false, written: 0, rejected: 0 }];
}

/** Copies every range of one collection; resolves with exact stats, throws on the first failure. */
export async function copyCollection(options: CopyOptions): Promise<CopyStats> {
  const { plan, events, total } = options;
  // The copy's peak RSS is V8's slack between full GCs, not what it holds (heap-growth.ts).
  boundHeapGrowth();
  const ranges = await prepareRanges(options);
  const stats: CopyStats = {
    written: ranges.reduce((n, r) => n + r.written, 0),
    rejected: [],
    // Earlier runs' rejections count too: verify expects target = source − every rejected point.
    rejectedCount: ranges.reduce((n, r) => n + (r.rejected ?? 0), 0),
    nullsDropped: 0,
    mismatchNulled: 0,
    renamedKeys: {},
  };
  const meter = new RateMeter();
  const report = () => {
    meter.record(stats.written + stats.rejectedCount);
    events.emit('collection:progress', {
      collection: plan.source,
      total,
      written: stats.written,
      rejected: stats.rejectedCount,
      pointsPerSecond: Math.round(meter.rate()),
      etaSeconds: meter.eta(total - stats.written - stats.rejectedCount),
    });
  };
  report();
  await runStages(options, ranges, stats, report);
  return stats;
}

/**
 * A resumed collection's saved ranges, made whole (fill-ins are saved too); else a fresh split,
 * every range saved before any point moves, so a resume always finds the same ranges. Bulk import
 * (src/bulk/copy.ts) splits the same way.
 */
export async function prepareRanges(options: CopyOptions): Promise<RangeCheckpoint[]> {
  const save = options.saveCheckpoint;
  const collection = options.plan.source;
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  if (options.ranges && options.ranges.length > 0) {
    const known = new Set(options.ranges.map((r) => r.index));
    const ranges = completeRanges(options.ranges);
    for (const r of ranges) if (!known.has(r.index)) await save?.({ ...r });
    options.events.emit('collection:split', { collection, method: 'saved', ranges: ranges.length, ms: ms() });
    return ranges;
  }
  const split = await splitIdSpace({
    reader: options.reader,
    collection,
    total: options.total,
    readers: options.readers ?? DEFAULT_READERS,
    // A range should hold a few pages at least: below that a second reader costs more than it saves.
    minPerRange: 4 * options.pageSize,
    sampleFrom: options.sampleSplitFrom ?? SAMPLE_SPLIT_MIN_POINTS,
    signal: options.signal,
  });
  throwIfAborted(options.signal);
  const ranges = rangesFromBoundaries(split.boundaries);
  const { method, sampled, reason } = split;
  options.events.emit('collection:split', { collection, method, ranges: ranges.length, ms: ms(), ...(sampled !== undefined ? { sampled } : {}), ...(reason !== undefined ? { reason } : {}) });
  for (const r of ranges) await save?.({ ...r });
  return ranges;
}

/** One page on its way from a reader to a writer. */
interface Work {
  progress: RangeProgress;
  seq: number;
  /** The page's rows, encoded (Sink.prepareWrite); else `rows` are written with Sink.write. */
  prepared: PreparedWrite | undefined;
  rows: Row[] | undefined;
  /** Rows the page maps to (what the checkpoint counts as written once acknowledged). */
  written: number;
  /** The page's first point: with `next`, the id range a re-read covers (rewritePage). */
  first: PointId | undefined;
  rejected: number;
  next: PointId | null;
  /** The page's buffers back to the reader (Page.release), once its write is acknowledged. */
  release: (() => void) | undefined;
}

/** Runs the readers and writers to the end; the first failure stops both sides and is thrown. */
async function runStages(options: CopyOptions, ranges: RangeCheckpoint[], stats: CopyStats, report: () => void): Promise<void> {
  const readers = Math.max(1, options.readers ?? DEFAULT_READERS);
  const writers = Math.max(1, options.writers ?? DEFAULT_WRITERS);
  const failure = new AbortController();
  const signal = AbortSignal.any([options.signal, failure.signal]);
  // Readers that found the queue full wait until it has drained to one page per writer, then refill
  // it together: against a slow target (Milvus Lite takes a page every ~0.1 s) the process wakes
  // for one burst of several pages' reading and encoding instead of one burst per page written, and
  // each wake-up from idle costs (cold caches): ref768 paced to 3,000 points/s, 0.0102 against
  // 0.0147 s/1k (docs/performance.md). The writers keep that many pages while the readers refill.
  const capacity = Math.max(1, options.queuePages ?? readers + writers);
  const queue = new BoundedQueue<Work>(capacity, Math.min(capacity - 1, writers));
  const fail = (e: unknown) => {
    if (!failure.signal.aborted) failure.abort(e);
    queue.abort();
  };
  const todo = ranges.filter((r) => !r.done).map((r) => new RangeProgress(r, options.saveCheckpoint));
  const all = [...todo];
  const readTasks = Array.from({ length: Math.min(readers, todo.length) }, async () => {
    for (let p = todo.shift(); p !== undefined; p = todo.shift()) await readRange(options, p, queue, stats, signal);
  });
  const reading = Promise.all(readTasks.map((t) => t.catch(fail))).then(() => queue.close());
  const writeTasks = Array.from({ length: writers }, () => writePages(options, queue, stats, report, signal).catch(fail));
  await Promise.all([reading, ...writeTasks]);
  await Promise.all(all.map((p) => p.flushed().catch(fail)));
  throwIfAborted(options.signal);
  if (failure.signal.aborted) throw failure.signal.reason;
}

async function readRange(options: CopyOptions, progress: RangeProgress, queue: BoundedQueue<Work>, stats: CopyStats, signal: AbortSignal): Promise<void> {
  const { plan, reader, pageSize } = options;
  const cp = progress.checkpoint;
  const maxKept = options.maxRejectedKept ?? 1000;
  const pages = reader.read({
    collection: plan.source,
    range: { from: cp.from === null ? undefined : parseId(cp.from), to: cp.to === null ? undefined : parseId(cp.to) },
    from: cp.cursor === null ? undefined : parseId(cp.cursor),
    pageSize,
    signal,
    // Vectors stay the bytes Qdrant sent, from the scroll response to the Upsert (src/transcode).
    packedVectors: true,
  });
  for await (const page of pages) {
    const work = pageWork(options, progress, page, stats, maxKept);
    if (!(await queue.put(work)) || page.next === null) return;
  }
  // The reader ends without a null `next` only when aborted.
  throwIfAborted(signal);
}

/**
 * One page mapped and, where the sink can, encoded (Sink.prepareWrite) and released. Its own
 * function, and the page's points array emptied, because a suspended async function keeps every
 * local it had: a reader waiting for the queue (and the reader's generator, suspended at its
 * `yield`) would hold the page's points and rows for as long as the target keeps it waiting.
 */
function pageWork(options: CopyOptions, progress: RangeProgress, page: Page, stats: CopyStats, maxKept: number): Work {
  const { plan } = options;
  const { rows, rejected } = mapPage(plan, page.points, stats, options.events, maxKept);
  const prepared = rows.length > 0 ? options.sink.prepareWrite?.(plan, rows) : undefined;
  const work: Work = {
    progress,
    seq: progress.nextSeq(),
    prepared,
    rows: prepared ? undefined : rows,
    written: rows.length,
    first: page.points[0]?.id,
    rejected: rejected.length,
    next: page.next,
    release: prepared ? undefined : page.release,
  };
  if (prepared) {
    // The request holds copies of what it needs: the page's memory goes back to the reader now,
    // and nothing reads its points again (Page.release).
    page.release?.();
    if (!Object.isFrozen(page.points)) page.points.length = 0;
  }
  return work;
}

async function writePages(options: CopyOptions, queue: BoundedQueue<Work>, stats: CopyStats, report: () => void, signal: AbortSignal): Promise<void> {
  for (let work = await queue.take(); work !== undefined; work = await queue.take()) {
    if (work.prepared) await sendPrepared(options, work, signal);
    else if (work.rows && work.rows.length > 0) await options.sink.write(options.plan, work.rows, signal);
    // Acknowledged: nothing reads the page's rows again (a failed write has thrown: left to the GC).
    work.release?.();
    const outcome = { seq: work.seq, written: work.written, rejected: work.rejected, next: work.next };
    await work.progress.complete(outcome, (p) => (stats.written += p.written));
    report();
  }
}

/**
 * A prepared page's send; a request the target refused as too large (which a prepared write
 * cannot halve: its rows are gone) is written again from the source (rewritePage).
 */
async function sendPrepared(options: CopyOptions, work: Work, signal: AbortSignal): Promise<void> {
  try {
    await work.prepared!.send(signal);
  } catch (e) {
    if (asMigrationError(e).code !== 'TARGET_REQUEST_TOO_LARGE') throw e;
    await rewritePage(options, work, signal);
  }
}

/**
 * The page's points read again, [first point, next) of its range, mapped and written through
 * Sink.write, which halves a request the target refuses as too large. The same points unless the
 * source changed in between (then what it holds now is written: upsert keeps that harmless);
 * its counts and rejections were taken when the page was first read, so they are not taken again.
 */
async function rewritePage(options: CopyOptions, work: Work, signal: AbortSignal): Promise<void> {
  const { plan, reader, pageSize } = options;
  const end = work.progress.checkpoint.to;
  const to = work.next ?? (end === null ? undefined : parseId(end));
  const pages = reader.read({ collection: plan.source, range: { from: work.first, to }, pageSize, signal, packedVectors: true });
  for await (const page of pages) {
    const { rows } = toRows(plan, page.points);
    if (rows.length > 0) await options.sink.write(plan, rows, signal);
    page.release?.();
    if (page.next === null) return;
  }
  throwIfAborted(signal);
}

/**
 * toRows() over one page, with its counts added to `stats` and its rejected points reported
 * (`points:rejected`; the first `maxKept` kept in `stats.rejected`). Shared by every copy mode.
 */
export function mapPage(plan: CollectionPlan, points: Point[], stats: CopyStats, events: MigrationEvents, maxKept: number): { rows: Row[]; rejected: RejectedPoint[] } {
  const { rows, rejected, stats: rowStats } = toRows(plan, points);
  stats.nullsDropped += rowStats.nullsDropped;
  stats.mismatchNulled += rowStats.mismatchNulled;
  // Not Object.assign: it would turn a renamed `__proto__` key into the object's prototype.
  for (const [from, to] of Object.entries(rowStats.renamedKeys)) setOwn(stats.renamedKeys, from, to);
  if (rejected.length > 0) {
    stats.rejectedCount += rejected.length;
    for (const r of rejected) if (stats.rejected.length < maxKept) stats.rejected.push(r);
    events.emit('points:rejected', { collection: plan.source, points: rejected });
  }
  return { rows, rejected };
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof MigrationError
      ? signal.reason
      : new MigrationError({ code: 'CANCELLED', kind: 'config', message: 'The migration was cancelled.', cause: signal.reason });
  }
}

export function isCancellation(e: unknown): boolean {
  return asMigrationError(e).code === 'CANCELLED';
}
