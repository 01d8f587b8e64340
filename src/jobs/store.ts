/**
 * JobStore: the durable state of migration jobs, shared by every process that opens the same
 * data directory (the detached job process, the CLI, the HTTP server). Each public method is one
 * SQLite transaction, so another process sees all of a change or none of it.
 *
 * Credentials are sealed (secrets.ts) before they are written; every read API is redacted except
 * secretsFor(), which only the engine calls.
 */
import { configError, isMigrationError, systemError } from '../core/errors.ts';
import { splitUserinfo } from '../core/url-credentials.ts';
import { CheckpointTable } from './checkpoints.ts';
import { openDatabase, type Db } from './db.ts';
import { DEFAULT_MAX_ERRORS_PER_JOB, ErrorLog } from './error-log.ts';
import { resolveHome, type HomeOptions } from './home.ts';
import { isPidAlive, newJobId, sourcesOf, TRANSITIONS } from './lifecycle.ts';
import { CollectionUpdater, planWithoutUserinfo, prepareStatements, toJob, toSummary } from './rows.ts';
import { JobSecrets, type Secrets } from './job-secrets.ts';
import { PassTable } from './passes.ts';
import type { SecretKey } from './secrets.ts';
import type {
  Checkpoint, CheckpointState, CollectionPatch, ErrorCount, ErrorEntryInput, ErrorPage,
  Job, JobErrorInfo, JobSpec, JobStatus, JobSummary, PassState,
} from './types.ts';

export interface JobStoreOptions extends HomeOptions {
  /** Error log rows kept per job (counts stay exact beyond it). Default 10,000. */
  maxErrorsPerJob?: number;
  /** The sealing key; default: env QDRANT2MILVUS_SECRET_KEY, else `<dataDir>/secret.key`, loaded on first use. */
  secretKey?: SecretKey;
}

export type { Secrets };

/** What requestCancel did: stopped it here, asked the running owner to stop, or nothing (already ended). */
export type CancelOutcome = 'cancelled' | 'requested' | 'finished';

export class JobStore {
  readonly dataDir: string;
  readonly #db: Db;
  readonly #log: ErrorLog;
  readonly #checkpoints: CheckpointTable;
  readonly #passes: PassTable;
  readonly #collections: CollectionUpdater;
  readonly #transitions = new Map<JobStatus, ReturnType<Db['prepare']>>();
  readonly #secrets: JobSecrets;
  readonly #sql: ReturnType<typeof prepareStatements>;

  /** Opens the store of a data directory (created 0700 if needed). Callers close() it. */
  static open(options: JobStoreOptions = {}): JobStore {
    const dataDir = resolveHome(options);
    return new JobStore(openDatabase(dataDir), dataDir, options);
  }

  constructor(db: Db, dataDir: string, options: JobStoreOptions = {}) {
    this.#db = db;
    this.dataDir = dataDir;
    this.#secrets = new JobSecrets(dataDir, options.env ?? process.env, options.secretKey);
    this.#log = new ErrorLog(db, options.maxErrorsPerJob ?? DEFAULT_MAX_ERRORS_PER_JOB);
    this.#checkpoints = new CheckpointTable(db);
    this.#passes = new PassTable(db);
    this.#collections = new CollectionUpdater(db);
    this.#sql = prepareStatements(db);
  }

  /** Closes the database. The store is unusable afterwards. */
  close(): void {
    this.#db.close();
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE; nested calls become savepoints). The
   * engine uses it to save a checkpoint and the collection's counters together. IMMEDIATE takes
   * the write lock up front: a deferred read-then-write could hit SQLITE_BUSY_SNAPSHOT when
   * another process wrote in between, which busy_timeout cannot wait out.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /**
   * Records a new PENDING job with one PENDING collection per plan entry. Called by the engine's
   * start(spec) once the plan is valid. Returns the job (redacted). Throws config
   * PLAN_DUPLICATE_COLLECTION when two plan entries share a source name.
   */
  create(spec: JobSpec): Job {
    const sources = spec.plan.collections.map((c) => c.source);
    const dup = sources.find((s, i) => sources.indexOf(s) !== i);
    if (dup !== undefined) throw configError('PLAN_DUPLICATE_COLLECTION', `The plan lists collection "${dup}" twice.`, 'Remove the duplicate entry.');
    const id = newJobId();
    // Credentials in a URL are sealed with the others; the row keeps the URL without them.
    const source = splitUserinfo(spec.source.url);
    const target = splitUserinfo(spec.target.uri);
    const sealed = this.#secrets.seal(id, { apiKey: spec.source.apiKey, token: spec.target.token, sourceUserinfo: source.userinfo, targetUserinfo: target.userinfo });
    this.transaction(() => {
      this.#sql.insertJob.run({
        id,
        now: new Date().toISOString(),
        sourceUrl: source.url,
        apiKey: sealed.apiKey,
        targetUri: target.url,
        token: sealed.token,
        sourceUserinfo: sealed.sourceUserinfo,
        targetUserinfo: sealed.targetUserinfo,
        database: spec.target.database,
        plan: JSON.stringify(planWithoutUserinfo(spec.plan)),
        options: JSON.stringify(spec.options ?? {}),
        kind: spec.kind ?? 'migrate',
        parent: spec.parentJobId ?? null,
      });
      spec.plan.collections.forEach((c, i) => this.#sql.insertCollection.run(id, c.source, c.target, i, c.sourceCount));
    });
    return this.get(id);
  }

  /** The job with its plan and collections, redacted. Throws config JOB_NOT_FOUND. */
  get(id: string): Job {
    const read = this.#db.transaction(() => {
      const row = this.#sql.job.get(id);
      return row && toJob(row, this.#sql.collections.all(id));
    });
    const job = read();
    if (!job) throw notFound(id);
    return job;
  }

  /** Jobs newest first, without plans (CLI `jobs list`, GET /jobs). Default limit 100. */
  list(filter: { status?: JobStatus | JobStatus[]; limit?: number } = {}): JobSummary[] {
    const statuses = filter.status === undefined ? null : JSON.stringify([filter.status].flat());
    return this.#sql.list.all({ statuses, limit: filter.limit ?? 100 }).map(toSummary);
  }

  /**
   * Moves a job along the state machine (lifecycle.ts), atomically across processes: the UPDATE
   * only matches from an allowed status, so of two processes resuming one job exactly one wins.
   * Entering IN_PROGRESS records `pid` (default this process) as owner and clears the cancel flag
   * and previous error; leaving it stamps ended_at. `error` is kept for FAILED (and CANCELLED).
   * Throws config JOB_NOT_FOUND, or system JOB_TRANSITION_INVALID naming both statuses.
   */
  transition(id: string, to: JobStatus, opts: { error?: JobErrorInfo; pid?: number } = {}): JobSummary {
    const error = opts.error && { code: opts.error.code, message: this.#secrets.scrub(id, opts.error.message) };
    const changed = this.#transitionStatement(to).run({
      id,
      now: new Date().toISOString(),
      pid: opts.pid ?? process.pid,
      code: error?.code ?? null,
      message: error?.message ?? null,
    }).changes;
    if (changed === 0) {
      const from = this.#sql.owner.get(id)?.status;
      if (!from) throw notFound(id);
      const allowed = TRANSITIONS[from];
      throw systemError(
        'JOB_TRANSITION_INVALID',
        `Job ${id} cannot go from ${from} to ${to} (from ${from} it may go to: ${allowed.length ? allowed.join(', ') : 'nothing, it is final'}).`,
      );
    }
    return this.#summary(id);
  }

  #transitionStatement(to: JobStatus): ReturnType<Db['prepare']> {
    let stmt = this.#transitions.get(to);
    if (stmt) return stmt;
    const from = sourcesOf(to).map((s) => `'${s}'`).join(', ');
    if (!from) throw systemError('JOB_TRANSITION_INVALID', `No job may enter ${to}.`);
    const sets = to === 'IN_PROGRESS'
      ? 'owner_pid = @pid, started_at = COALESCE(started_at, @now), ended_at = NULL, cancel_requested = 0, error_code = NULL, error_message = NULL'
      : 'owner_pid = NULL, ended_at = @now, error_code = @code, error_message = @message';
    stmt = this.#db.prepare(`UPDATE jobs SET status = '${to}', ${sets} WHERE id = @id AND status IN (${from})`);
    this.#transitions.set(to, stmt);
    return stmt;
  }

  /**
   * Asks a job to stop; any process may call it (CLI `jobs cancel`, DELETE /jobs/:id/run).
   * PENDING jobs, and IN_PROGRESS jobs whose owner process is gone, become CANCELLED here
   * ('cancelled'); a running job gets the cancel flag its owner polls ('requested'); a job that
   * already ended is left alone ('finished'). Throws config JOB_NOT_FOUND.
   */
  requestCancel(id: string): CancelOutcome {
    return this.transaction(() => {
      const row = this.#sql.owner.get(id);
      if (!row) throw notFound(id);
      if (row.status === 'PENDING' || (row.status === 'IN_PROGRESS' && !isPidAlive(row.owner_pid ?? 0))) {
        this.transition(id, 'CANCELLED');
        return 'cancelled';
      }
      if (row.status !== 'IN_PROGRESS') return 'finished';
      this.#sql.flagCancel.run(id);
      return 'requested';
    });
  }

  /** Polled by the owner (about once a second): true once requestCancel flagged the job. */
  isCancelRequested(id: string): boolean {
    const row = this.#sql.cancelFlag.get(id);
    if (!row) throw notFound(id);
    return row.cancel_requested === 1;
  }

  /**
   * Marks every IN_PROGRESS job whose owner process is gone as FAILED (JOB_INTERRUPTED), so it
   * can be resumed. Called by the engine and the CLI at startup. Returns the ids it marked.
   */
  recoverOrphans(): string[] {
    const orphans = this.#sql.inProgress.all().filter((r) => !isPidAlive(r.owner_pid ?? 0));
    const marked: string[] = [];
    for (const o of orphans) {
      const error = {
        code: 'JOB_INTERRUPTED',
        message: `The process running job ${o.id} (pid ${o.owner_pid ?? 'unknown'}) stopped before the job ended. Resume the job to continue from its last checkpoint.`,
      };
      try {
        this.transition(o.id, 'FAILED', { error });
        marked.push(o.id);
      } catch (e) {
        // Another process recovered or resumed it first: nothing left to do here.
        if (!(isMigrationError(e) && e.code === 'JOB_TRANSITION_INVALID')) throw e;
      }
    }
    return marked;
  }

  /**
   * Updates one collection's progress or outcome (engine, about once a second while copying).
   * Setting status stamps startedAt/endedAt unless given. Throws config JOB_NOT_FOUND /
   * system JOB_COLLECTION_NOT_FOUND.
   */
  updateCollection(id: string, source: string, patch: CollectionPatch): void {
    if (this.#collections.run(id, source, patch) === 0) throw this.#collectionMissing(id, source);
  }

  /** Stores the verification summary the engine built after verify (shown by `jobs show`). */
  setVerification(id: string, summary: Record<string, unknown> | null): void {
    if (this.#sql.verification.run(summary === null ? null : JSON.stringify(summary), id).changes === 0) throw notFound(id);
  }

  /**
   * Upserts the checkpoint of one id range. The engine calls it only after the target acked
   * every row before `state.cursor`; the save is atomic and on disk when this returns.
   */
  saveCheckpoint(id: string, collection: string, rangeIndex: number, state: CheckpointState): void {
    const counts = [state.written, state.rejected ?? 0];
    if (!Number.isInteger(rangeIndex) || rangeIndex < 0 || !counts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw systemError('CHECKPOINT_INVALID', `Checkpoint ${rangeIndex} of ${collection} in job ${id} has a bad index, written or rejected count.`);
    }
    try {
      this.#checkpoints.save(id, collection, rangeIndex, state);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw this.#collectionMissing(id, collection);
      throw e;
    }
  }

  /** Every range checkpoint of a collection, by range index (engine, on resume). [] if none. */
  loadCheckpoints(id: string, collection: string): Checkpoint[] {
    return this.#checkpoints.load(id, collection);
  }

  /** Forgets a collection's checkpoints (engine, when a collection restarts from scratch). */
  clearCheckpoints(id: string, collection: string): number {
    return this.#checkpoints.clear(id, collection);
  }

  /**
   * Upserts one collection's pass of a verify-full / sync job: its phase, cursor and counts. The
   * engine calls it after each step of the compare walk, only once the target acked the step's
   * repairs; phase 'done' ends the pass. Throws system JOB_COLLECTION_NOT_FOUND / config JOB_NOT_FOUND.
   */
  savePass(id: string, state: Pick<PassState, 'collection' | 'pass' | 'phase' | 'cursor' | 'counts'>): void {
    try {
      this.#passes.save(id, state);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw this.#collectionMissing(id, state.collection);
      throw e;
    }
  }

  /** Every pass of a job, by pass then collection ([] for a migration): `jobs show`, GET /jobs/:id. */
  passes(id: string): PassState[] {
    return this.#passes.all(id);
  }

  /** Records that a sync pass changed nothing at `at`, on the job and on the job it started from. */
  markInSync(id: string, at: string = new Date().toISOString()): void {
    this.#passes.markInSync(id, at);
  }

  /** Stores what a migration did with its aliases (core/aliases.ts AliasResult[]), for `jobs show` and the console. */
  setAliases(id: string, results: ReadonlyArray<object>): void {
    if (this.#sql.aliases.run(JSON.stringify(results), id).changes === 0) throw notFound(id);
  }

  /** Logs one error (see appendErrors). */
  appendError(id: string, entry: ErrorEntryInput): void {
    this.appendErrors(id, [entry]);
  }

  /**
   * Logs errors (rejected points, collection failures) in one transaction. Counts are always
   * exact; rows beyond the bound are counted, not kept. Messages are scrubbed of the job's
   * credentials this process knows. Throws config JOB_NOT_FOUND.
   */
  appendErrors(id: string, entries: readonly ErrorEntryInput[]): void {
    if (entries.length === 0) return;
    this.transaction(() => {
      if (!this.#sql.owner.get(id)) throw notFound(id);
      this.#log.appendInTransaction(id, entries, (text) => this.#secrets.scrub(id, text));
    });
  }

  /** A page of the kept log, in append order, with exact totals (CLI `jobs errors`, GET .../errors). */
  errors(id: string, page: { offset?: number; limit?: number } = {}): ErrorPage {
    const result = this.#log.page(id, page.offset ?? 0, page.limit ?? 100);
    if (!result) throw notFound(id);
    return result;
  }

  /** Exact error counts per (collection, code); collection null = job-level. */
  errorCounts(id: string): ErrorCount[] {
    return this.#log.counts(id);
  }

  /**
   * Deletes a job with its collections, checkpoints and errors (CLI `jobs delete`). Refuses with
   * config JOB_RUNNING while it is IN_PROGRESS under a live owner. Throws config JOB_NOT_FOUND.
   */
  delete(id: string): void {
    this.transaction(() => {
      const row = this.#sql.owner.get(id);
      if (!row) throw notFound(id);
      if (row.status === 'IN_PROGRESS' && row.owner_pid !== null && isPidAlive(row.owner_pid)) {
        throw configError('JOB_RUNNING', `Job ${id} is running (pid ${row.owner_pid}).`, `Cancel it first: qdrant2milvus jobs cancel ${id}`);
      }
      this.#sql.delete.run(id);
    });
    this.#secrets.forget(id);
  }

  /**
   * The job's credentials in plaintext. Only the engine calls this, right before connecting.
   * Throws config SECRET_KEY_MISMATCH (naming the job) when the key changed since create.
   */
  secretsFor(id: string): Secrets {
    const row = this.#sql.sealed.get(id);
    if (!row) throw notFound(id);
    const secrets = this.#secrets.open(id, {
      apiKey: row.source_api_key_sealed,
      token: row.target_token_sealed,
      sourceUserinfo: row.source_userinfo_sealed,
      targetUserinfo: row.target_userinfo_sealed,
    });
    // A row from before migration 003 has them in its URL, in plain text: use them from there.
    const legacy = { sourceUserinfo: splitUserinfo(row.source_url).userinfo, targetUserinfo: splitUserinfo(row.target_uri).userinfo };
    for (const [k, v] of Object.entries(legacy) as Array<[keyof typeof legacy, string | undefined]>) if (v && !secrets[k]) secrets[k] = v;
    this.#secrets.remember(id, secrets);
    return secrets;
  }

  #summary(id: string): JobSummary {
    const row = this.#sql.summary.get(id);
    if (!row) throw notFound(id);
    return toSummary(row);
  }

  #collectionMissing(id: string, source: string): Error {
    if (!this.#sql.owner.get(id)) return notFound(id);
    return systemError('JOB_COLLECTION_NOT_FOUND', `Job ${id} has no collection "${source}".`);
  }
}

function notFound(id: string): Error {
  return configError('JOB_NOT_FOUND', `No job ${id} in this data directory.`, 'List jobs with `qdrant2milvus jobs list`, or check --data-dir / QDRANT2MILVUS_HOME (the job may live in another data directory).');
}
