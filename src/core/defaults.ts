/**
 * Throughput defaults, chosen from the benchmark (docs/performance.md; `npm run bench`).
 *
 * - Readers 4: reading 768-d points over gRPC from the test server (2 cores, shared with it), 1
 *   reader gave 6 300-8 000 points/s, 4 gave 7 300-10 400, 8 gave 6 600-11 600 in different runs.
 *   4 keeps a real Qdrant (cores of its own, a network round trip per page) busy without
 *   oversubscribing a small one. Ranges come from an ids-only scan, so a reader costs one
 *   boundary, nothing per point.
 * - Writers 2: one write in flight while the next is encoded. Milvus Lite takes writes to one
 *   collection one at a time anyway (the sink serialises them); against Milvus and Zilliz Cloud a
 *   second request in flight hides a round trip.
 * - Pages of about 2 MiB of rows: the page is also the write request (the sink only splits what is
 *   above its 16 MiB batch limit). Against a target slower than the source, each page is a burst of
 *   work (a Scroll, its decoding and encoding, a write) after an idle wait, and a burst costs more
 *   per point than the same work done back to back (cold caches): 2 MiB pages (583 of 768-d) cut
 *   our CPU in a ref768 migrate into Milvus Lite 3 from 0.014 to 0.011-0.012 s/1k for ~25 MB more
 *   peak RSS (220 vs 195-199 MB); 4 MiB gave the same 0.011 at 248-257 MB
 *   (docs/performance.md, "Session 12"). Gathering the pages waiting in the queue into Upserts of
 *   up to 8 MiB made a migrate into Milvus 2.3.5 no faster and peak RSS ~50 MB higher ("Writes").
 *   Into Milvus Lite, 500- to 5000-point pages of 128-d rows copied within 7% of each other.
 */
import type { CollectionPlan } from './types.ts';

/** Range readers of a fresh collection. */
export const DEFAULT_READERS = 4;
/** Sink writes in flight. */
export const DEFAULT_WRITERS = 2;
/** Row bytes a page aims at (vectors as float32 plus the payload). */
export const DEFAULT_PAGE_BYTES = 2 ** 21;
/**
 * Largest page a user-chosen page size may reach, in estimated row bytes (8x the default page).
 * Several pages are held at once (R readers, the queue, W writes), each also as its REST/gRPC
 * answer and as parsed JS values (several times the float32 bytes), so without a bound a page size
 * of 1e9 holds a whole collection at once. 20,000 768-d points over REST, peak RSS: default 412-460 MB;
 * --page-size 1e9 unbounded 1,159 MB (and growing with the collection); --page-size 10000
 * unbounded 802 MB, bounded (2,330-point pages) 549 MB.
 */
export const MAX_PAGE_BYTES = 8 * 2 ** 20;
/** Bounds of the computed page size, in points. */
export const MIN_PAGE_POINTS = 64;
export const MAX_PAGE_POINTS = 5000;

/** Payload JSON is unknown until read; a typical metadata payload is a few hundred bytes. */
const PAYLOAD_GUESS = 512;
/** Sparse vectors: bytes for a typical ~100 non-zeros (index + value). */
const SPARSE_GUESS = 800;
/** Multivectors: a typical ~16 vectors per point. */
const MULTI_GUESS = 16;

/** Estimated bytes of one row of this plan. */
export function estimateRowBytes(plan: CollectionPlan): number {
  let bytes = PAYLOAD_GUESS + 16;
  for (const v of plan.vectors) {
    if (v.type === 'SparseFloatVector') bytes += SPARSE_GUESS;
    else if (v.type === 'ArrayOfStructFloatVector') bytes += 4 * (v.dim ?? 128) * MULTI_GUESS;
    else bytes += 4 * (v.dim ?? 128);
  }
  return bytes;
}

/** Points per scroll request: the user's choice when given, held under MAX_PAGE_BYTES of rows; else pageSizeFor(plan). */
export function boundedPageSize(plan: CollectionPlan, requested: number | undefined): number {
  if (requested === undefined) return pageSizeFor(plan);
  const byBytes = Math.floor(MAX_PAGE_BYTES / estimateRowBytes(plan));
  return Math.max(1, Math.min(Math.floor(requested), byBytes));
}

/** Points per scroll request for this plan: about `pageBytes` of rows, within the bounds. */
export function pageSizeFor(plan: CollectionPlan, pageBytes = DEFAULT_PAGE_BYTES): number {
  const points = Math.round(pageBytes / estimateRowBytes(plan));
  return Math.min(MAX_PAGE_POINTS, Math.max(MIN_PAGE_POINTS, points));
}
