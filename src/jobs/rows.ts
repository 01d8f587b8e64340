/**
 * Mapping between SQLite rows and the store's types, and the collection-patch statement builder.
 * Kept apart from store.ts so the store reads as behaviour, not column plumbing.
 */
import type { MigrationPlan } from '../core/types.ts';
import { maskUrlUserinfo, splitUserinfo } from '../core/url-credentials.ts';
import type { Db } from './db.ts';
import type { CollectionPatch, CollectionPhase, CollectionState, CollectionStatus, Job, JobKind, JobStatus, JobSummary } from './types.ts';

export interface JobRow {
  id: string;
  status: JobStatus;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  cancel_requested: number;
  owner_pid: number | null;
  source_url: string;
  source_api_key_sealed: string | null;
  target_uri: string;
  target_token_sealed: string | null;
  source_userinfo_sealed: string | null;
  target_userinfo_sealed: string | null;
  target_database: string;
  plan_json: string;
  options_json: string;
  error_code: string | null;
  error_message: string | null;
  verification_json: string | null;
  kind: JobKind;
  parent_job_id: string | null;
  in_sync_at: string | null;
  aliases_json: string | null;
}

export interface CollectionRow {
  source: string;
  target: string;
  status: CollectionStatus;
  phase: CollectionPhase | null;
  total: number;
  written: number;
  rejected: number;
  nulls_dropped: number;
  mismatch_nulled: number;
  renamed_keys_json: string;
  started_at: string | null;
  ended_at: string | null;
  source_count: number | null;
  target_count: number | null;
  verified: number | null;
  /** Sums over the collection's range checkpoints (see prepareStatements). */
  checkpoint_written?: number;
  checkpoint_rejected?: number;
}

export type SealedRow = Pick<JobRow, 'source_api_key_sealed' | 'target_token_sealed' | 'source_userinfo_sealed' | 'target_userinfo_sealed' | 'source_url' | 'target_uri'>;

type SummaryRow = Omit<JobRow, 'plan_json' | 'options_json' | 'verification_json' | 'source_userinfo_sealed' | 'target_userinfo_sealed' | 'aliases_json'>;

export const SUMMARY_COLUMNS = `id, status, created_at, started_at, ended_at, cancel_requested, owner_pid, source_url,
  source_api_key_sealed IS NOT NULL AS source_api_key_sealed, target_uri,
  target_token_sealed IS NOT NULL AS target_token_sealed, target_database, error_code, error_message, kind, parent_job_id, in_sync_at`;

/** Redacted: a sealed credential shows as '***', its ciphertext never leaves the store. */
export function toSummary(r: SummaryRow): JobSummary {
  return {
    id: r.id,
    status: r.status,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    cancelRequested: r.cancel_requested === 1,
    ownerPid: r.owner_pid,
    // splitUserinfo: a row written before migration 003 may still hold `user:password@` in its URL.
    source: { url: splitUserinfo(r.source_url).url, ...(r.source_api_key_sealed ? { apiKey: '***' as const } : {}) },
    target: { uri: splitUserinfo(r.target_uri).url, ...(r.target_token_sealed ? { token: '***' as const } : {}), database: r.target_database },
    error: r.error_code === null ? null : { code: r.error_code, message: maskUrlUserinfo(r.error_message ?? '') },
    kind: r.kind,
    parentJobId: r.parent_job_id,
    inSyncAt: r.in_sync_at,
  };
}

/**
 * The plan without credentials in its URLs. The store writes it so since migration 003; applied on
 * read too, for plans stored before.
 */
export function planWithoutUserinfo(plan: MigrationPlan): MigrationPlan {
  return { ...plan, source: { ...plan.source, url: splitUserinfo(plan.source.url).url }, target: { ...plan.target, uri: splitUserinfo(plan.target.uri).url } };
}

export function toJob(r: JobRow, collections: CollectionRow[]): Job {
  return {
    ...toSummary(r),
    plan: planWithoutUserinfo(JSON.parse(r.plan_json) as MigrationPlan),
    options: JSON.parse(r.options_json) as Record<string, unknown>,
    verification: r.verification_json === null ? null : (JSON.parse(r.verification_json) as Record<string, unknown>),
    collections: collections.map(toCollection),
    aliases: r.aliases_json === null ? null : (JSON.parse(r.aliases_json) as Array<Record<string, unknown>>),
  };
}

export function toCollection(r: CollectionRow): CollectionState {
  return {
    source: r.source,
    target: r.target,
    status: r.status,
    phase: r.phase,
    total: r.total,
    // Progress rows are saved about once a second, checkpoints after every acknowledged page: after
    // a crash the checkpoints are ahead, and they are what a resume continues from.
    written: Math.max(r.written, r.checkpoint_written ?? 0),
    rejected: Math.max(r.rejected, r.checkpoint_rejected ?? 0),
    nullsDropped: r.nulls_dropped,
    mismatchNulled: r.mismatch_nulled,
    renamedKeys: JSON.parse(r.renamed_keys_json) as Record<string, string>,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    sourceCount: r.source_count,
    targetCount: r.target_count,
    verified: r.verified === null ? null : r.verified === 1,
  };
}

const PATCH_COLUMNS: Record<keyof CollectionPatch, string> = {
  status: 'status',
  phase: 'phase',
  total: 'total',
  written: 'written',
  rejected: 'rejected',
  nullsDropped: 'nulls_dropped',
  mismatchNulled: 'mismatch_nulled',
  renamedKeys: 'renamed_keys_json',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  sourceCount: 'source_count',
  targetCount: 'target_count',
  verified: 'verified',
};

const TERMINAL: ReadonlySet<CollectionStatus> = new Set(['SUCCESSFUL', 'FAILED', 'CANCELLED', 'SKIPPED']);

/**
 * Builds (and caches, per set of patched keys) the UPDATE for a collection patch. Progress
 * updates patch the same few keys every second, so they reuse one prepared statement.
 * A status change stamps started_at / ended_at unless the patch sets them.
 */
export class CollectionUpdater {
  readonly #db: Db;
  readonly #cache = new Map<string, ReturnType<Db['prepare']>>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Returns the number of rows changed (0: unknown job or collection). */
  run(jobId: string, source: string, patch: CollectionPatch): number {
    const keys = (Object.keys(patch) as Array<keyof CollectionPatch>).filter((k) => k in PATCH_COLUMNS && patch[k] !== undefined).sort();
    const stamps: string[] = [];
    if (patch.status === 'IN_PROGRESS' && patch.startedAt === undefined) stamps.push('started_at = COALESCE(started_at, @now)');
    if (patch.status === 'IN_PROGRESS' && patch.endedAt === undefined) stamps.push('ended_at = NULL');
    if (patch.status && TERMINAL.has(patch.status) && patch.endedAt === undefined) stamps.push('ended_at = @now');
    if (keys.length === 0 && stamps.length === 0) return this.#exists(jobId, source);
    const cacheKey = `${keys.join(',')}|${stamps.join(',')}`;
    let stmt = this.#cache.get(cacheKey);
    if (!stmt) {
      const sets = [...keys.map((k) => `${PATCH_COLUMNS[k]} = @${k}`), ...stamps];
      stmt = this.#db.prepare(`UPDATE collections SET ${sets.join(', ')} WHERE job_id = @jobId AND source = @source`);
      this.#cache.set(cacheKey, stmt);
    }
    const params: Record<string, unknown> = { jobId, source };
    if (stamps.length > 0) params.now = new Date().toISOString();
    for (const k of keys) params[k] = encode(k, patch[k]);
    return stmt.run(params).changes;
  }

  #exists(jobId: string, source: string): number {
    return this.#db.prepare('SELECT 1 FROM collections WHERE job_id = ? AND source = ?').get(jobId, source) ? 1 : 0;
  }
}

function encode(key: keyof CollectionPatch, value: unknown): unknown {
  if (key === 'renamedKeys') return JSON.stringify(value);
  if (key === 'verified') return value === null ? null : value ? 1 : 0;
  return value;
}

/** Every fixed statement of the store, prepared once per connection. */
export function prepareStatements(db: Db) {
  return {
    insertJob: db.prepare(`INSERT INTO jobs (id, status, created_at, source_url, source_api_key_sealed, target_uri,
      target_token_sealed, source_userinfo_sealed, target_userinfo_sealed, target_database, plan_json, options_json, kind, parent_job_id) VALUES
      (@id, 'PENDING', @now, @sourceUrl, @apiKey, @targetUri, @token, @sourceUserinfo, @targetUserinfo, @database, @plan, @options, @kind, @parent)`),
    insertCollection: db.prepare(`INSERT INTO collections (job_id, source, target, position, total)
      VALUES (?, ?, ?, ?, ?)`),
    job: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    summary: db.prepare<[string], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id = ?`),
    collections: db.prepare<[string], CollectionRow>(`SELECT c.*,
      (SELECT COALESCE(SUM(k.written), 0) FROM checkpoints k WHERE k.job_id = c.job_id AND k.collection = c.source) AS checkpoint_written,
      (SELECT COALESCE(SUM(k.rejected), 0) FROM checkpoints k WHERE k.job_id = c.job_id AND k.collection = c.source) AS checkpoint_rejected
      FROM collections c WHERE c.job_id = ? ORDER BY c.position`),
    list: db.prepare<[{ statuses: string | null; limit: number }], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM jobs
      WHERE @statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses))
      ORDER BY created_at DESC, rowid DESC LIMIT @limit`),
    owner: db.prepare<[string], { status: JobStatus; owner_pid: number | null }>('SELECT status, owner_pid FROM jobs WHERE id = ?'),
    inProgress: db.prepare<[], { id: string; owner_pid: number | null }>("SELECT id, owner_pid FROM jobs WHERE status = 'IN_PROGRESS'"),
    flagCancel: db.prepare("UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status = 'IN_PROGRESS'"),
    cancelFlag: db.prepare<[string], { cancel_requested: number }>('SELECT cancel_requested FROM jobs WHERE id = ?'),
    verification: db.prepare('UPDATE jobs SET verification_json = ? WHERE id = ?'),
    aliases: db.prepare('UPDATE jobs SET aliases_json = ? WHERE id = ?'),
    sealed: db.prepare<[string], SealedRow>(`SELECT source_api_key_sealed, target_token_sealed, source_userinfo_sealed,
      target_userinfo_sealed, source_url, target_uri FROM jobs WHERE id = ?`),
    delete: db.prepare('DELETE FROM jobs WHERE id = ?'),
  };
}
