/**
 * Whether a job may start now: the engine asks inside the store transaction that claims the job
 * (and `migrate --detach` asks ahead, so a refusal reaches the user's terminal).
 */
import { configError } from '../core/errors.ts';
import type { MigrationPlan } from '../core/types.ts';
import { isPidAlive } from './lifecycle.ts';
import type { JobStore } from './store.ts';

/**
 * Throws config JOB_FINISHED, JOB_RUNNING, TARGET_BUSY (another live job writes one of its target
 * collections) or TOO_MANY_JOBS (`maxConcurrent` live jobs already).
 */
export function refuseUnlessRunnable(store: JobStore, id: string, maxConcurrent: number): void {
  const job = store.get(id);
  if (job.status === 'SUCCESSFUL') throw configError('JOB_FINISHED', `Job ${id} already finished successfully.`, 'Start a new job to migrate again.');
  if (job.status === 'IN_PROGRESS') throw configError('JOB_RUNNING', `Job ${id} is already running (pid ${job.ownerPid}).`, `Wait for it, or cancel it with \`qdrant2milvus jobs cancel ${id}\`.`);
  const others = store.list({ status: 'IN_PROGRESS', limit: 1000 }).filter((j) => j.id !== id && isPidAlive(j.ownerPid ?? 0));
  const mine = targetKeys(job.target, job.plan);
  for (const other of others) {
    const clash = targetKeys(other.target, store.get(other.id).plan).find((k) => mine.includes(k));
    if (clash) {
      throw configError(
        'TARGET_BUSY',
        `Job ${other.id} is writing into target collection ${clash.split('|').pop()} right now; two jobs may not write one collection at once.`,
        `Wait for job ${other.id} to end (or cancel it), then start this one with \`qdrant2milvus jobs resume ${id}\`.`,
      );
    }
  }
  if (others.length >= maxConcurrent) {
    throw configError('TOO_MANY_JOBS', `${others.length} jobs are running already (limit ${maxConcurrent}).`, `Wait for one to end, then start this one with \`qdrant2milvus jobs resume ${id}\`.`);
  }
}

/** `uri|database|collection` of every target collection of a job, to find two jobs on one target. */
function targetKeys(target: { uri: string; database: string }, plan: MigrationPlan): string[] {
  const uri = target.uri.replace(/\/+$/, '').toLowerCase();
  return plan.collections.map((c) => `${uri}|${target.database}|${c.target}`);
}
