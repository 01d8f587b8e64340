/**
 * Full verify and Sync of a finished job (issue 11): a new job of kind `verify-full` or `sync` over
 * the same plan, source and target (engine.createVerifyFull / createSync: the credentials come from
 * the parent's sealed columns, so the user never types them twice and no response carries them).
 * Started from a verify-full or sync job, it belongs to the migration that job came from, so every
 * sync pass ("in sync at") shows on the migration's page.
 */
import { configError } from '../core/errors.ts';
import type { JobEngine } from '../jobs/engine.ts';
import type { JobStore } from '../jobs/store.ts';
import type { Job } from '../jobs/types.ts';

export type FollowUpKind = 'verify-full' | 'sync';

export interface FollowUpOptions {
  /** sync: passes at most (it stops at the first that changes nothing). */
  maxPasses?: number;
  /** verify-full: ids of each kind kept in the summary and the log. */
  firstN?: number;
}

/** Records a PENDING verify-full / sync job from job `id`; config JOB_RUNNING (409) while `id` has not ended. */
export function createFollowUp(engine: JobEngine, store: JobStore, id: string, kind: FollowUpKind, options: FollowUpOptions): Job {
  const from = store.get(id);
  if (from.status === 'IN_PROGRESS' || from.status === 'PENDING') {
    throw configError('JOB_RUNNING', `Job ${id} has not ended (${from.status}).`, `Wait for it to end (or cancel it), then start the ${kind === 'sync' ? 'sync' : 'full verification'} again.`);
  }
  const root = from.kind !== 'migrate' && from.parentJobId ? from.parentJobId : id;
  const input = { fromJob: root, options };
  return kind === 'sync' ? engine.createSync(input) : engine.createVerifyFull(input);
}
