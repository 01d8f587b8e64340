/**
 * 005: bulk import (issue 14). One row per import file a job wrote, with its import task, so a
 * resumed job never submits a file twice (a re-imported file duplicates its rows) and asks the
 * server about every task that was in flight. Plus the job's object-storage credentials, sealed
 * like the other secrets (secrets.ts envelopes, AAD `<job id>:bulkAccessKey|bulkSecretKey`).
 *
 * `IF NOT EXISTS`: src/bulk/file-log.ts runs the same statements on first use (harmless once this
 * migration ran), so the bulk code never depends on the order migrations landed in.
 *
 * file states: written (uploaded, not submitted) → submitting (the Import call is on its way) →
 * submitted (task_id known) → completed | failed → recovered (a failed file's rows went through
 * upsert) | abandoned (never submitted; its range is read again from the checkpoint).
 */
export const sql = `
CREATE TABLE IF NOT EXISTS bulk_files (
  job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  collection  TEXT NOT NULL,
  range_index INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  -- the ids the file covers: [from_id, next_id) inside its range; NULL from = the range's start,
  -- NULL next = the range's end (formatted ids, core/ids.ts)
  from_id     TEXT,
  next_id     TEXT,
  object_key  TEXT NOT NULL,
  rows        INTEGER NOT NULL,
  rejected    INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  state       TEXT NOT NULL
              CHECK (state IN ('written','submitting','submitted','completed','failed','recovered','abandoned')),
  task_id     TEXT,
  reason      TEXT,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (job_id, collection, range_index, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bulk_credentials (
  job_id            TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  access_key_sealed TEXT,
  secret_key_sealed TEXT
) STRICT;
`;
