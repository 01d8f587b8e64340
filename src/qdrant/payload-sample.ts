/**
 * The payload sample behind SourceCollection.payloadKeys (issue 10): a few requests whatever the
 * collection size, spread over the whole id space rather than its first page (the first page of a
 * collection is often its oldest data, or one tenant's).
 *
 * - collections no larger than the sample: read whole, in pages of PAGE (n / PAGE scrolls);
 * - larger ones: one `sample: random` query for n ids (the same request the range split uses),
 *   then the points in n / PAGE retrieves;
 * - a source that cannot sample (Qdrant < 1.11): the first n points, said in `method`.
 */
import { PayloadStatsCollector } from '../mapping/payload-keys.ts';
import type { PayloadKeyStats } from '../core/payload-schema.ts';
import type { PayloadFieldSchema, PointId } from '../core/types.ts';
import type { QdrantTransport } from './transport.ts';

/** `--payload-sample` default: points looked at per collection. */
export const DEFAULT_PAYLOAD_SAMPLE = 1000;
/** Points per scroll / retrieve (payloads only: vectors are left out of these requests). */
const PAGE = 250;

export interface PayloadSampleResult {
  keys: PayloadKeyStats[];
  /** 'all': the whole collection; 'random': a random sample; 'first': the first points (no sampling). */
  method: 'none' | 'all' | 'random' | 'first';
}

type Call = <T>(fn: (signal?: AbortSignal) => Promise<T>) => Promise<T>;

/**
 * Samples up to `n` points of `collection` (`pointsCount` points) and returns the stats of every
 * payload key seen or indexed. `call` wraps each request in the reader's retry and not-found rules.
 */
export async function samplePayloadKeys(
  transport: QdrantTransport, call: Call, collection: string, schema: Record<string, PayloadFieldSchema>, pointsCount: number, n: number,
): Promise<PayloadSampleResult> {
  const stats = new PayloadStatsCollector();
  if (n <= 0 || pointsCount === 0) return { keys: stats.result(schema), method: 'none' };
  if (pointsCount > n) {
    const ids = await call((s) => transport.sample(collection, n, s)).catch(() => undefined);
    if (ids && ids.length > 0) {
      for (let i = 0; i < ids.length; i += PAGE) {
        const points = await call((s) => transport.retrieve(collection, ids.slice(i, i + PAGE), s, { withVectors: false }));
        for (const p of points) stats.add(p.payload);
      }
      return { keys: stats.result(schema), method: 'random' };
    }
  }
  let offset: PointId | undefined;
  let read = 0;
  while (read < n) {
    const page = await call((s) => transport.scroll({ collection, offset, limit: Math.min(PAGE, n - read), withData: true, withVectors: false, signal: s }));
    for (const p of page.points) stats.add(p.payload);
    read += page.points.length;
    if (page.next === null || page.points.length === 0) break;
    offset = page.next;
  }
  return { keys: stats.result(schema), method: pointsCount > n ? 'first' : 'all' };
}
