/**
 * What each copy mode would cost for one collection (issue 14 §4), shown by `migrate` before it
 * asks: rows, the bytes of import files bulk mode would write, the number of import tasks, and a
 * recommendation. The rates are the ones measured by bench/bulk.ts on Milvus 2.3.5 (moto S3, JSON
 * files, a 2-core machine shared with both servers); they rank the modes, they are no promise.
 */
import type { CollectionPlan } from '../core/types.ts';
import { DEFAULT_FILE_BYTES } from './copy.ts';

/**
 * Measured by bench/bulk.ts (basic 128-d, Milvus 2.3.5 + moto, 2 cores): upsert 14.9 s at 20k and
 * 57.4 s at 100k points; bulk 40.1 s and 89.1 s. Bulk: ~25 s fixed (files, tasks that run one after
 * another and wait for their segments' index) then ~1,600 points/s; upsert ~1,750 points/s.
 */
export const MEASURED = { upsertPointsPerSecond: 1750, bulkPointsPerSecond: 1600, bulkFixedSeconds: 25, taskSeconds: 2 } as const;
/**
 * Bulk is recommended from this many points on. On Milvus 2.3.5 with JSON files it never beat
 * upsert up to 100,000 points here (its import tasks run one after another and wait for their
 * segments' index); a cluster's import runs on its data nodes, which this machine cannot show, so
 * the advice is left to collections far above what one process upserts in an hour.
 */
export const BULK_RECOMMENDED_FROM = 10_000_000;

export interface ModeEstimate {
  rows: number;
  /** Import file bytes bulk mode would write (row JSON: ~20 bytes per float, plus payload). */
  fileBytes: number;
  files: number;
  upsertSeconds: number;
  bulkSeconds: number;
  recommended: 'upsert' | 'bulk';
}

export function estimateModes(plan: CollectionPlan, fileBytes = DEFAULT_FILE_BYTES, payloadBytes = 200): ModeEstimate {
  const rows = plan.sourceCount;
  const dims = plan.vectors.reduce((n, v) => n + (v.dim ?? 0), 0);
  const bytes = rows * (dims * 20 + payloadBytes + 32);
  const files = Math.max(rows > 0 ? 1 : 0, Math.ceil(bytes / fileBytes));
  return {
    rows,
    fileBytes: bytes,
    files,
    upsertSeconds: Math.round(rows / MEASURED.upsertPointsPerSecond),
    bulkSeconds: Math.round(MEASURED.bulkFixedSeconds + rows / MEASURED.bulkPointsPerSecond + files * MEASURED.taskSeconds),
    recommended: rows >= BULK_RECOMMENDED_FROM ? 'bulk' : 'upsert',
  };
}

export function formatModeEstimate(plan: CollectionPlan, chosen: 'upsert' | 'bulk', fileBytes?: number): string {
  const e = estimateModes(plan, fileBytes);
  const mb = (e.fileBytes / 1024 / 1024).toFixed(e.fileBytes < 10 * 1024 * 1024 ? 1 : 0);
  const advice = e.recommended === chosen ? '' : `; recommended: --mode ${e.recommended} (bulk from ${BULK_RECOMMENDED_FROM.toLocaleString('en-US')} points)`;
  return `${plan.source}: ${e.rows.toLocaleString('en-US')} points; upsert ~${e.upsertSeconds} s; bulk ~${mb} MB in ${e.files} import file(s), ~${e.bulkSeconds} s (Milvus 2.3.5 rates, bench/bulk.ts)${advice}`;
}
