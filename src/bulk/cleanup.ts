/**
 * Import files are a means, not a result: once a file's rows are in the target (its task Completed,
 * or its rows upserted after the task failed) or it will never be submitted (abandoned), its object
 * is deleted from the bucket. Per file as soon as the checkpoint has moved past it, so the bucket
 * holds only the files in flight rather than a second copy of the collection; and once more when
 * the collection's copy ends, for what a killed run left (DeleteObjects of an absent key succeeds).
 *
 * A delete that fails never fails the job (every row is already in the target): it is logged once
 * per collection as a warning naming the objects, the reason and the fix.
 */
import { MigrationError } from '../core/errors.ts';
import type { BulkRun } from './copy.ts';
import type { BulkFile, FileState } from './file-log.ts';

/** States after which nothing reads a file's object again. */
const DONE_WITH: ReadonlySet<FileState> = new Set(['completed', 'recovered', 'abandoned']);

/** Deletes the objects of `files` that are done with; warns (once per collection) where it cannot. */
export async function removeFiles(run: BulkRun, files: readonly BulkFile[]): Promise<void> {
  const keys = files.filter((f) => DONE_WITH.has(f.state) && f.bytes > 0).map((f) => f.key);
  if (keys.length === 0) return;
  let refused: string[];
  let reason: string | undefined;
  try {
    refused = await run.bulk.objects.remove(keys);
  } catch (e) {
    refused = keys;
    reason = e instanceof Error ? e.message : String(e);
  }
  if (refused.length === 0) return;
  const shown = refused.slice(0, 3).join(', ') + (refused.length > 3 ? ` and ${refused.length - 3} more` : '');
  warn(run, `Could not delete import file(s) ${shown}${reason ? ` (${reason.replace(/\.$/, '')})` : ` from ${run.bulk.objects.location}`}.`);
}

/**
 * Aborts the multipart uploads a killed run left under a collection's prefix (files uploaded while
 * written, objects.ts): never visible objects, but their parts are stored. Called once the
 * collection's ranges are all done, so none of them is still being written.
 */
export async function abortLeftUploads(run: BulkRun, collectionPrefix: string): Promise<void> {
  try {
    await run.bulk.objects.abortUploads(collectionPrefix);
  } catch (e) {
    warn(run, `Could not abort the unfinished uploads under ${collectionPrefix} (${(e instanceof Error ? e.message : String(e)).replace(/\.$/, '')}).`);
  }
}

/** One BULK_CLEANUP_FAILED warning per collection. */
function warn(run: BulkRun, what: string): void {
  if (run.cleanupWarned) return;
  run.cleanupWarned = true;
  const { prefix } = run.bulk;
  const fix = `Delete the objects under ${prefix}/ yourself, or let the bulk keys delete objects and abort uploads (s3:DeleteObject, s3:AbortMultipartUpload) so later jobs clean up after themselves.`;
  // The fix goes into the message too: the job's error log and the progress lines show messages.
  run.options.events.emit('error', {
    collection: run.options.plan.source,
    willRetry: false,
    warning: true,
    error: new MigrationError({
      code: 'BULK_CLEANUP_FAILED',
      kind: 'config',
      // A thrown storage error already names the endpoint, bucket and key.
      message: `${what} Their rows are in the target; the migration is unaffected. ${fix}`,
      fix,
    }),
  });
}
