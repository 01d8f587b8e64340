/**
 * The job engine: runs migration jobs of the JobStore in this process, with checkpoints, cancel,
 * resume, an error log and live events. The CLI (foreground, detached `jobs run`) and the HTTP
 * server are its callers; all state lives in the store, so any process can show or cancel a job.
 *
 *   create(spec) → PENDING      run(id) → IN_PROGRESS → SUCCESSFUL | FAILED | CANCELLED
 *   cancel(id): aborts here, or flags the job for the process that runs it (polled every 200 ms)
 *   resume(id): FAILED | CANCELLED → run again from the saved checkpoints
 *
 * Three kinds of job share that life (JobKind): `migrate`, and the compare engine's `verify-full`
 * and `sync` (compare-job.ts), started from a finished job or a plan with createSync() /
 * createVerifyFull() and run like any other job with run(id).
 */
import { asMigrationError, configError, MigrationError } from '../core/errors.ts';
import { withUserinfo } from '../core/url-credentials.ts';
import type { CollectionPhase, CollectionStatus, ProgressSnapshot } from '../core/events.ts';
import { runMigration, type CheckpointStore, type MigrationReport } from '../core/migrate.ts';
import type { Sink, SourceReader } from '../core/contracts.ts';
import type { MigrationEvents } from '../core/events.ts';
import type { MigrationPlan } from '../core/types.ts';
import { openBulkCopier } from '../bulk/job.ts';
import { bridgeEvents } from './bridge.ts';
import { isCompareReport, runCompareJob, type CompareJobOptions, type CompareReport } from './compare-job.ts';
import { defaultConnect, DEFAULT_RETRY_BUDGET_SECONDS, type Connect } from './connect.ts';
import { crashHook } from './crash-hook.ts';
import { keepLease } from './lease-keeper.ts';
import { isPidAlive } from './lifecycle.ts';
import type { JobStore } from './store.ts';
import type { Job, JobKind, JobSpec, JobStatus } from './types.ts';

/** What run(id) resolves with: a migration's report, or a verify-full / sync job's passes. */
export type JobReport = MigrationReport | CompareReport;

/**
 * What a verify-full / sync job compares: the plan and connections of a job that ended (`fromJob`,
 * e.g. the console's "Sync" action on a finished migration), or a plan with its connections (the
 * CLI's `sync --plan`). Every collection is appended into, never created or dropped.
 */
export type CompareJobInput = ({ fromJob: string } | Pick<JobSpec, 'source' | 'target' | 'plan'>) & {
  /** maxPasses (sync), firstN (verify-full), pageSize, retryBudgetSeconds...; a parent job's
   *  transport and retry options are kept unless given here. */
  options?: JobRunOptions & CompareJobOptions;
};

/** Options a job keeps in the store (JobSpec.options). */
export interface JobRunOptions {
  /** Points per source read. Default: the pipeline's default. */
  pageSize?: number;
  /** Points compared by content after the counts. Default 0. */
  verifySample?: number;
  /** Source transport, decided when the job was created (the CLI probes gRPC first). Default rest. */
  sourceTransport?: 'rest' | 'grpc';
  /** Qdrant's gRPC port for the gRPC transport. Default 6334. */
  sourceGrpcPort?: number;
  /** How long one operation retries a transient source or target failure before the job fails
   *  (resumably). Default 60 (DEFAULT_RETRY_BUDGET_SECONDS). */
  retryBudgetSeconds?: number;
}

export interface EngineEventMap {
  'job:status': { jobId: string; status: JobStatus };
  'job:collection': { jobId: string; collection: string; status: CollectionStatus; phase: CollectionPhase };
  'job:progress': { jobId: string } & ProgressSnapshot;
  /** A rejected point, a failure, or (willRetry) a transient error that is being retried. */
  'job:error': { jobId: string; collection?: string; code: string; message: string; pointId?: string; willRetry: boolean };
}

type Listener<T> = (payload: T) => void;

export interface EngineOptions {
  /** Jobs IN_PROGRESS at once across every process on this data dir. Default 4. */
  maxConcurrentJobs?: number;
  /** How often progress is saved to the store. Default 1000 ms. */
  syncEveryMs?: number;
  /** How often a running job reads the cancel flag another process may set. Default 200 ms: one
   *  indexed read, and it keeps `jobs cancel` well inside its 2 s promise. */
  cancelPollMs?: number;
  /** Opens connections; tests and the API may pass their own. */
  connect?: Connect;
}

export class JobEngine {
  private readonly listeners = new Map<keyof EngineEventMap, Set<Listener<never>>>();
  private readonly running = new Map<string, AbortController>();
  private readonly maxConcurrent: number;
  private readonly syncEveryMs: number;
  private readonly cancelPollMs: number;

  constructor(
    readonly store: JobStore,
    private readonly options: EngineOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrentJobs ?? 4;
    this.syncEveryMs = options.syncEveryMs ?? 1000;
    this.cancelPollMs = options.cancelPollMs ?? 200;
  }

  on<K extends keyof EngineEventMap>(name: K, listener: Listener<EngineEventMap[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  private emit<K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]): void {
    for (const l of this.listeners.get(name) ?? []) {
      try {
        (l as Listener<EngineEventMap[K]>)(payload);
      } catch (e) {
        // A broken listener (a closed SSE stream, a display bug) must never break a job.
        console.error('job event listener failed:', e);
      }
    }
  }

  /** Records a PENDING job. The plan must have no errors (the caller checked). */
  create(spec: JobSpec & { options?: JobRunOptions }): Job {
    return this.store.create(spec as JobSpec);
  }

  /**
   * Records a PENDING `sync` job (issue 11): start it with run(id) like a migration. Each pass
   * upserts the points missing or different in the target, deletes the extra ones and leaves the
   * equal ones alone; the job stops at the first pass that changed nothing ("in sync at", also
   * shown on the parent job) or after `options.maxPasses` (default 1). Throws config JOB_NOT_FOUND,
   * JOB_RUNNING (the parent has not ended), JOB_HAS_NO_PLAN (a parent without collections).
   */
  createSync(input: CompareJobInput): Job {
    return this.createCompare('sync', input);
  }

  /**
   * Records a PENDING `verify-full` job: every point compared by content; the job ends SUCCESSFUL
   * when nothing differs, else FAILED (VERIFY_FAILED) with the counts and the first ids of each
   * kind in its passes and error log. Throws as createSync().
   */
  createVerifyFull(input: CompareJobInput): Job {
    return this.createCompare('verify-full', input);
  }

  private createCompare(kind: Exclude<JobKind, 'migrate'>, input: CompareJobInput): Job {
    if (!('fromJob' in input)) {
      const plan = { ...input.plan, collections: input.plan.collections.map((c) => ({ ...c, ifExists: 'append' as const })) };
      return this.store.create({ source: input.source, target: input.target, plan, options: { ...input.options }, kind });
    }
    const parent = this.store.get(input.fromJob);
    if (parent.status === 'IN_PROGRESS' || parent.status === 'PENDING') {
      throw configError('JOB_RUNNING', `Job ${parent.id} has not ended (${parent.status}); a ${kind} of it would race its writes.`, `Wait for it to end, or cancel it with \`qdrant2milvus jobs cancel ${parent.id}\`.`);
    }
    if (parent.plan.collections.length === 0) throw configError('JOB_HAS_NO_PLAN', `Job ${parent.id} has no collections to ${kind}.`, 'Pick a job that migrated at least one collection.');
    const secrets = this.store.secretsFor(parent.id);
    const plan = { ...parent.plan, collections: parent.plan.collections.map((c) => ({ ...c, ifExists: 'append' as const })) };
    return this.store.create({
      source: { url: withUserinfo(parent.source.url, secrets.sourceUserinfo), apiKey: secrets.apiKey },
      target: { uri: withUserinfo(parent.target.uri, secrets.targetUserinfo), token: secrets.token, database: parent.target.database },
      plan,
      options: { ...parent.options, ...input.options },
      kind,
      parentJobId: parent.id,
    });
  }

  /** IDs of jobs this engine is running now. */
  activeJobs(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Runs (or resumes) a job to its end in this process and resolves with its report: a migration's
   * MigrationReport, or a verify-full / sync job's CompareReport (isCompareReport() tells them
   * apart; callers that run any kind ask for `run<JobReport>(id)`). Throws config errors when the
   * job cannot start: not found, already running, target busy.
   */
  async run<R extends JobReport = MigrationReport>(id: string): Promise<R> {
    try {
      this.claim(id);
    } catch (e) {
      // A job refused for a busy target stays PENDING (start it later with resume); its log says why,
      // which matters for a detached run whose refusal nobody sees on a terminal.
      const error = asMigrationError(e);
      if (error.code === 'TARGET_BUSY' || error.code === 'TOO_MANY_JOBS') this.store.appendError(id, { code: error.code, message: error.message });
      throw error;
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    this.emit('job:status', { jobId: id, status: 'IN_PROGRESS' });
    const stopPolling = this.pollCancel(id, controller);
    try {
      const report = this.store.get(id).kind === 'migrate' ? await this.execute(id, controller) : await this.execute(id, controller, runCompare);
      if (isCompareReport(report)) this.finishCompare(id, report);
      else this.finishJob(id, report);
      // R: what the caller knows the job to be (a migration unless it says JobReport / CompareReport).
      return report as R;
    } catch (e) {
      const error = asMigrationError(e);
      this.store.appendError(id, { code: error.code, message: error.message });
      this.emit('job:error', { jobId: id, code: error.code, message: error.message, willRetry: false });
      this.transition(id, error.code === 'CANCELLED' ? 'CANCELLED' : 'FAILED', error);
      throw error;
    } finally {
      stopPolling();
      this.running.delete(id);
    }
  }

  /** Asks a job to stop; it ends CANCELLED within about a second wherever it runs. */
  cancel(id: string): 'cancelled' | 'requested' | 'finished' {
    const local = this.running.get(id);
    const outcome = this.store.requestCancel(id);
    if (local) local.abort(cancelled(id));
    if (outcome === 'cancelled') this.emit('job:status', { jobId: id, status: 'CANCELLED' });
    return outcome;
  }

  /**
   * Throws what run(id) would refuse with right now (finished, running, too many jobs, busy
   * target). `migrate --detach` calls it so the refusal reaches the user's terminal; run() still
   * decides atomically.
   */
  checkCanRun(id: string): void {
    this.store.recoverOrphans();
    this.store.transaction(() => this.refuseUnlessRunnable(id));
  }

  /** Moves the job to IN_PROGRESS, atomically refusing a busy target or too many running jobs. */
  private claim(id: string): void {
    this.store.recoverOrphans();
    this.store.transaction(() => {
      this.refuseUnlessRunnable(id);
      this.store.transition(id, 'IN_PROGRESS');
    });
  }

  private refuseUnlessRunnable(id: string): void {
    const job = this.store.get(id);
    if (job.status === 'SUCCESSFUL') throw configError('JOB_FINISHED', `Job ${id} already finished successfully.`, 'Start a new job to migrate again.');
    if (job.status === 'IN_PROGRESS') throw configError('JOB_RUNNING', `Job ${id} is already running (pid ${job.ownerPid}).`, `Wait for it, or cancel it with \`qdrant2milvus jobs cancel ${id}\`.`);
    const others = this.store.list({ status: 'IN_PROGRESS', limit: 1000 }).filter((j) => j.id !== id && isPidAlive(j.ownerPid ?? 0));
    const mine = targetKeys(job.target, job.plan);
    for (const other of others) {
      const clash = targetKeys(other.target, this.store.get(other.id).plan).find((k) => mine.includes(k));
      if (clash) {
        throw configError(
          'TARGET_BUSY',
          `Job ${other.id} is writing into target collection ${clash.split('|').pop()} right now; two jobs may not write one collection at once.`,
          `Wait for job ${other.id} to end (or cancel it), then start this one with \`qdrant2milvus jobs resume ${id}\`.`,
        );
      }
    }
    if (others.length >= this.maxConcurrent) {
      throw configError('TOO_MANY_JOBS', `${others.length} jobs are running already (limit ${this.maxConcurrent}).`, `Wait for one to end, then start this one with \`qdrant2milvus jobs resume ${id}\`.`);
    }
  }

  /**
   * Connects with the job's credentials, takes the target lease (unless the job only reads), and
   * runs `body` (a migration by default) over what is left of the plan.
   */
  private async execute<R extends JobReport = MigrationReport>(id: string, controller: AbortController, body: JobBody<R> = runMigrate as JobBody<never>): Promise<R> {
    const signal = controller.signal;
    const job = this.store.get(id);
    const options = job.options as JobRunOptions;
    const secrets = this.store.secretsFor(id);
    const { events, retry } = bridgeEvents({
      jobId: id,
      store: this.store,
      emit: (name, payload) => this.emit(name, payload),
      syncEveryMs: this.syncEveryMs,
      retryBudgetMs: (options.retryBudgetSeconds ?? DEFAULT_RETRY_BUDGET_SECONDS) * 1000,
    });
    const { reader, sink } = await (this.options.connect ?? defaultConnect)(job, secrets, retry);
    try {
      await reader.check();
      const state = new Map(job.collections.map((c) => [c.source, c.status]));
      // Finished collections are not redone; a collection an earlier run started continues into
      // what that run created (never dropped again, whatever ifExists said). Compare jobs redo
      // every collection in each pass (their progress lives in the passes table).
      const collections = job.plan.collections
        .filter((c) => job.kind !== 'migrate' || state.get(c.source) !== 'SUCCESSFUL')
        .map((c) => (state.get(c.source) === 'PENDING' ? c : { ...c, ifExists: 'append' as const }));
      const plan: MigrationPlan = { ...job.plan, collections };
      const ctx: JobContext = { id, job, plan, reader, sink, events, signal, checkpoints: this.checkpointsOf(id), store: this.store };
      // A verify-full job only reads: it takes no lease (a read-only token may run it).
      if (job.kind === 'verify-full') return await body(ctx);
      // The target itself records who writes it, so a job of another data dir or machine is refused
      // too (issue 13, defect 13). Taken before runMigration: before any `--if-exists drop`.
      const lease = await sink.acquireLease(collections.map((c) => c.target), id);
      let lost: MigrationError | undefined;
      const stopRenewing = keepLease(lease, (e) => {
        lost ??= e;
        controller.abort(e);
      });
      try {
        const report = await body(ctx);
        if (lost) throw lost;
        return report;
      } catch (e) {
        throw lost ?? e;
      } finally {
        stopRenewing();
        await lease.release().catch(() => undefined);
      }
    } finally {
      await Promise.allSettled([reader.close(), sink.close()]);
    }
  }

  /** A compare job's end: verify-full FAILED when something differs; sync SUCCESSFUL (its passes say what changed). */
  private finishCompare(id: string, report: CompareReport): void {
    const last = report.passes.at(-1);
    if (report.kind === 'verify-full' && !report.ok) {
      const sum = (k: 'missing' | 'extra' | 'different') => last?.collections.reduce((n, c) => n + ((c.counts as unknown as Record<string, number>)[k] ?? 0), 0) ?? 0;
      const message = `verify --full found ${sum('missing')} missing, ${sum('extra')} extra and ${sum('different')} different points (see the job's passes and log).`;
      this.transition(id, 'FAILED', new MigrationError({ code: 'VERIFY_FAILED', kind: 'system', message }));
    } else this.transition(id, 'SUCCESSFUL');
  }

  private checkpointsOf(id: string): CheckpointStore {
    return {
      load: (collection) => this.store.loadCheckpoints(id, collection).map((c) => ({ ...c, index: c.rangeIndex })),
      save: (collection, cp) => {
        this.store.saveCheckpoint(id, collection, cp.index, { from: cp.from, to: cp.to, cursor: cp.cursor, done: cp.done, written: cp.written, rejected: cp.rejected ?? 0 });
        crashHook.afterCheckpoint(collection, cp);
      },
    };
  }

  private finishJob(id: string, report: MigrationReport): void {
    for (const c of report.collections) {
      // Stopped before verify (cancelled, failed while copying): the report holds no counts, only
      // zeros; keep the progress the store has instead of showing "0 written, not verified".
      if (c.status === 'CANCELLED' || (c.status === 'FAILED' && c.error?.code !== 'VERIFY_FAILED')) continue;
      this.store.updateCollection(id, c.source, {
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
    const all = this.store.get(id).collections;
    this.store.setVerification(id, {
      verified: all.every((c) => c.verified === true),
      collections: all.map((c) => ({ source: c.source, target: c.target, sourceCount: c.sourceCount, targetCount: c.targetCount, verified: c.verified })),
    });
    const aliases = [...report.collections.flatMap((c) => c.aliases ?? []), ...(report.switched ?? [])];
    if (aliases.length > 0) this.store.setAliases(id, aliases);
    const failed = report.collections.find((c) => c.status === 'FAILED');
    if (report.cancelled) this.transition(id, 'CANCELLED', cancelled(id));
    else if (failed || report.error || !all.every((c) => c.status === 'SUCCESSFUL')) {
      const error = failed?.error ?? report.error ?? { code: 'VERIFY_FAILED', message: 'Not every collection was verified.' };
      this.transition(id, 'FAILED', new MigrationError({ code: error.code, kind: 'system', message: failed ? `${failed.source}: ${error.message}` : error.message }));
    } else this.transition(id, 'SUCCESSFUL');
  }

  private transition(id: string, to: JobStatus, error?: MigrationError): void {
    this.store.transition(id, to, error ? { error: { code: error.code, message: error.message } } : {});
    this.emit('job:status', { jobId: id, status: to });
  }

  /** Another process (CLI `jobs cancel`, the API) cancels by setting a flag in the store. */
  private pollCancel(id: string, controller: AbortController): () => void {
    const timer = setInterval(() => {
      try {
        if (this.store.isCancelRequested(id)) controller.abort(cancelled(id));
      } catch {
        // The store is busy or gone for a moment: poll again next tick.
      }
    }, this.cancelPollMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** What execute() hands a job's body. */
interface JobContext {
  id: string;
  job: Job;
  /** The job's plan without the collections a migration already finished. */
  plan: MigrationPlan;
  reader: SourceReader;
  sink: Sink;
  events: MigrationEvents;
  signal: AbortSignal;
  checkpoints: CheckpointStore;
  store: JobStore;
}

type JobBody<R> = (ctx: JobContext) => Promise<R>;

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
      checkpoints: ctx.checkpoints,
      allCollections: ctx.job.plan.collections,
      copy: bulk?.copy,
    });
  } finally {
    await bulk?.close();
  }
}

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

function cancelled(id: string): MigrationError {
  return new MigrationError({ code: 'CANCELLED', kind: 'config', message: `Job ${id} was cancelled.` });
}

/** `uri|database|collection` of every target collection of a job, to find two jobs on one target. */
function targetKeys(target: { uri: string; database: string }, plan: MigrationPlan): string[] {
  const uri = target.uri.replace(/\/+$/, '').toLowerCase();
  return plan.collections.map((c) => `${uri}|${target.database}|${c.target}`);
}
