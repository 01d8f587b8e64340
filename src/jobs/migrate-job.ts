/**
 * The `migrate` job kind: copies the plan's collections (core/migrate.ts) with checkpoints per id
 * range, through the upsert pipeline or, in bulk mode, the target's import jobs (src/bulk/job.ts),
 * then records each collection's counts, the verification and the aliases in the store.
 */
import { MigrationError } from '../core/errors.ts';
import { runMigration, type CheckpointStore, type MigrationReport } from '../core/migrate.ts';
import { openBulkCopier } from '../bulk/job.ts';
import { DEFAULT_RETRY_BUDGET_SECONDS } from './connect.ts';
import { crashHook } from './crash-hook.ts';
import { cancelledError, type JobContext, type JobKindRunner, type JobOutcome, type JobRunOptions } from './job-body.ts';
import type { JobStore } from './store.ts';

export const migrateJob: JobKindRunner<MigrationReport> = { readOnly: false, body: runMigrate, end: endMigration };

async function runMigrate(ctx: JobContext): Promise<MigrationReport> {
  const options = ctx.job.options as JobRunOptions;
  // Bulk mode (issue 14, src/bulk/job.ts): collections are copied through the target's import jobs.
  const budgetMs = (options.retryBudgetSeconds ?? DEFAULT_RETRY_BUDGET_SECONDS) * 1000;
  const bulk = await openBulkCopier(ctx.job, ctx.store.secretsFor(ctx.id), ctx.store.dataDir, budgetMs);
  try {
    return await runMigration(ctx.plan, ctx.reader, ctx.sink, {
      events: ctx.events,
      signal: ctx.signal,
      pageSize: options.pageSize,
      verifySample: options.verifySample,
      checkpoints: checkpointsOf(ctx.store, ctx.id),
      allCollections: ctx.job.plan.collections,
      copy: bulk?.copy,
    });
  } finally {
    await bulk?.close();
  }
}

function checkpointsOf(store: JobStore, id: string): CheckpointStore {
  return {
    load: (collection) => store.loadCheckpoints(id, collection).map((c) => ({ ...c, index: c.rangeIndex })),
    save: (collection, cp) => {
      store.saveCheckpoint(id, collection, cp.index, { from: cp.from, to: cp.to, cursor: cp.cursor, done: cp.done, written: cp.written, rejected: cp.rejected ?? 0 });
      crashHook.afterCheckpoint(collection, cp);
    },
  };
}

function endMigration(store: JobStore, id: string, report: MigrationReport): JobOutcome {
  for (const c of report.collections) {
    // Stopped before verify (cancelled, failed while copying): the report holds no counts, only
    // zeros; keep the progress the store has instead of showing "0 written, not verified".
    if (c.status === 'CANCELLED' || (c.status === 'FAILED' && c.error?.code !== 'VERIFY_FAILED')) continue;
    store.updateCollection(id, c.source, {
      written: c.written,
      rejected: c.rejectedCount,
      nullsDropped: c.nullsDropped,
      mismatchNulled: c.mismatchNulled,
      renamedKeys: c.renamedKeys,
      sourceCount: c.sourceCount,
      targetCount: c.targetCount,
      verified: c.verified,
    });
  }
  const all = store.get(id).collections;
  store.setVerification(id, {
    verified: all.every((c) => c.verified === true),
    collections: all.map((c) => ({ source: c.source, target: c.target, sourceCount: c.sourceCount, targetCount: c.targetCount, verified: c.verified })),
  });
  const aliases = [...report.collections.flatMap((c) => c.aliases ?? []), ...(report.switched ?? [])];
  if (aliases.length > 0) store.setAliases(id, aliases);
  const failed = report.collections.find((c) => c.status === 'FAILED');
  if (report.cancelled) return { status: 'CANCELLED', error: cancelledError(id) };
  if (failed || report.error || !all.every((c) => c.status === 'SUCCESSFUL')) {
    const error = failed?.error ?? report.error ?? { code: 'VERIFY_FAILED', message: 'Not every collection was verified.' };
    return { status: 'FAILED', error: new MigrationError({ code: error.code, kind: 'system', message: failed ? `${failed.source}: ${error.message}` : error.message }) };
  }
  return { status: 'SUCCESSFUL' };
}
