/**
 * Running verify-full and sync jobs (issue 11): passes of the compare engine over every collection
 * of the job's plan, with progress, checkpoints, cancel and resume like a migration.
 *
 * A pass walks each collection once (core/compare-walk.ts). After every step the pass row is saved
 * (phase, cursor = last compared id, counts): for sync only after the target acked the step's
 * deletes and upserts, so a resume never skips a repair. A resumed job continues its unfinished
 * pass; a job whose passes all ended starts a new one.
 *
 * Sync runs up to `maxPasses` passes and stops at the first that changes nothing: that pass is the
 * cutover signal, recorded as "in sync at <time>" on the job and on the job it started from.
 *
 * The engine (engine.ts) records these jobs with createCompareJob() and runs them like any other
 * through the `verifyFullJob` / `syncJob` runners.
 */
import type { Sink, SourceReader } from '../core/contracts.ts';
import { FIRST_PHASE, type WalkPosition } from '../core/compare-walk.ts';
import { configError, MigrationError } from '../core/errors.ts';
import { withUserinfo } from '../core/url-credentials.ts';
import { RateMeter, type MigrationEvents } from '../core/events.ts';
import { changedNothing, emptyPassCounts, syncCollection, type PassCounts } from '../core/sync.ts';
import type { CollectionPlan } from '../core/types.ts';
import { checkFull, emptyFullCheck, type FullCheck } from '../core/verify-full.ts';
import { crashHook } from './crash-hook.ts';
import type { JobContext, JobKindRunner, JobOutcome, JobRunOptions } from './job-body.ts';
import type { JobStore } from './store.ts';
import type { Job, JobSpec, PassState } from './types.ts';

/** Options of verify-full / sync jobs, kept in JobSpec.options beside JobRunOptions. */
export interface CompareJobOptions {
  /** Sync: passes at most; it stops earlier at a pass that changes nothing. Default 1. */
  maxPasses?: number;
  /** Verify-full: ids of each kind (missing, extra, different) kept in the summary and the log. Default 20. */
  firstN?: number;
}

export interface CollectionPass {
  source: string;
  target: string;
  /** Sync: PassCounts; verify-full: FullCheck. */
  counts: PassCounts | FullCheck;
  done: boolean;
  endedAt: string | null;
}

export interface PassSummary {
  pass: number;
  collections: CollectionPass[];
  /** Sync: no row upserted or deleted in any collection; verify-full: no difference found. Only
   *  meaningful once `done`. */
  clean: boolean;
  done: boolean;
  endedAt: string | null;
}

/** What engine.run() answers for a verify-full or sync job. */
export interface CompareReport {
  kind: 'verify-full' | 'sync';
  /** Sync: the last pass changed nothing (in sync); verify-full: no difference. */
  ok: boolean;
  cancelled: boolean;
  passes: PassSummary[];
  /** When a sync pass last changed nothing; null otherwise. */
  inSyncAt: string | null;
}

export function isCompareReport(r: object): r is CompareReport {
  return 'kind' in r && (r.kind === 'sync' || r.kind === 'verify-full');
}

/**
 * What a verify-full / sync job compares: the plan and connections of a job that ended (`fromJob`,
 * e.g. the console's "Sync" action on a finished migration), or a plan with its connections (the
 * CLI's `sync --plan`). Every collection is appended into, never created or dropped.
 */
export type CompareJobInput = ({ fromJob: string } | Pick<JobSpec, 'source' | 'target' | 'plan'>) & {
  /** maxPasses (sync), firstN (verify-full), pageSize, retryBudgetSeconds...; a parent job's
   *  transport and retry options are kept unless given here, never its pageSize (inheritedOptions). */
  options?: JobRunOptions & CompareJobOptions;
};

/** Records a PENDING verify-full / sync job (JobEngine.createSync / createVerifyFull say what each does). */
export function createCompareJob(store: JobStore, kind: CompareReport['kind'], input: CompareJobInput): Job {
  if (!('fromJob' in input)) {
    const plan = { ...input.plan, collections: input.plan.collections.map((c) => ({ ...c, ifExists: 'append' as const })) };
    return store.create({ source: input.source, target: input.target, plan, options: { ...input.options }, kind });
  }
  const parent = store.get(input.fromJob);
  if (parent.status === 'IN_PROGRESS' || parent.status === 'PENDING') {
    throw configError('JOB_RUNNING', `Job ${parent.id} has not ended (${parent.status}); a ${kind} of it would race its writes.`, `Wait for it to end, or cancel it with \`qdrant2milvus jobs cancel ${parent.id}\`.`);
  }
  if (parent.plan.collections.length === 0) throw configError('JOB_HAS_NO_PLAN', `Job ${parent.id} has no collections to ${kind}.`, 'Pick a job that migrated at least one collection.');
  const secrets = store.secretsFor(parent.id);
  const plan = { ...parent.plan, collections: parent.plan.collections.map((c) => ({ ...c, ifExists: 'append' as const })) };
  return store.create({
    source: { url: withUserinfo(parent.source.url, secrets.sourceUserinfo), apiKey: secrets.apiKey },
    target: { uri: withUserinfo(parent.target.uri, secrets.targetUserinfo), token: secrets.token, database: parent.target.database },
    plan,
    options: { ...inheritedOptions(parent.options as JobRunOptions), ...input.options },
    kind,
    parentJobId: parent.id,
  });
}

/**
 * What a compare job keeps of its parent's options: how it reached the source and how long it
 * retried. Not the migration's pageSize (a read page; a compare step is one `pk in [...]` query,
 * sized by compare-step.ts pageRows unless this job is given its own) nor its verifySample.
 */
export function inheritedOptions(parent: JobRunOptions): JobRunOptions {
  const { sourceTransport, sourceGrpcPort, retryBudgetSeconds } = parent;
  return {
    ...(sourceTransport !== undefined && { sourceTransport }),
    ...(sourceGrpcPort !== undefined && { sourceGrpcPort }),
    ...(retryBudgetSeconds !== undefined && { retryBudgetSeconds }),
  };
}

/** A verify-full job only reads, so it takes no target lease (a read-only token may run it). */
export const verifyFullJob: JobKindRunner<CompareReport> = { readOnly: true, body: runCompare, end: endCompare };
export const syncJob: JobKindRunner<CompareReport> = { readOnly: false, body: runCompare, end: endCompare };

function runCompare(ctx: JobContext): Promise<CompareReport> {
  const options = ctx.job.options as JobRunOptions & CompareJobOptions;
  return runCompareJob({
    store: ctx.store,
    id: ctx.id,
    kind: ctx.job.kind as CompareReport['kind'],
    plan: ctx.plan.collections,
    reader: ctx.reader,
    sink: ctx.sink,
    events: ctx.events,
    signal: ctx.signal,
    pageSize: options.pageSize,
    options,
  });
}

/** A compare job's end: verify-full FAILED when something differs; sync SUCCESSFUL (its passes say what changed). */
function endCompare(_store: JobStore, _id: string, report: CompareReport): JobOutcome {
  if (report.kind === 'sync' || report.ok) return { status: 'SUCCESSFUL' };
  const last = report.passes.at(-1);
  const sum = (k: 'missing' | 'extra' | 'different') => last?.collections.reduce((n, c) => n + ((c.counts as unknown as Record<string, number>)[k] ?? 0), 0) ?? 0;
  const message = `verify --full found ${sum('missing')} missing, ${sum('extra')} extra and ${sum('different')} different points (see the job's passes and log).`;
  return { status: 'FAILED', error: new MigrationError({ code: 'VERIFY_FAILED', kind: 'system', message }) };
}

/** The passes of a job as summaries (for `jobs show`, the API and the report). */
export function passSummaries(store: JobStore, id: string): PassSummary[] {
  const job = store.get(id);
  const targets = new Map(job.collections.map((c) => [c.source, c.target]));
  const byPass = new Map<number, PassState[]>();
  for (const p of store.passes(id)) byPass.set(p.pass, [...(byPass.get(p.pass) ?? []), p]);
  return [...byPass].map(([pass, rows]) => {
    const collections = rows.map((r) => ({ source: r.collection, target: targets.get(r.collection) ?? r.collection, counts: r.counts as unknown as PassCounts | FullCheck, done: r.phase === 'done', endedAt: r.endedAt }));
    const done = collections.length === job.collections.length && collections.every((c) => c.done);
    const clean = collections.every((c) => ('upserted' in c.counts ? changedNothing(c.counts) : c.counts.missing + c.counts.extra + c.counts.different === 0));
    const endedAt = done ? collections.map((c) => c.endedAt ?? '').sort().at(-1) ?? null : null;
    return { pass, collections, clean, done, endedAt };
  });
}

export interface CompareRun {
  store: JobStore;
  id: string;
  kind: 'verify-full' | 'sync';
  plan: CollectionPlan[];
  reader: SourceReader;
  sink: Sink;
  events: MigrationEvents;
  signal: AbortSignal;
  pageSize?: number;
  options: CompareJobOptions;
}

/** Runs the job's passes to the end (or to its first clean sync pass). Cancel: rejects with the signal's reason. */
export async function runCompareJob(run: CompareRun): Promise<CompareReport> {
  const { store, id, kind } = run;
  const saved = store.passes(id);
  let pass = Math.max(0, ...saved.map((p) => p.pass));
  const unfinished = pass > 0 && passSummaries(store, id).find((p) => p.pass === pass)?.done === false;
  if (!unfinished) pass++;
  const limit = kind === 'sync' ? Math.max(run.options.maxPasses ?? 1, pass) : pass;
  for (; pass <= limit; pass++) {
    for (const plan of run.plan) await runCollectionPass(run, plan, pass, saved.find((p) => p.pass === pass && p.collection === plan.source));
    const summary = passSummaries(store, id).find((p) => p.pass === pass)!;
    if (kind === 'sync' && summary.clean) {
      store.markInSync(id, summary.endedAt ?? new Date().toISOString());
      break;
    }
  }
  const passes = passSummaries(store, id);
  const last = passes.at(-1);
  return { kind, ok: Boolean(last?.done && last.clean), cancelled: false, passes, inSyncAt: store.get(id).inSyncAt };
}

async function runCollectionPass(run: CompareRun, plan: CollectionPlan, pass: number, saved: PassState | undefined): Promise<void> {
  const { store, id, events, kind } = run;
  if (saved?.phase === 'done') return;
  const phase = kind === 'sync' ? 'copy' : 'verify';
  events.emit('collection:status', { collection: plan.source, status: 'IN_PROGRESS', phase });
  const total = await run.reader.count(plan.source);
  const meter = new RateMeter();
  const from = saved ? { position: { phase: saved.phase as WalkPosition['phase'], cursor: saved.cursor } } : undefined;
  const onStep = (position: WalkPosition, counts: PassCounts | FullCheck) => {
    store.savePass(id, { collection: plan.source, pass, phase: position.phase, cursor: position.cursor, counts: counts as unknown as Record<string, unknown> });
    const rejected = 'rejected' in counts ? counts.rejected : 0;
    crashHook.afterCheckpoint(plan.source, { cursor: position.cursor, done: false, written: counts.compared, rejected });
    meter.record(counts.compared);
    const done = Math.min(counts.compared, total);
    events.emit('collection:progress', { collection: plan.source, total, written: done, rejected: 0, pointsPerSecond: Math.round(meter.rate()), etaSeconds: meter.eta(total - done) });
  };
  // The pass row exists from the start, so a pass interrupted before its first step still resumes as this pass.
  if (!saved) store.savePass(id, { collection: plan.source, pass, phase: FIRST_PHASE, cursor: null, counts: (kind === 'sync' ? emptyPassCounts() : emptyFullCheck()) as unknown as Record<string, unknown> });
  let counts: PassCounts | FullCheck;
  if (kind === 'sync') {
    counts = await syncCollection(plan, run.reader, run.sink, {
      batch: run.pageSize,
      signal: run.signal,
      ...(from && { from: { ...from, counts: saved!.counts as unknown as PassCounts } }),
      onStep,
      onRejected: (points) => events.emit('points:rejected', { collection: plan.source, points }),
    });
  } else {
    counts = await checkFull(plan, run.reader, run.sink, {
      batch: run.pageSize,
      signal: run.signal,
      firstN: run.options.firstN,
      ...(from && { from: { ...from, counts: saved!.counts as unknown as FullCheck } }),
      onStep,
    });
    logFirst(store, id, plan.source, counts);
  }
  store.savePass(id, { collection: plan.source, pass, phase: 'done', cursor: null, counts: counts as unknown as Record<string, unknown> });
  const clean = 'upserted' in counts ? changedNothing(counts) : counts.missing + counts.extra + counts.different === 0;
  store.updateCollection(id, plan.source, { sourceCount: total, targetCount: await run.sink.count(plan.target), verified: clean });
  events.emit('collection:status', { collection: plan.source, status: 'SUCCESSFUL', phase: 'done' });
}

/** The first ids of each kind a full verification found, in the job's log. */
function logFirst(store: JobStore, id: string, collection: string, check: FullCheck): void {
  const entries = (['missing', 'extra', 'different'] as const).flatMap((kind) =>
    check.first[kind].map((m) => ({ collection, pointId: m.id, code: `VERIFY_${kind.toUpperCase()}`, message: `${m.what}: ${m.detail}` })),
  );
  store.appendErrors(id, entries);
}
