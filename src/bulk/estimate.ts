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
 * Measured with `node --import tsx bench/bulk.ts --points 100000,300000` then `--points 1000000`
 * and `--points 10000,30000,60000 --modes upsert,parquet` (dataset basic: 128-d, ~100 B payload;
 * Milvus 2.3.5 standalone + moto S3, 64 MiB files; one 2-core machine shared with three other
 * engineers' tests, load average 7.6-20.6; per-collection seconds: create, copy, index/load, count):
 *
 *   points     upsert   bulk Parquet   bulk JSON
 *   10,000       4.4        8.3
 *   30,000       8.2       11.3
 *   60,000      17.4       16.6
 *   100,000     22.2       19.6          40.9
 *   300,000     57.1       47.3          97.7
 *   1,000,000  198.7      127.4         357.5
 *
 * Least-squares lines through those points: upsert 2.5 s + 5,100 points/s; Parquet 8.5 s + 8,350
 * points/s (its tasks' ~2 s each included, at 64 MiB files); JSON ~2,850 points/s (never faster
 * than upsert here: it writes and parses ~4x the bytes).
 */
export const MEASURED = {
  upsert: { pointsPerSecond: 5100, fixedSeconds: 2.5 },
  bulk: {
    parquet: { pointsPerSecond: 8350, fixedSeconds: 8.5 },
    json: { pointsPerSecond: 2850, fixedSeconds: 5 },
  },
  /** Each import task's own cost (2.3.5 runs them one after another): charged for the files beyond
   *  what 64 MiB files would make (a smaller --bulk-file-kb). */
  taskSeconds: 2,
} as const;
/**
 * Bulk (Parquet) is recommended from this many points on: the smallest count at which it beat upsert
 * in every run (100k: 19.6 s vs 22.2 s above; again with `--points 60000,100000 --modes
 * parquet,upsert` at load 9.4-12.0: 19.7 s vs 29.9 s). At 60k it tied once (16.6 vs 17.4 s) and lost
 * once (17.7 vs 11.4 s); at 30k and below upsert won. JSON files never beat upsert here.
 */
export const BULK_RECOMMENDED_FROM = 100_000;

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
  const extraTasks = Math.max(0, files - Math.ceil(bytes / DEFAULT_FILE_BYTES));
  return {
    rows,
    format,
    fileBytes: bytes,
    files,
    upsertSeconds: Math.round(MEASURED.upsert.fixedSeconds + rows / MEASURED.upsert.pointsPerSecond),
    bulkSeconds: Math.round(rate.fixedSeconds + rows / rate.pointsPerSecond + extraTasks * MEASURED.taskSeconds),
    // The mode, with Parquet files (formatModeEstimate says so where JSON was chosen).
    recommended: rows >= BULK_RECOMMENDED_FROM ? 'bulk' : 'upsert',
  };
}

export function formatModeEstimate(plan: CollectionPlan, chosen: 'upsert' | 'bulk', fileBytes?: number, format?: BulkFormat): string {
  const e = estimateModes(plan, fileBytes, undefined, format);
  const mb = (e.fileBytes / 1024 / 1024).toFixed(e.fileBytes < 10 * 1024 * 1024 ? 1 : 0);
  let advice = e.recommended === chosen ? '' : `; recommended: --mode ${e.recommended} (bulk from ${BULK_RECOMMENDED_FROM.toLocaleString('en-US')} points)`;
  if (chosen === 'bulk' && e.format === 'json') advice += '; Parquet files import ~2.5x faster (--bulk-format parquet)';
  return `${plan.source}: ${e.rows.toLocaleString('en-US')} points; upsert ~${e.upsertSeconds} s; bulk ~${mb} MB in ${e.files} import file(s) (${e.format}), ~${e.bulkSeconds} s (Milvus 2.3.5 rates, bench/bulk.ts)${advice}`;
}
