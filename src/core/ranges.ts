/**
 * Id ranges: how a collection's id space is cut for parallel reads, and how saved ranges are made
 * whole again on resume.
 *
 * The ranges of a collection are computed once, before its first copy, and every one of them is
 * saved as a checkpoint before any point moves; a resumed run continues from the saved ranges and
 * never re-splits (a new split would not line up with the saved cursors). Saves are one row each,
 * so a crash in the middle of the first saves can leave only a prefix of the ranges behind:
 * completeRanges() turns any saved set back into a cover of the whole id space by adding ranges
 * for the uncovered parts, which is safe because an uncovered part was never read.
 */
import { systemError } from './errors.ts';
import { compareIds, formatId, parseId } from './ids.ts';
import type { RangeCheckpoint } from './pipeline.ts';
import type { PointId } from './types.ts';

function fresh(index: number, from: string | null, to: string | null): RangeCheckpoint {
  return { index, from, to, cursor: null, done: false, written: 0, rejected: 0 };
}

/**
 * Ranges [start, b0), [b0, b1), …, [bn, end) for boundary ids in any order (duplicates ignored).
 * No boundaries: one range over the whole id space.
 */
export function rangesFromBoundaries(boundaries: readonly PointId[]): RangeCheckpoint[] {
  const sorted = [...boundaries].sort(compareIds).filter((id, i, all) => i === 0 || compareIds(all[i - 1]!, id) !== 0);
  const cuts = sorted.map(formatId);
  const edges: Array<string | null> = [null, ...cuts, null];
  return cuts.length === 0 ? [fresh(0, null, null)] : edges.slice(0, -1).map((from, i) => fresh(i, from, edges[i + 1] ?? null));
}

const byStart = (a: RangeCheckpoint, b: RangeCheckpoint): number =>
  a.from === null || b.from === null ? (a.from === b.from ? 0 : a.from === null ? -1 : 1) : compareIds(parseId(a.from), parseId(b.from));

const overlap = (a: number | undefined, b: number) =>
  systemError('CHECKPOINT_RANGES_OVERLAP', `Saved ranges ${a} and ${b} overlap; the checkpoints are not from one split.`);

/**
 * Saved ranges, sorted by position, plus fresh ranges (new indexes, after the largest saved one)
 * for every part of the id space none of them covers. Overlapping saved ranges mean the store
 * holds ranges of two different splits: a system error, since copying them could skip points.
 */
export function completeRanges(saved: readonly RangeCheckpoint[]): RangeCheckpoint[] {
  if (saved.length === 0) return rangesFromBoundaries([]);
  const sorted = [...saved].sort(byStart);
  let nextIndex = Math.max(...saved.map((r) => r.index)) + 1;
  const out: RangeCheckpoint[] = [];
  for (const r of sorted) {
    const prev = out.at(-1);
    if (prev === undefined) {
      if (r.from !== null) out.push(fresh(nextIndex++, null, r.from));
    } else {
      // The previous range ran to the end of the id space, or this one claims its start: overlap.
      if (prev.to === null || r.from === null) throw overlap(prev.index, r.index);
      const order = compareIds(parseId(prev.to), parseId(r.from));
      if (order > 0) throw overlap(prev.index, r.index);
      if (order < 0) out.push(fresh(nextIndex++, prev.to, r.from));
    }
    out.push({ ...r });
  }
  const last = out.at(-1)!;
  if (last.to !== null) out.push(fresh(nextIndex, last.to, null));
  return out;
}

/**
 * How many ranges `total` points are cut into for `parts` readers: `parts`, or fewer when the
 * ranges would be smaller than `minPerPart` points (a tiny collection is read by one reader).
 */
export function rangeCount(total: number, parts: number, minPerPart: number): number {
  return Math.max(1, Math.min(Math.floor(parts), Math.floor(total / Math.max(1, minPerPart))));
}

/**
 * Positions (0-based, ascending) of the ids that cut `total` points into rangeCount() slices of
 * nearly equal size: the readers' share of work, when the split scans every id.
 */
export function cutPositions(total: number, parts: number, minPerPart: number): number[] {
  const n = rangeCount(total, parts, minPerPart);
  const out: number[] = [];
  for (let i = 1; i < n; i++) out.push(Math.floor((i * total) / n));
  return out;
}

/** Sampled ids per range. A range's share of the collection then deviates from 1/R by about
 *  1/sqrt(SAMPLE_PER_RANGE) of it (1.6%), and the copy lasts as long as the largest range: with 500
 *  per range the largest of 4 came out 2-9% above the mean (bench `--split`), with 4,000 1-3%.
 *  The sample stays one request of a few hundred KB, answered in tens of ms. */
export const SAMPLE_PER_RANGE = 4_000;
/** Upper bound of one sample request (ids only: about 1-2 MB of JSON over REST). */
export const SAMPLE_MAX = 40_000;
/** Below this many points a split scans every id: the scan is exact and still takes well under a
 *  second there (measured: docs/performance.md, bench `split`), so a sample buys nothing. */
export const SAMPLE_SPLIT_MIN_POINTS = 200_000;

/** Ids to ask the source for when cutting `ranges` ranges from a sample. */
export function sampleSize(ranges: number): number {
  return Math.min(SAMPLE_MAX, SAMPLE_PER_RANGE * Math.max(1, Math.floor(ranges)));
}

/**
 * Range boundaries from a random sample of ids: the sample in Qdrant's id order (every integer
 * ascending, then UUIDs), duplicates dropped, cut at its `parts`-quantiles, so each range holds
 * about the same share of the sample and, in expectation, of the collection. Fewer boundaries
 * come back when the sample has too few distinct ids. Any boundaries are safe: the ranges they
 * make cover the whole id space, so the sample decides balance only, never which points move.
 */
export function boundariesFromSample(sample: readonly PointId[], parts: number): PointId[] {
  const sorted = [...sample].sort(compareIds).filter((id, i, all) => i === 0 || compareIds(all[i - 1]!, id) !== 0);
  const n = Math.min(Math.floor(parts), sorted.length);
  const out: PointId[] = [];
  for (let i = 1; i < n; i++) {
    const id = sorted[Math.floor((i * sorted.length) / n)]!;
    if (out.length === 0 || compareIds(out.at(-1)!, id) !== 0) out.push(id);
  }
  return out;
}
