/**
 * Opens `<dataDir>/jobs.db` and brings its schema up to date.
 *
 * Several processes open the same file at once (a detached job process, the CLI, the HTTP
 * server), so: WAL (readers never block the writer), a busy timeout (writers queue instead of
 * failing with SQLITE_BUSY), and migrations under BEGIN IMMEDIATE with the version re-read inside
 * the lock, so two processes starting together apply each migration exactly once.
 */
import Database from 'better-sqlite3';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { configError, systemError } from '../core/errors.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';

export type Db = Database.Database;

export const DB_FILE = 'jobs.db';

/** How long a writer waits for another process's write lock before failing (ms). */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) and migrates the job database in `dataDir` (see home.ts).
 * Called by JobStore.open; tests call it to inspect the schema. Throws config JOBS_DB_OPEN
 * when the file cannot be opened and config JOBS_DB_TOO_NEW when a newer release wrote it.
 */
export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  const path = join(dataDir, DB_FILE);
  let db: Db;
  try {
    db = new Database(path);
  } catch (cause) {
    throw configError('JOBS_DB_OPEN', `Cannot open the job database ${path}.`, 'Check that the data directory is writable.', cause);
  }
  try {
    restrictMode(path); // before the first write creates -wal/-shm, which inherit this file's mode
    configure(db);
    migrate(db, migrations);
    return db;
  } catch (e) {
    db.close();
    throw damagedOr(e, dataDir);
  }
}

/**
 * SQLite's "file is not a database" / "database disk image is malformed" as a config error that
 * names the file and the way out; any other error unchanged. The store's callers wrap their
 * reads with it too, since damage can surface on any page, not only at open.
 */
export function damagedOr(e: unknown, dataDir: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))) return e;
  const path = join(dataDir, DB_FILE);
  return configError(
    'JOBS_DB_DAMAGED',
    `The job database ${path} is damaged or is not a qdrant2milvus job database (SQLite: ${(e as Error).message}).`,
    `Move it aside (with its -wal and -shm files, if any) to start with an empty job list: mv "${path}" "${path}.damaged". ` +
      'The jobs recorded in it are lost; the target collections are untouched. Or use another directory with --data-dir / QDRANT2MILVUS_HOME.',
    e,
  );
}

function configure(db: Db): void {
  // First, so that even switching to WAL waits for another process instead of failing.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // FULL: every commit fsyncs the WAL, so "saved" means "on disk" even after a power cut.
  // NORMAL would still be safe for checkpoints (a lost checkpoint is an older cursor, and the
  // sink's upsert makes the replay harmless) but not for a reported cancel, delete or status a
  // user was already shown. We commit a few times a second at most, so the fsyncs cost nothing.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

/** Applies every migration above the file's user_version, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw systemError('JOBS_DB_MIGRATIONS', `Migration ${m.name} is numbered ${m.version}, expected ${i + 1}.`);
  });
  const latest = migrations.length;
  const step = db.transaction((m: Migration) => {
    // Re-read under the write lock: another process may have applied it while we waited.
    if (userVersion(db) >= m.version) return;
    db.exec(m.sql);
    db.pragma(`user_version = ${m.version}`);
  });
  const current = userVersion(db);
  if (current > latest) {
    throw configError(
      'JOBS_DB_TOO_NEW',
      `The job database has schema version ${current}; this qdrant2milvus knows up to ${latest}.`,
      'Upgrade qdrant2milvus, or point --data-dir / QDRANT2MILVUS_HOME at another directory.',
    );
  }
  for (const m of migrations) if (m.version > current) step.immediate(m);
}

export function userVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

// The data dir is already 0700; this guards a database file copied or created elsewhere.
function restrictMode(path: string): void {
  if (process.platform === 'win32') return;
  try {
    chmodSync(path, 0o600);
  } catch {
    // Not ours to chmod (another user's file opened read-write): the directory mode still protects it.
  }
}
