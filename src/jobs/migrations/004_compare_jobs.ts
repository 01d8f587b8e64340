/**
 * 004: verify-full and sync jobs (issue 11) beside migrations, and what they report.
 *
 * - jobs.kind: what a job does (`migrate`, `verify-full`, `sync`); rows written before are migrations.
 * - jobs.parent_job_id: the job whose plan and connections a verify-full / sync job was started from.
 * - jobs.in_sync_at: when a sync pass last changed nothing (the cutover signal); set on the sync job
 *   and on its parent, so the migration's page shows it too.
 * - jobs.aliases_json: what a migration did with its aliases (core/aliases.ts AliasResult[]).
 * - passes: one row per (job, collection, pass) of a verify-full / sync job: where the pass is
 *   (phase + cursor: the last compared id in that phase's order, saved only after the repairs
 *   before it were acknowledged) and its counts so far, as JSON (sync: core/sync.ts PassCounts;
 *   verify-full: core/verify-full.ts FullCheck). phase 'done' marks a finished pass.
 */
export const sql = `
ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'migrate' CHECK (kind IN ('migrate','verify-full','sync'));
ALTER TABLE jobs ADD COLUMN parent_job_id TEXT;
ALTER TABLE jobs ADD COLUMN in_sync_at TEXT;
ALTER TABLE jobs ADD COLUMN aliases_json TEXT;

CREATE TABLE passes (
  job_id      TEXT NOT NULL,
  collection  TEXT NOT NULL,
  pass        INTEGER NOT NULL,
  phase       TEXT NOT NULL CHECK (phase IN ('merge','source','extra','done')),
  cursor      TEXT,
  counts_json TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  ended_at    TEXT,
  PRIMARY KEY (job_id, collection, pass),
  FOREIGN KEY (job_id, collection) REFERENCES collections (job_id, source) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
`;
