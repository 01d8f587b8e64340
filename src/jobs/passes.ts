/**
 * The passes of verify-full and sync jobs (migration 004): one row per (job, collection, pass),
 * upserted after each step of the compare walk. Each save is one statement, atomic and durable
 * when it returns; saving only after the target acked the step's repairs is the engine's rule.
 */
import type { Db } from './db.ts';
import type { PassPhase, PassState } from './types.ts';

interface PassRow {
  collection: string;
  pass: number;
  phase: PassPhase;
  cursor: string | null;
  counts_json: string;
  started_at: string;
  updated_at: string;
  ended_at: string | null;
}

export class PassTable {
  readonly #upsert;
  readonly #all;
  readonly #inSync;

  constructor(db: Db) {
    this.#upsert = db.prepare(
      `INSERT INTO passes (job_id, collection, pass, phase, cursor, counts_json, started_at, updated_at, ended_at)
       VALUES (@jobId, @collection, @pass, @phase, @cursor, @counts, @now, @now, CASE WHEN @phase = 'done' THEN @now END)
       ON CONFLICT (job_id, collection, pass) DO UPDATE SET
         phase = excluded.phase, cursor = excluded.cursor, counts_json = excluded.counts_json, updated_at = excluded.updated_at,
         ended_at = CASE WHEN excluded.phase = 'done' THEN excluded.updated_at END`,
    );
    this.#all = db.prepare<[string], PassRow>(
      `SELECT p.collection, p.pass, p.phase, p.cursor, p.counts_json, p.started_at, p.updated_at, p.ended_at
       FROM passes p JOIN collections c ON c.job_id = p.job_id AND c.source = p.collection
       WHERE p.job_id = ? ORDER BY p.pass, c.position`,
    );
    this.#inSync = db.prepare('UPDATE jobs SET in_sync_at = @at WHERE id = @id OR id = (SELECT parent_job_id FROM jobs WHERE id = @id)');
  }

  /** Throws SQLite's FOREIGN KEY error when (jobId, collection) is unknown; the store maps it. */
  save(jobId: string, state: Pick<PassState, 'collection' | 'pass' | 'phase' | 'cursor' | 'counts'>): void {
    this.#upsert.run({ jobId, collection: state.collection, pass: state.pass, phase: state.phase, cursor: state.cursor, counts: JSON.stringify(state.counts), now: new Date().toISOString() });
  }

  /** Every pass row of a job, by pass then collection position. */
  all(jobId: string): PassState[] {
    return this.#all.all(jobId).map((r) => ({
      collection: r.collection,
      pass: r.pass,
      phase: r.phase,
      cursor: r.cursor,
      counts: JSON.parse(r.counts_json) as Record<string, unknown>,
      startedAt: r.started_at,
      updatedAt: r.updated_at,
      endedAt: r.ended_at,
    }));
  }

  /** Records "in sync at `at`" on the job and on the job it was started from. */
  markInSync(jobId: string, at: string): void {
    this.#inSync.run({ id: jobId, at });
  }
}
