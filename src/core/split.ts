/**
 * The split of a fresh collection's id space into ranges for parallel readers.
 *
 * Where the source can sample (SourceReader.sampleIds: Qdrant's `query` with `sample: random`)
 * and the collection is large, the boundaries are the quantiles of a random sample of ids: one
 * request, whatever the collection size. Otherwise (small collections, older servers, a failed
 * sample) they come from one ids-only scroll over every id (idsAt), which is exact but O(N): about
 * 1-2 minutes per 100M points. Either way the ranges cover the whole id space, so the choice
 * affects only how evenly the readers share the work, never which points move.
 */
import type { SourceReader } from './contracts.ts';
import { asMigrationError } from './errors.ts';
import { boundariesFromSample, cutPositions, rangeCount, sampleSize } from './ranges.ts';
import type { PointId } from './types.ts';

export interface SplitRequest {
  reader: SourceReader;
  collection: string;
  /** Points in the collection (its exact count). */
  total: number;
  /** Ranges wanted (the readers). */
  readers: number;
  /** Fewer ranges when they would hold fewer points than this. */
  minPerRange: number;
  /** Sample only from this many points on; below it, scan. */
  sampleFrom: number;
  signal: AbortSignal;
}

/** How the id space was cut: 'single' (one range, nothing to cut), 'sample' or 'scan'. */
export type SplitMethod = 'single' | 'sample' | 'scan';

export interface SplitOutcome {
  boundaries: PointId[];
  method: SplitMethod;
  /** Ids the sample returned (method 'sample'). */
  sampled?: number;
  /** Why a split scanned instead of sampling (method 'scan'). */
  reason?: string;
}

export async function splitIdSpace(req: SplitRequest): Promise<SplitOutcome> {
  const parts = rangeCount(req.total, req.readers, req.minPerRange);
  if (parts <= 1) return { boundaries: [], method: 'single' };
  let reason: string;
  if (!req.reader.sampleIds) reason = 'the source cannot sample';
  else if (req.total < req.sampleFrom) reason = `${req.total} points, below ${req.sampleFrom}: the scan is exact and quick`;
  else {
    const sampled = await trySample(req, parts);
    if ('boundaries' in sampled) return sampled;
    reason = sampled.reason;
  }
  const positions = cutPositions(req.total, req.readers, req.minPerRange);
  return { boundaries: await req.reader.idsAt(req.collection, positions, req.signal), method: 'scan', reason };
}

/** The sampled split, or why there is none. Only a cancellation is thrown. */
async function trySample(req: SplitRequest, parts: number): Promise<SplitOutcome | { reason: string }> {
  let ids: PointId[];
  try {
    ids = await req.reader.sampleIds!(req.collection, sampleSize(parts), req.signal);
  } catch (error) {
    if (req.signal.aborted) throw error;
    const e = asMigrationError(error);
    return { reason: `sampling failed (${e.code}: ${e.message})` };
  }
  // A count that is far off (points deleted since) or a server that caps the answer: scan.
  if (ids.length < parts) return { reason: `the sample held ${ids.length} ids for ${parts} ranges` };
  return { boundaries: boundariesFromSample(ids, parts), method: 'sample', sampled: ids.length };
}
