/**
 * `verify --sample N`, batched: pick N ids without reading any vector, then fetch them in batches
 * from both sides at once (source retrieve-by-ids, target `pk in [...]`), several batches in
 * flight, and compare with compareRow(), the same rules as before.
 *
 * The old check scrolled the whole source with vectors to pick every k-th point, and fetched from
 * the target page by page in turn: 38 s for 1,000 of 20,000 768-d points. Batched, it still took
 * ~1 s: each Sink.fetch loaded the collection through the SDK's loadCollectionSync, which sleeps
 * 400 ms after every progress answer (fixed in sink.ts). What is left is CPU, per 768-d point
 * (profiled on 20,000): Milvus Lite 3 answering Query 0.76 ms, Milvus Lite 2.5 0.09 ms, us
 * 0.14-0.17 ms, the source 0.04-0.06 ms. On 2 cores that caps a sample near 2,000 points/s on
 * Lite 3 and 7,000 on Lite 2.5; 20k/s would need our share at a few µs a point (compare packed
 * bytes instead of numbers, as the transcoder reads them). Picking ids is an
 * ids-only scroll (10,000 ids per request) or, on large collections of a source that can, one
 * random sample query; the fetches are where the time goes, so they overlap.
 */
import type { Sink, SourceReader } from './contracts.ts';
import type { CollectionPlan, PointId } from './types.ts';
import { compareRow, type SampleCheck } from './verify.ts';
import { toRows } from '../mapping/rows.ts';

/** Ids per request on each side: 768-d float32 is ~3 KB a point, so ~0.8 MB a response. */
const BATCH = 256;
/** Batches in flight: enough to keep both servers busy on 2 cores. */
const IN_FLIGHT = 3;
/** Above this many points, a random sample (one query) beats an ids-only scan of every id. */
const SAMPLE_QUERY_FROM = 200_000;

export interface SampleOptions {
  sample: number;
  sourceCount: number;
  signal?: AbortSignal;
  maxMismatches?: number;
  /** After each batch: points compared so far. */
  onProgress?: (checked: number) => void;
}

/** Evenly spaced positions through the collection, so the sample spans the whole id space. */
export function samplePositions(sample: number, count: number): number[] {
  const n = Math.min(sample, count);
  const stride = count / n;
  return Array.from({ length: n }, (_, i) => Math.floor(i * stride));
}

async function pickIds(plan: CollectionPlan, reader: SourceReader, options: SampleOptions): Promise<PointId[]> {
  const n = Math.min(options.sample, options.sourceCount);
  if (reader.sampleIds && options.sourceCount >= SAMPLE_QUERY_FROM && n < options.sourceCount) {
    try {
      return await reader.sampleIds(plan.source, n, options.signal);
    } catch (e) {
      options.signal?.throwIfAborted();
      void e; // A source without `query` sample: the scan below always works.
    }
  }
  return reader.idsAt(plan.source, samplePositions(n, options.sourceCount), options.signal);
}

export async function checkSampleBatched(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: SampleOptions): Promise<SampleCheck> {
  const result: SampleCheck = { checked: 0, mismatches: [] };
  if (options.sample <= 0 || options.sourceCount === 0) return result;
  const maxMismatches = options.maxMismatches ?? 1000;
  const ids = await pickIds(plan, reader, options);
  const batches: PointId[][] = [];
  for (let i = 0; i < ids.length; i += BATCH) batches.push(ids.slice(i, i + BATCH));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      options.signal?.throwIfAborted();
      const batch = batches[next++]!;
      const keys = batch.map((id) => targetKey(plan, id));
      const [points, got] = await Promise.all([reader.retrieve(plan.source, batch, { packedVectors: true }), sink.fetch(plan, keys.filter((k) => k !== undefined))]);
      const { rows: expected, rejected } = toRows(plan, points);
      const byId = new Map(got.map((r) => [String(r.id), r]));
      for (const want of expected) {
        for (const m of compareRow(plan, want, byId.get(String(want.id)))) if (result.mismatches.length < maxMismatches) result.mismatches.push(m);
      }
      // Points the plan leaves out must not have reached the target either.
      for (const r of rejected) {
        if (byId.has(r.id)) result.mismatches.push({ id: r.id, what: 'extra', detail: 'a rejected point is present in the target' });
      }
      result.checked += expected.length;
      options.onProgress?.(result.checked);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, worker));
  return result;
}

const INT64_LIMIT = 2n ** 63n;

/** The target's key for a source id (undefined when the plan's key type cannot hold it). */
function targetKey(plan: CollectionPlan, id: PointId): bigint | string | undefined {
  if (plan.primaryKey.type !== 'Int64') return typeof id === 'bigint' ? id.toString() : id;
  return typeof id === 'bigint' && id < INT64_LIMIT ? id : undefined;
}
