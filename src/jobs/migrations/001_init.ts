/**
 * 001: the initial schema. Never edit a migration that has shipped: add 002_... instead.
 *
 * Times are ISO-8601 UTC text (sortable, readable in the sqlite3 shell). Booleans are 0/1.
 * Credentials live only in the *_sealed columns, as secrets.ts envelopes.
 */
export const sql = `
CREATE TABLE jobs (
  id                    TEXT PRIMARY KEY,
  status                TEXT NOT NULL
                        CHECK (status IN ('PENDING','IN_PROGRESS','SUCCESSFUL','FAILED','CANCELLED')),
  created_at            TEXT NOT NULL,
  started_at            TEXT,
  ended_at              TEXT,
  cancel_requested      INTEGER NOT NULL DEFAULT 0,
  owner_pid             INTEGER,
  source_url            TEXT NOT NULL,
  source_api_key_sealed TEXT,
  target_uri            TEXT NOT NULL,
  target_token_sealed   TEXT,
  target_database       TEXT NOT NULL,
  plan_json             TEXT NOT NULL,
  options_json          TEXT NOT NULL DEFAULT '{}',
  error_code            TEXT,
  error_message         TEXT,
  verification_json     TEXT,
  -- rows currently in error_log for this job; lets appendError enforce the bound without COUNT(*)
  errors_logged         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_status ON jobs (status, created_at);

CREATE TABLE collections (
  job_id            TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  source            TEXT NOT NULL,
  target            TEXT NOT NULL,
  position          INTEGER NOT NULL,
  status            TEXT NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING','IN_PROGRESS','SUCCESSFUL','FAILED','CANCELLED','SKIPPED')),
  phase             TEXT,
  total             INTEGER NOT NULL DEFAULT 0,
  written           INTEGER NOT NULL DEFAULT 0,
  rejected          INTEGER NOT NULL DEFAULT 0,
  nulls_dropped     INTEGER NOT NULL DEFAULT 0,
  renamed_keys_json TEXT NOT NULL DEFAULT '{}',
  started_at        TEXT,
  ended_at          TEXT,
  source_count      INTEGER,
  target_count      INTEGER,
  verified          INTEGER,
  PRIMARY KEY (job_id, source)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
  job_id      TEXT NOT NULL,
  collection  TEXT NOT NULL,
  range_index INTEGER NOT NULL,
  from_id     TEXT,
  to_id       TEXT,
  cursor      TEXT,
  done        INTEGER NOT NULL DEFAULT 0,
  written     INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (job_id, collection, range_index),
  FOREIGN KEY (job_id, collection) REFERENCES collections (job_id, source) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE error_log (
  seq        INTEGER PRIMARY KEY,
  job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  collection TEXT,
  point_id   TEXT,
  code       TEXT NOT NULL,
  message    TEXT NOT NULL,
  at         TEXT NOT NULL
) STRICT;
CREATE INDEX error_log_job ON error_log (job_id, seq);

-- Exact totals, kept even when error_log stops growing. collection '' = job-level errors
-- (NULL cannot be part of a usable primary key).
CREATE TABLE error_counts (
  job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  code       TEXT NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (job_id, collection, code)
) STRICT, WITHOUT ROWID;
`;
