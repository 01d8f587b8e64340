/**
 * Job store vocabulary.
 *
 * - Job: one migration run of a MigrationPlan (one or more collections), persisted in jobs.db.
 * - Owner: the process (pid) running an IN_PROGRESS job. A job IN_PROGRESS whose owner is gone
 *   was interrupted (crash, kill -9): an orphan, which JobStore.recoverOrphans() marks FAILED so
 *   it can be resumed.
 * - Checkpoint: how far one id range of one collection has been copied: `cursor` is the next id
 *   to read (inclusive). Saved only after the target acked every row before it (engine's rule).
 * - Error log: per-point and per-collection errors, bounded in rows; the counts are always exact.
 */
import type { MigrationPlan } from '../core/types.ts';

export type JobStatus = 'PENDING' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'CANCELLED';
/**
 * What a job does. `migrate` copies (the default, and every job stored before migration 004);
 * `verify-full` compares every point of the plan's collections; `sync` repairs the target until it
 * equals the source (issue 11). All three share the statuses, cancel, resume and the error log.
 */
export type JobKind = 'migrate' | 'verify-full' | 'sync';
export type CollectionStatus = JobStatus | 'SKIPPED';
/** Where a collection is in its pipeline; null before it starts. */
export type CollectionPhase = 'create' | 'copy' | 'index' | 'load' | 'verify' | 'done';

/** Page size, readers, writers...: the engine owns the shape; the store keeps it as JSON. */
export type JobOptions = Record<string, unknown>;

/** What the engine passes to JobStore.create. Credentials here are plaintext, sealed on write. */
export interface JobSpec {
  source: { url: string; apiKey?: string };
  target: { uri: string; token?: string; database: string };
  plan: MigrationPlan;
  options?: JobOptions;
  /** Default `migrate`. */
  kind?: JobKind;
  /** The job a verify-full / sync job was started from (its plan and connections). */
  parentJobId?: string;
}

export interface JobErrorInfo {
  code: string;
  message: string;
}

/** A job as listed (no plan, no collections). Credentials appear only as '***' when present. */
export interface JobSummary {
  id: string;
  status: JobStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Set by requestCancel (any process); the owner polls it and stops at the next checkpoint. */
  cancelRequested: boolean;
  /** The process running the job while IN_PROGRESS; null otherwise. */
  ownerPid: number | null;
  source: { url: string; apiKey?: '***' };
  target: { uri: string; token?: '***'; database: string };
  /** Why it FAILED; null otherwise. */
  error: JobErrorInfo | null;
  kind: JobKind;
  /** The job a verify-full / sync job was started from; null for a migration started from a plan. */
  parentJobId: string | null;
  /** When a sync pass last changed nothing (the cutover signal): on the sync job and on its parent. */
  inSyncAt: string | null;
}

/** A job with everything (JobStore.get). Still redacted: use secretsFor for credentials. */
export interface Job extends JobSummary {
  plan: MigrationPlan;
  options: JobOptions;
  verification: Record<string, unknown> | null;
  collections: CollectionState[];
  /** What a migration did with its aliases (core/aliases.ts AliasResult[]), once it ran them; else null. */
  aliases: Array<Record<string, unknown>> | null;
}

export type PassPhase = 'merge' | 'source' | 'extra' | 'done';

/**
 * One pass of a verify-full / sync job over one collection: where it is and what it counted. A
 * resume continues an unfinished pass past `cursor` in `phase` with these counts.
 */
export interface PassState {
  collection: string;
  pass: number;
  phase: PassPhase;
  /** The last id compared in this phase's order (after its repairs were acked); null = phase start. */
  cursor: string | null;
  /** Sync: core/sync.ts PassCounts; verify-full: core/verify-full.ts FullCheck. */
  counts: Record<string, unknown>;
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export interface CollectionState {
  source: string;
  target: string;
  status: CollectionStatus;
  phase: CollectionPhase | null;
  /** Points expected (the plan's source count until the engine refreshes it). */
  total: number;
  written: number;
  rejected: number;
  nullsDropped: number;
  /** Promoted payload values written null under the `null` mismatch policy (original kept in `$meta` as `<key>__raw`). */
  mismatchNulled: number;
  /** Payload keys renamed because they clashed with schema fields: original -> new name. */
  renamedKeys: Record<string, string>;
  startedAt: string | null;
  endedAt: string | null;
  sourceCount: number | null;
  targetCount: number | null;
  verified: boolean | null;
}

/** Fields updateCollection may change; absent keys are left as they are. */
export type CollectionPatch = Partial<Omit<CollectionState, 'source' | 'target'>>;

/** Progress of one id range. Ids are strings: integers in decimal, UUIDs as is. */
export interface CheckpointState {
  /** Range start (inclusive); null = start of the id space. */
  from: string | null;
  /** Range end (exclusive); null = end of the id space. */
  to: string | null;
  /** Next id to read (inclusive); null = from the range start (or nothing left when done). */
  cursor: string | null;
  done: boolean;
  /** Rows acked by the target in this range, cumulative. */
  written: number;
  /** Points of this range rejected by the mapping (never written), cumulative. Default 0. */
  rejected?: number;
}

export interface Checkpoint extends CheckpointState {
  rangeIndex: number;
}

export interface ErrorEntryInput {
  /** Source collection; absent for job-level errors. */
  collection?: string;
  pointId?: string;
  code: string;
  message: string;
  /** ISO time; default now. */
  at?: string;
}

export interface ErrorEntry {
  seq: number;
  collection: string | null;
  pointId: string | null;
  code: string;
  message: string;
  at: string;
}

export interface ErrorCount {
  collection: string | null;
  code: string;
  count: number;
}

export interface ErrorPage {
  entries: ErrorEntry[];
  /** Every error ever appended for the job (exact, from the counters). */
  total: number;
  /** Rows kept in the log (at most the store's bound). */
  logged: number;
  /** total - logged: errors counted but not kept because the log was full. */
  dropped: number;
  truncated: boolean;
}
