/**
 * The two import-file formats bulk mode writes (`--bulk-format`), behind one builder interface:
 *
 *   json     Milvus's row-based JSON, `{"rows":[...]}` (json-rows.ts)
 *   parquet  one column per field, `$meta` a string column (parquet-rows.ts)
 *
 * Milvus tells the format of a file by its extension, so the object key carries it (copy.ts fileKey).
 * Both carry the same rows exactly (ids above 2^53, float32 vectors, payload JSON); which is the
 * default is a measurement (DEFAULT_BULK_FORMAT).
 */
import type { CollectionPlan, Row } from '../core/types.ts';
import { checkJsonLayout, encodeJsonRow, JsonRowsFile } from './json-rows.ts';
import type { ObjectUpload } from './objects.ts';

export type BulkFormat = 'json' | 'parquet';
export const BULK_FORMATS = ['parquet', 'json'] as const;

/**
 * Parquet: on Milvus 2.3.5 + moto here the same rows imported 2-2.8x faster than in JSON (100k to
 * 1M points: 19.6 s vs 40.9 s ... 127.4 s vs 357.5 s): the data node reads columns instead of
 * parsing JSON text, a 128-d basic row takes 520 bytes instead of 2,640 (a float32 printed exactly
 * takes ~20 characters), and building a file costs us ~10 µs a row instead of ~170 (50k rows, load
 * 10). Numbers and command: estimate.ts.
 */
export const DEFAULT_BULK_FORMAT: BulkFormat = 'parquet';

/** One import file being built a row at a time, its bytes uploaded as they are made. */
export interface ImportFile {
  readonly rows: number;
  /** Bytes so far, what the file's size budget is checked against. */
  readonly bytes: number;
  /** `corrupt`: write the row's vector one dimension short (fault injection, faults.ts). */
  add(row: Row, corrupt?: boolean): void;
  /** Waits while the bytes made so far are on their way out: awaited after each page, it bounds
   *  what a file in progress holds to about a part. */
  drain(): Promise<void>;
  /** Ends the file and makes its object visible; resolves with the object's size. Once. */
  seal(): Promise<number>;
  /** Drops the file and its upload (a range that failed); never throws. */
  discard(): Promise<void>;
}

/** Throws a config error naming the field when the plan has a field `format`'s files cannot carry. */
export async function checkLayout(plan: CollectionPlan, format: BulkFormat): Promise<void> {
  checkJsonLayout(plan);
  if (format === 'parquet') (await import('./parquet-rows.ts')).checkParquetLayout(plan);
}

/** A maker of empty files of `format` for `plan`'s rows, each written into the upload it is given
 *  (loads the Parquet writer only when asked). `fileBytes`: the file budget; a Parquet file holds
 *  at least ~4 row groups, so small files (tests) are written in groups too. */
export async function fileMaker(plan: CollectionPlan, format: BulkFormat, fileBytes = Infinity): Promise<(out: ObjectUpload) => ImportFile> {
  await checkLayout(plan, format);
  if (format === 'parquet') {
    const { ParquetRowsFile, ROW_GROUP_BYTES } = await import('./parquet-rows.ts');
    const groupBytes = Math.max(1024, Math.min(ROW_GROUP_BYTES, Math.floor(fileBytes / 4)));
    return (out) => new ParquetRowsFile(plan, out, groupBytes);
  }
  return (out) => {
    const f = new JsonRowsFile(out);
    return {
      get rows() {
        return f.rows;
      },
      get bytes() {
        return f.bytes;
      },
      add: (row, corrupt) => f.add(encodeJsonRow(plan, row, corrupt)),
      drain: () => f.drain(),
      seal: () => f.seal(),
      discard: () => f.discard(),
    };
  };
}

/** Bytes one row takes in a file of `format`: JSON ~20 per float (shortest exact decimal), Parquet 4. */
export function rowBytes(plan: CollectionPlan, format: BulkFormat, payloadBytes = 200): number {
  const dims = plan.vectors.reduce((n, v) => n + (v.dim ?? 0), 0);
  return format === 'parquet' ? dims * 4 + payloadBytes + 16 : dims * 20 + payloadBytes + 32;
}
