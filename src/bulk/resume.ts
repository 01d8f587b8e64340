/**
 * The two halves of bulk mode's exactness (issue 14 §2):
 *
 * - awaitFile: waits for a file's import task; Completed moves the range's checkpoint past the
 *   file; Failed (one bad row fails the whole file, nothing of it stays) sends the file's id span
 *   through the sink's upsert instead, so the job still ends exact, then moves the checkpoint.
 * - resumeFiles: before a resumed collection reads anything, finishes every file an earlier run
 *   left behind: asks the server for the state of each task in flight, finds the task of a file
 *   whose submit answer was lost (ListImportTasks by object key) rather than submitting it again,
 *   and abandons files that never reached the server (their ids are read again from the checkpoint).
 */
import { MigrationError } from '../core/errors.ts';
import { parseId } from '../core/ids.ts';
import type { RangeCheckpoint } from '../core/pipeline.ts';
import { sleep } from '../core/retry.ts';
import { toRows } from '../mapping/rows.ts';
import type { BulkFile } from './file-log.ts';
import { rangeOf, type BulkRun } from './copy.ts';
import { removeFiles } from './cleanup.ts';

/** Waits for `f` to finish (or recovers it) and saves the checkpoint past it. `count`: add its rows
 *  to this run's stats (false while resuming: the stats start from the checkpoints). */
export async function awaitFile(run: BulkRun, cp: RangeCheckpoint, f: BulkFile, count = true): Promise<void> {
  const { bulk, options, signal } = run;
  const collection = options.plan.source;
  let written = f.rows;
  if (f.state === 'submitted') {
    for (;;) {
      const s = await bulk.importer.status(f.taskId!);
      if (s.state === 'completed') {
        bulk.files.setState(collection, f, (f.state = 'completed'));
        break;
      }
      if (s.state === 'failed') {
        bulk.files.setState(collection, f, (f.state = 'failed'), { reason: s.reason });
        f.reason = s.reason ?? null;
        break;
      }
      await sleep(bulk.pollMs ?? 500, signal);
    }
  }
  if (f.state === 'failed') {
    options.events.emit('error', {
      collection,
      error: new MigrationError({ code: 'BULK_TASK_FAILED', kind: 'transient', message: `Import task ${f.taskId} of ${f.key} (${f.rows} rows) failed: ${f.reason ?? 'no reason given'}; its rows are written through upsert instead.` }),
      willRetry: true,
    });
    written = await upsertSpan(run, cp, f);
    bulk.files.setState(collection, f, (f.state = 'recovered'));
  }
  cp.cursor = f.next;
  cp.done = f.next === null;
  cp.written += written;
  cp.rejected = (cp.rejected ?? 0) + f.rejected;
  await options.saveCheckpoint?.({ ...cp });
  // Its rows are in the target (task Completed, or upserted): nothing reads the object again.
  await removeFiles(run, [f]);
  if (count) {
    run.stats.written += written;
    run.report();
  }
}

/** Reads the file's ids [from, next) from the source again and upserts them; returns rows written. */
async function upsertSpan(run: BulkRun, cp: RangeCheckpoint, f: BulkFile): Promise<number> {
  const { options, signal } = run;
  const range = rangeOf(cp);
  if (f.next !== null) range.to = parseId(f.next);
  let written = 0;
  const from = f.from ?? cp.from;
  const pages = options.reader.read({ collection: options.plan.source, range, from: from === null ? undefined : parseId(from), pageSize: options.pageSize, signal });
  for await (const page of pages) {
    const { rows } = toRows(options.plan, page.points);
    if (rows.length > 0) await options.sink.write(options.plan, rows, signal);
    written += rows.length;
    if (page.next === null) break;
  }
  return written;
}

/** Finishes what earlier runs left of each range's files; ranges' checkpoints move accordingly. */
export async function resumeFiles(run: BulkRun, ranges: RangeCheckpoint[]): Promise<void> {
  const { bulk, options } = run;
  const collection = options.plan.source;
  const files = bulk.files.list(collection);
  if (files.length === 0) return;
  for (const cp of ranges) {
    const mine = files.filter((f) => f.rangeIndex === cp.index && f.state !== 'abandoned');
    const covered = cp.done ? mine.length : cp.cursor === null ? 0 : mine.findLastIndex((f) => f.next === cp.cursor) + 1;
    let submittedPrefix = true;
    for (const f of mine.slice(covered)) {
      if (submittedPrefix && f.state === 'submitting') {
        const taskId = await bulk.importer.findTask(options.plan.target, f.key);
        if (taskId !== undefined) {
          bulk.files.setState(collection, f, (f.state = 'submitted'), { taskId });
          f.taskId = taskId;
        }
      }
      if (!submittedPrefix || f.state === 'written' || f.state === 'submitting') {
        // Never reached the server: its rows are read again from the checkpoint into a new file.
        submittedPrefix = false;
        bulk.files.setState(collection, f, 'abandoned');
        continue;
      }
      await awaitFile(run, cp, f, false);
    }
  }
}
