/**
 * Per-range checkpoints of each collection of a job. One row per (job, collection, range index);
 * each save is one upsert statement, so it is atomic on its own, and durable when it returns
 * (synchronous=FULL, see db.ts). Ordering (save only after the target acked every row before the
 * cursor) is the engine's rule, not this table's.
 */
import type { Db } from './db.ts';
import type { Checkpoint, CheckpointState } from './types.ts';

interface CheckpointRow {
  range_index: number;
  from_id: string | null;
  to_id: string | null;
  cursor: string | null;
  done: number;
  written: number;
  rejected: number;
}

export class CheckpointTable {
  readonly #upsert;
  readonly #load;
  readonly #clear;

  constructor(db: Db) {
    this.#upsert = db.prepare(
      `INSERT INTO checkpoints (job_id, collection, range_index, from_id, to_id, cursor, done, written, rejected, updated_at)
       VALUES (@jobId, @collection, @rangeIndex, @from, @to, @cursor, @done, @written, @rejected, @at)
       ON CONFLICT (job_id, collection, range_index) DO UPDATE SET
         from_id = excluded.from_id, to_id = excluded.to_id, cursor = excluded.cursor, done = excluded.done,
         written = excluded.written, rejected = excluded.rejected, updated_at = excluded.updated_at`,
    );
    this.#load = db.prepare<[string, string], CheckpointRow>(
      `SELECT range_index, from_id, to_id, cursor, done, written, rejected FROM checkpoints
       WHERE job_id = ? AND collection = ? ORDER BY range_index`,
    );
    this.#clear = db.prepare('DELETE FROM checkpoints WHERE job_id = ? AND collection = ?');
  }

  /** Throws SQLite's FOREIGN KEY error when (jobId, collection) is unknown; the store maps it. */
  save(jobId: string, collection: string, rangeIndex: number, s: CheckpointState): void {
    this.#upsert.run({
      jobId,
      collection,
      rangeIndex,
      from: s.from,
      to: s.to,
      cursor: s.cursor,
      done: s.done ? 1 : 0,
      written: s.written,
      rejected: s.rejected ?? 0,
      at: new Date().toISOString(),
    });
  }

  load(jobId: string, collection: string): Checkpoint[] {
    return this.#load.all(jobId, collection).map((r) => ({
      rangeIndex: r.range_index,
      from: r.from_id,
      to: r.to_id,
      cursor: r.cursor,
      done: r.done === 1,
      written: r.written,
      rejected: r.rejected,
    }));
  }

  clear(jobId: string, collection: string): number {
    return this.#clear.run(jobId, collection).changes;
  }
}
