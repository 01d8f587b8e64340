/**
 * Copies one collection's points from a SourceReader into a Sink, range by range.
 *
 * For each id range: scroll a page (the next page is fetched while the current one is written)
 * → toRows (pure) → sink.write (resolves only once the target acknowledged every row) → save the
 * range's checkpoint. Because the checkpoint is saved after the write it covers, a crash at any
 * moment replays at most one page, and the sink's upsert makes the replay harmless.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { MigrationError, asMigrationError } from './errors.ts';
import type { MigrationEvents } from './events.ts';
import { RateMeter } from './events.ts';
import { formatId, parseId } from './ids.ts';
import type { CollectionPlan, Page, RejectedPoint } from './types.ts';
import { toRows } from '../mapping/rows.ts';

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
}

export function wholeIdSpace(): RangeCheckpoint[] {
  return [{ index: 0, from: null, to: null, cursor: null, done: false, written: 0, rejected: 0 }];
}

/** Copies every range of one collection; resolves with exact stats, throws on the first failure. */
export async function copyCollection(options: CopyOptions): Promise<CopyStats> {
  const { plan, events, total } = options;
  const ranges = options.ranges ?? wholeIdSpace();
  const stats: CopyStats = {
    written: ranges.reduce((n, r) => n + r.written, 0),
    rejected: [],
    // Earlier runs' rejections count too: verify expects target = source − every rejected point.
    rejectedCount: ranges.reduce((n, r) => n + (r.rejected ?? 0), 0),
    nullsDropped: 0,
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
  // Ranges run one after another here; parallel range reads are layered on top by the engine.
  for (const range of ranges) {
    if (range.done) continue;
    await copyRange(options, range, stats, report);
  }
  return stats;
}

async function copyRange(
  options: CopyOptions,
  range: RangeCheckpoint,
  stats: CopyStats,
  report: () => void,
): Promise<void> {
  const { plan, reader, sink, signal, pageSize } = options;
  const maxKept = options.maxRejectedKept ?? 1000;
  const pages = reader.read({
    collection: plan.source,
    range: { from: range.from === null ? undefined : parseId(range.from), to: range.to === null ? undefined : parseId(range.to) },
    from: range.cursor === null ? undefined : parseId(range.cursor),
    pageSize,
    signal,
  });
  for await (const page of prefetch(pages, signal)) {
    throwIfAborted(signal);
    const { rows, rejected, stats: rowStats } = toRows(plan, page.points);
    if (rows.length > 0) await sink.write(plan, rows, signal);
    stats.written += rows.length;
    stats.nullsDropped += rowStats.nullsDropped;
    Object.assign(stats.renamedKeys, rowStats.renamedKeys);
    if (rejected.length > 0) {
      stats.rejectedCount += rejected.length;
      for (const r of rejected) if (stats.rejected.length < maxKept) stats.rejected.push(r);
      options.events.emit('points:rejected', { collection: plan.source, points: rejected });
    }
    range.written += rows.length;
    range.rejected = (range.rejected ?? 0) + rejected.length;
    range.cursor = page.next === null ? null : formatId(page.next);
    range.done = page.next === null;
    await options.saveCheckpoint?.({ ...range });
    report();
  }
  if (!range.done) {
    // The reader ended without a null `next` only when aborted.
    throwIfAborted(signal);
    range.done = true;
    await options.saveCheckpoint?.({ ...range });
  }
}

/** Reads one page ahead so that scrolling the next page overlaps writing the current one. */
async function* prefetch(pages: AsyncIterable<Page>, signal: AbortSignal): AsyncGenerator<Page> {
  const iterator = pages[Symbol.asyncIterator]();
  let next = iterator.next();
  // An unobserved rejection of the look-ahead must not crash the process if we stop early.
  next.catch(() => undefined);
  try {
    while (true) {
      const result = await next;
      if (result.done) return;
      if (!signal.aborted) {
        next = iterator.next();
        next.catch(() => undefined);
      }
      yield result.value;
      if (signal.aborted) return;
    }
  } finally {
    await iterator.return?.().catch(() => undefined);
  }
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
