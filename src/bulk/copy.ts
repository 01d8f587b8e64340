/**
 * Bulk mode's copy of one collection (issue 14), in place of the upsert pipeline
 * (MigrationOptions.copy); flush, index, load and verify stay core/migrate.ts's.
 *
 *   split the id space into ranges (the pipeline's prepareRanges: same ranges, same checkpoints)
 *   finish what an earlier run left in flight (resume.ts)
 *   R range readers: scroll → toRows (rejected rows never reach a file; logged as today)
 *                    → encode into one file (JSON or Parquet), uploaded in parts as it is written,
 *                      until it passes `fileBytes` → end the upload → record → submit one import
 *                      task → next file while it runs
 *   per range, in file order: wait for the task; Completed → checkpoint past the file;
 *                    Failed (one bad row fails a whole file) → the file's ids go through upsert;
 *                    then the file's object is deleted from the bucket (cleanup.ts)
 *
 * A checkpoint covers a file only once its task Completed (or its rows were upserted), and a file
 * is submitted at most once (file-log.ts), so a crash anywhere ends, after resume, with exactly the
 * source's ids: never a duplicate from a file imported twice.
 */
import { mapPage, throwIfAborted, prepareRanges, type CopyOptions, type CopyStats, type RangeCheckpoint } from '../core/pipeline.ts';
import { formatId, parseId } from '../core/ids.ts';
import { RateMeter } from '../core/events.ts';
import { boundHeapGrowth } from '../core/heap-growth.ts';
import type { CollectionPlan, IdRange } from '../core/types.ts';
import { DEFAULT_BULK_FORMAT, fileMaker, rowBytes, type BulkFormat, type ImportFile } from './formats.ts';
import type { BulkFile, BulkFileLog } from './file-log.ts';
import type { Importer } from './importer.ts';
import type { ObjectStore, ObjectUpload } from './objects.ts';
import { awaitFile, resumeFiles } from './resume.ts';
import { abortLeftUploads, removeFiles } from './cleanup.ts';
import { bulkCrash, bulkFault } from './faults.ts';

/** Default import file size: big enough that a task's ~2 s fixed cost is small beside its rows. */
export const DEFAULT_FILE_BYTES = 64 * 1024 * 1024;
/**
 * Range readers (each with a file in progress) by default: 2, not the upsert pipeline's
 * DEFAULT_READERS (4). Every range in progress holds a row group's columns, its IPC copy, the
 * writer's share of parquet-wasm's memory, pages in flight and a 5 MiB part; and Milvus 2.3.5 runs
 * the import tasks one after another, far slower than two ranges fill files (basic 1M: our CPU
 * 13-16 s in 120-150 s), so more ranges only wait, holding more. Bulk 1M basic into Milvus 2.3.5 +
 * moto (bench/bulk.ts, compiled CLI, with the heap bound and packed reads): 2 ranges 339 MB peak
 * RSS, 122 s; 4 ranges 393 MB, 145 s (one after the other, load 5.8-13.9).
 */
export const BULK_READERS = 2;
/** Files of one range submitted and not yet finished, at most: the next file is built meanwhile. */
const IN_FLIGHT_PER_RANGE = 2;

export interface BulkContext {
  importer: Importer;
  objects: ObjectStore;
  files: BulkFileLog;
  /** Object key prefix, e.g. `q2m/<job id>`; no trailing slash. */
  prefix: string;
  /** A file is sealed once it passes this many bytes. Default DEFAULT_FILE_BYTES. */
  fileBytes?: number;
  /** Default DEFAULT_BULK_FORMAT. */
  format?: BulkFormat;
  /** Between two GetImportState calls. Default 500 ms. */
  pollMs?: number;
}

/** Per-collection state shared by the range tasks. */
export interface BulkRun {
  options: CopyOptions;
  bulk: BulkContext;
  stats: CopyStats;
  report: () => void;
  signal: AbortSignal;
  newFile: (out: ObjectUpload) => ImportFile;
  /** A failed delete of an import file was reported for this collection (cleanup.ts). */
  cleanupWarned?: boolean;
}

/** Copies every range of one collection through import files; resolves with exact stats. */
export async function copyCollectionBulk(options: CopyOptions, bulk: BulkContext): Promise<CopyStats> {
  const { plan, events, total } = options;
  const format = bulk.format ?? DEFAULT_BULK_FORMAT;
  // As the upsert copy does (core/pipeline.ts): the peak RSS is otherwise V8's slack between full
  // GCs, not what the copy holds (heap-growth.ts). Bulk 1M, 2 ranges: heap 124-164 MB at the peaks
  // without it, 94-101 MB with it; peak RSS 401 -> 344 MB (bench/bulk.ts, load 7.7-14.5).
  boundHeapGrowth();
  const newFile = await fileMaker(plan, format, bulk.fileBytes ?? DEFAULT_FILE_BYTES);
  // Each import task costs seconds of its own and 2.3.5 runs them one after another: no more ranges
  // (each ends in a file of its own) than the collection has files' worth of rows. A resumed
  // collection keeps its saved ranges.
  const readers = Math.max(1, Math.min(options.readers ?? BULK_READERS, Math.ceil((total * rowBytes(plan, format)) / (bulk.fileBytes ?? DEFAULT_FILE_BYTES))));
  const ranges = await prepareRanges({ ...options, readers });
  const stats: CopyStats = {
    written: 0, rejected: [], rejectedCount: 0, nullsDropped: 0, mismatchNulled: 0, renamedKeys: {},
  };
  const meter = new RateMeter();
  const report = () => {
    meter.record(stats.written + stats.rejectedCount);
    events.emit('collection:progress', {
      collection: plan.source, total, written: stats.written, rejected: stats.rejectedCount,
      pointsPerSecond: Math.round(meter.rate()), etaSeconds: meter.eta(total - stats.written - stats.rejectedCount),
    });
  };
  const run: BulkRun = { options, bulk, stats, report, signal: options.signal, newFile };
  await resumeFiles(run, ranges);
  stats.written = ranges.reduce((n, r) => n + r.written, 0);
  stats.rejectedCount = ranges.reduce((n, r) => n + (r.rejected ?? 0), 0);
  report();
  const todo = ranges.filter((r) => !r.done);
  const failure = new AbortController();
  run.signal = AbortSignal.any([options.signal, failure.signal]);
  const workers = Array.from({ length: Math.min(readers, todo.length) }, async () => {
    for (let r = todo.shift(); r !== undefined; r = todo.shift()) await copyRange(run, r);
  });
  await Promise.all(workers.map((w) => w.catch((e: unknown) => {
    if (!failure.signal.aborted) failure.abort(e);
  })));
  throwIfAborted(options.signal);
  if (failure.signal.aborted) throw failure.signal.reason;
  // Files a killed run finished or abandoned, and any whose delete failed: once more (cleanup.ts);
  // and the uploads a killed run left unfinished (every range of this collection is done now).
  await removeFiles(run, bulk.files.list(plan.source));
  await abortLeftUploads(run, collectionPrefix(bulk, plan));
  return stats;
}

/** Where a collection's files go: `<prefix>/<target name>/`. */
function collectionPrefix(bulk: BulkContext, plan: CollectionPlan): string {
  return `${bulk.prefix}/${plan.target.replace(/[^A-Za-z0-9_-]/g, '_')}/`;
}

/** Object key of one file: never reused by another file of the job; Milvus reads the format from
 *  its extension. */
export function fileKey(bulk: BulkContext, plan: CollectionPlan, rangeIndex: number, seq: number): string {
  return `${collectionPrefix(bulk, plan)}r${rangeIndex}-f${seq}.${bulk.format ?? DEFAULT_BULK_FORMAT}`;
}

export function rangeOf(cp: RangeCheckpoint): IdRange {
  return { from: cp.from === null ? undefined : parseId(cp.from), to: cp.to === null ? undefined : parseId(cp.to) };
}

/** Reads one range from its checkpoint into files; returns once every file of it is finished. */
async function copyRange(run: BulkRun, cp: RangeCheckpoint): Promise<void> {
  const { options, bulk, stats, signal } = run;
  const { plan } = options;
  const maxKept = options.maxRejectedKept ?? 1000;
  const fileBytes = bulk.fileBytes ?? DEFAULT_FILE_BYTES;
  const known = bulk.files.list(plan.source).filter((f) => f.rangeIndex === cp.index);
  let seq = known.reduce((n, f) => Math.max(n, f.seq + 1), 0);
  // Files are uploaded and submitted one after another (so the submitted files of a range are
  // always a prefix of its files), and finished in file order (a checkpoint covers a prefix).
  let tail: Promise<void> = Promise.resolve();
  const pending: Array<Promise<void>> = [];
  // A file is uploaded while it is written (objects.ts): no request goes out before its first part.
  const open = () => run.newFile(bulk.objects.upload(fileKey(bulk, plan, cp.index, seq)));
  let file = open();
  let fileFrom = cp.cursor;
  let fileRejected = 0;
  const ship = async (next: string | null) => {
    const written = file;
    const f: BulkFile = {
      rangeIndex: cp.index, seq, from: fileFrom, next, key: fileKey(bulk, plan, cp.index, seq),
      rows: written.rows, rejected: fileRejected, bytes: 0, state: 'written', taskId: null, reason: null,
    };
    seq += 1;
    file = open();
    fileFrom = next;
    fileRejected = 0;
    await submitFile(run, f, written);
    const prev = tail;
    tail = prev.then(() => awaitFile(run, cp, f));
    // Handled here so a failure waiting for its turn is not "unhandled"; it is thrown where awaited.
    tail.catch(() => undefined);
    pending.push(tail);
    if (pending.length >= IN_FLIGHT_PER_RANGE) await pending.shift();
  };
  // Packed: vectors stay the bytes Qdrant sent, in blocks the reader reuses once a page is released,
  // and payloads the transcoder's JSON (no JS number per float, no payload object per point).
  const pages = options.reader.read({ collection: plan.source, range: rangeOf(cp), from: cp.cursor === null ? undefined : parseId(cp.cursor), pageSize: options.pageSize, signal, packedVectors: true });
  try {
    for await (const page of pages) {
      const { rows, rejected } = mapPage(plan, page.points, stats, options.events, maxKept);
      fileRejected += rejected.length;
      const corruptAt = bulkFault.badRow(plan.source, seq, file.rows, rows.length);
      rows.forEach((row, i) => file.add(row, i === corruptAt));
      // The file holds copies of the rows' bytes (column arrays, JSON text): the page's blocks can go back.
      page.release?.();
      await file.drain();
      bulkCrash.at('writing', plan.source, seq);
      const next = page.next === null ? null : formatId(page.next);
      if (file.bytes >= fileBytes || next === null) await ship(next);
      if (next === null) break;
    }
    throwIfAborted(signal);
    await tail;
  } finally {
    // A failure stops new files (the one in progress is dropped, its upload aborted); tasks
    // already submitted are finished by the next run's resume.
    await file.discard();
    await Promise.allSettled(pending);
  }
}

/** Ends the file's upload, records and submits it (its task then runs while the next file is built). */
async function submitFile(run: BulkRun, f: BulkFile, file: ImportFile): Promise<void> {
  const { bulk, options } = run;
  const collection = options.plan.source;
  if (file.rows > 0) {
    bulkCrash.at('uploading', collection, f.seq);
    f.bytes = await file.seal();
    bulk.files.record(collection, f);
    bulkCrash.at('uploaded', collection, f.seq);
    bulk.files.setState(collection, f, 'submitting');
    const taskId = await bulk.importer.submit(options.plan.target, [f.key]);
    bulk.files.setState(collection, f, 'submitted', { taskId });
    f.state = 'submitted';
    f.taskId = taskId;
    bulkCrash.at('importing', collection, f.seq);
  } else {
    // Every point of the span was rejected: nothing to import, the checkpoint still moves on.
    await file.discard();
    bulk.files.record(collection, f);
    bulk.files.setState(collection, f, 'completed');
    f.state = 'completed';
  }
}
