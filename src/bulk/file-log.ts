/**
 * The job store's record of a bulk job's import files (table bulk_files, migration 005) and its
 * object-storage credentials (bulk_credentials, sealed). Every state change is one statement,
 * durable when it returns (the job database runs synchronous=FULL), and is written BEFORE the
 * action it announces can have an effect the next run must know about:
 *
 *   upload → record 'written' → mark 'submitting' → Import RPC → record task id ('submitted')
 *
 * so a crash anywhere leaves either a file never submitted (abandoned on resume, its rows read
 * again) or one whose task the server can be asked about ('submitting': ListImportTasks by key).
 */
import { openDatabase, type Db } from '../jobs/db.ts';
import { sql as bulkSchema } from '../jobs/migrations/005_bulk_files.ts';
import { loadSecretKey, SecretBox } from '../jobs/secrets.ts';

export type FileState = 'written' | 'submitting' | 'submitted' | 'completed' | 'failed' | 'recovered' | 'abandoned';

export interface BulkFile {
  rangeIndex: number;
  seq: number;
  /** Inclusive first id (formatted); null = the range's start. */
  from: string | null;
  /** Exclusive end (formatted): where the range continues; null = the range's end. */
  next: string | null;
  key: string;
  rows: number;
  rejected: number;
  bytes: number;
  state: FileState;
  taskId: string | null;
  reason: string | null;
}

interface FileRow {
  range_index: number; seq: number; from_id: string | null; next_id: string | null; object_key: string;
  rows: number; rejected: number; bytes: number; state: FileState; task_id: string | null; reason: string | null;
}

export interface BulkCredentials {
  accessKey: string;
  secretKey: string;
}

export class BulkFileLog {
  readonly #db: Db;
  readonly #jobId: string;

  private constructor(db: Db, jobId: string) {
    this.#db = db;
    this.#jobId = jobId;
  }

  /** Opens the job database of `dataDir` (its own connection beside the store's). */
  static open(dataDir: string, jobId: string): BulkFileLog {
    const db = openDatabase(dataDir);
    db.exec(bulkSchema);
    return new BulkFileLog(db, jobId);
  }

  /** Files of a collection, by range then seq. */
  list(collection: string): BulkFile[] {
    const rows = this.#db
      .prepare<[string, string], FileRow>('SELECT * FROM bulk_files WHERE job_id = ? AND collection = ? ORDER BY range_index, seq')
      .all(this.#jobId, collection);
    return rows.map((r) => ({
      rangeIndex: r.range_index, seq: r.seq, from: r.from_id, next: r.next_id, key: r.object_key, rows: r.rows,
      rejected: r.rejected, bytes: r.bytes, state: r.state, taskId: r.task_id, reason: r.reason,
    }));
  }

  /** Records an uploaded file (state `written`), replacing an unsubmitted row of the same seq. */
  record(collection: string, f: Omit<BulkFile, 'state' | 'taskId' | 'reason'>): void {
    this.#db.prepare(
      `INSERT OR REPLACE INTO bulk_files (job_id, collection, range_index, seq, from_id, next_id, object_key, rows, rejected, bytes, state, task_id, reason, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'written', NULL, NULL, ?)`,
    ).run(this.#jobId, collection, f.rangeIndex, f.seq, f.from, f.next, f.key, f.rows, f.rejected, f.bytes, now());
  }

  setState(collection: string, f: Pick<BulkFile, 'rangeIndex' | 'seq'>, state: FileState, extra: { taskId?: string; reason?: string } = {}): void {
    this.#db.prepare(
      `UPDATE bulk_files SET state = ?, task_id = COALESCE(?, task_id), reason = COALESCE(?, reason), updated_at = ?
       WHERE job_id = ? AND collection = ? AND range_index = ? AND seq = ?`,
    ).run(state, extra.taskId ?? null, extra.reason ?? null, now(), this.#jobId, collection, f.rangeIndex, f.seq);
  }

  close(): void {
    this.#db.close();
  }

  /** Seals and stores the job's object-storage keys (never in plain text, never in options_json). */
  static saveCredentials(dataDir: string, jobId: string, c: BulkCredentials): void {
    const box = new SecretBox(loadSecretKey(dataDir));
    const db = openDatabase(dataDir);
    try {
      db.exec(bulkSchema);
      db.prepare('INSERT OR REPLACE INTO bulk_credentials (job_id, access_key_sealed, secret_key_sealed) VALUES (?, ?, ?)')
        .run(jobId, box.seal(c.accessKey, `${jobId}:bulkAccessKey`), box.seal(c.secretKey, `${jobId}:bulkSecretKey`));
    } finally {
      db.close();
    }
  }

  /** The job's object-storage keys; undefined when the job has none recorded. */
  credentials(dataDir: string): BulkCredentials | undefined {
    const row = this.#db
      .prepare<[string], { access_key_sealed: string | null; secret_key_sealed: string | null }>('SELECT access_key_sealed, secret_key_sealed FROM bulk_credentials WHERE job_id = ?')
      .get(this.#jobId);
    if (!row?.access_key_sealed || !row.secret_key_sealed) return undefined;
    const box = new SecretBox(loadSecretKey(dataDir));
    return { accessKey: box.open(row.access_key_sealed, `${this.#jobId}:bulkAccessKey`), secretKey: box.open(row.secret_key_sealed, `${this.#jobId}:bulkSecretKey`) };
  }
}

function now(): string {
  return new Date().toISOString();
}
