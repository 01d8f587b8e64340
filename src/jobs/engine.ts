/**
 * The job engine: runs jobs of the JobStore in this process, with checkpoints, cancel, resume, an
 * error log and live events. The CLI (foreground, detached `jobs run`) and the HTTP server are its
 * callers; all state lives in the store, so any process can show or cancel a job.
 *
 *   create(spec) → PENDING      run(id) → IN_PROGRESS → SUCCESSFUL | FAILED | CANCELLED
 *   cancel(id): aborts here, or flags the job for the process that runs it (polled every 200 ms)
 *   resume(id): FAILED | CANCELLED → run again from the saved checkpoints
 *
 * This file is the life every kind shares (claim, connect, target lease, cancel, events); what a
 * kind does lives in its own file (job-body.ts says how): `migrate` in migrate-job.ts, and the
 * compare engine's `verify-full` and `sync` in compare-job.ts, recorded with createSync() /
 * createVerifyFull() and run like any other job with run(id).
 */
import { asMigrationError, MigrationError } from '../core/errors.ts';
import type { CollectionPhase, CollectionStatus, ProgressSnapshot } from '../core/events.ts';
import type { MigrationReport } from '../core/migrate.ts';
import type { MigrationPlan } from '../core/types.ts';
import { refuseUnlessRunnable } from './admission.ts';
import { bridgeEvents } from './bridge.ts';
import { createCompareJob, syncJob, verifyFullJob, type CompareJobInput, type CompareReport } from './compare-job.ts';
import { defaultConnect, DEFAULT_RETRY_BUDGET_SECONDS, type Connect } from './connect.ts';
import { cancelledError, type JobContext, type JobKindRunner, type JobRunOptions } from './job-body.ts';
import { keepLease } from './lease-keeper.ts';
import { migrateJob } from './migrate-job.ts';
import type { JobStore } from './store.ts';
import type { Job, JobKind, JobSpec, JobStatus } from './types.ts';

export type { CompareJobInput } from './compare-job.ts';
export type { JobRunOptions } from './job-body.ts';

/** What run(id) resolves with: a migration's report, or a verify-full / sync job's passes. */
export type JobReport = MigrationReport | CompareReport;

/** Each kind's body and end rule. */
const RUNNERS: Record<JobKind, JobKindRunner<never>> = {
  migrate: migrateJob as JobKindRunner<never>,
  'verify-full': verifyFullJob as JobKindRunner<never>,
  sync: syncJob as JobKindRunner<never>,
};

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
    return createCompareJob(this.store, 'sync', input);
  }

  /**
   * Records a PENDING `verify-full` job: every point compared by content; the job ends SUCCESSFUL
   * when nothing differs, else FAILED (VERIFY_FAILED) with the counts and the first ids of each
   * kind in its passes and error log. Throws as createSync().
   */
  createVerifyFull(input: CompareJobInput): Job {
    return createCompareJob(this.store, 'verify-full', input);
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
      const runner: JobKindRunner<R> = RUNNERS[this.store.get(id).kind];
      const report = await this.execute(id, controller, runner);
      const outcome = runner.end(this.store, id, report);
      this.transition(id, outcome.status, outcome.error);
      // R: what the caller knows the job to be (a migration unless it says JobReport / CompareReport).
      return report;
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
    if (local) local.abort(cancelledError(id));
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
    this.store.transaction(() => refuseUnlessRunnable(this.store, id, this.maxConcurrent));
  }

  /** Moves the job to IN_PROGRESS, atomically refusing a busy target or too many running jobs. */
  private claim(id: string): void {
    this.store.recoverOrphans();
    this.store.transaction(() => {
      refuseUnlessRunnable(this.store, id, this.maxConcurrent);
      this.store.transition(id, 'IN_PROGRESS');
    });
  }

  /**
   * Connects with the job's credentials, takes the target lease (unless the job only reads), and
   * runs the kind's body over what is left of the plan.
   */
  private async execute<R>(id: string, controller: AbortController, runner: JobKindRunner<R>): Promise<R> {
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
      const ctx: JobContext = { id, job, plan, reader, sink, events, signal, store: this.store };
      if (runner.readOnly) return await runner.body(ctx);
      // The target itself records who writes it, so a job of another data dir or machine is refused
      // too (issue 13, defect 13). Taken before runMigration: before any `--if-exists drop`.
      const lease = await sink.acquireLease(collections.map((c) => c.target), id);
      let lost: MigrationError | undefined;
      const stopRenewing = keepLease(lease, (e) => {
        lost ??= e;
        controller.abort(e);
      });
      try {
        const report = await runner.body(ctx);
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

  private transition(id: string, to: JobStatus, error?: MigrationError): void {
    this.store.transition(id, to, error ? { error: { code: error.code, message: error.message } } : {});
    this.emit('job:status', { jobId: id, status: to });
  }

  /** Another process (CLI `jobs cancel`, the API) cancels by setting a flag in the store. */
  private pollCancel(id: string, controller: AbortController): () => void {
    const timer = setInterval(() => {
      try {
        if (this.store.isCancelRequested(id)) controller.abort(cancelledError(id));
      } catch {
        // The store is busy or gone for a moment: poll again next tick.
      }
    }, this.cancelPollMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
