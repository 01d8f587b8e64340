/**
 * The bounded error log of each job, with exact counters beside it.
 *
 * Policy: the log keeps the FIRST `maxPerJob` entries of a job; later ones are only counted.
 * The first errors usually name the cause (later ones repeat it), and this makes an append past
 * the bound cost one counter upsert with no deletes, which matters when a bad collection rejects
 * millions of points. `error_counts` is updated on every append, so totals per (collection, code)
 * stay exact however much the log dropped.
 */
import type { Db } from './db.ts';
import type { ErrorCount, ErrorEntry, ErrorEntryInput, ErrorPage } from './types.ts';

export const DEFAULT_MAX_ERRORS_PER_JOB = 10_000;
/** Longer messages are cut: one pathological error must not bloat the database. */
export const MAX_ERROR_MESSAGE_CHARS = 2_000;

interface LogRow {
  seq: number;
  collection: string | null;
  point_id: string | null;
  code: string;
  message: string;
  at: string;
}

export class ErrorLog {
  readonly #db: Db;
  readonly #max: number;
  readonly #claimSlot;
  readonly #insert;
  readonly #count;
  readonly #page;
  readonly #counts;
  readonly #logged;

  constructor(db: Db, maxPerJob = DEFAULT_MAX_ERRORS_PER_JOB) {
    this.#db = db;
    this.#max = maxPerJob;
    // Conditional increment: claims a log slot only while under the bound, atomically.
    this.#claimSlot = db.prepare('UPDATE jobs SET errors_logged = errors_logged + 1 WHERE id = ? AND errors_logged < ?');
    this.#insert = db.prepare(
      'INSERT INTO error_log (job_id, collection, point_id, code, message, at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#count = db.prepare(
      `INSERT INTO error_counts (job_id, collection, code, count) VALUES (?, ?, ?, 1)
       ON CONFLICT (job_id, collection, code) DO UPDATE SET count = count + 1`,
    );
    this.#page = db.prepare<[string, number, number], LogRow>(
      'SELECT seq, collection, point_id, code, message, at FROM error_log WHERE job_id = ? ORDER BY seq LIMIT ? OFFSET ?',
    );
    this.#counts = db.prepare<[string], { collection: string; code: string; count: number }>(
      'SELECT collection, code, count FROM error_counts WHERE job_id = ? ORDER BY collection, code',
    );
    this.#logged = db.prepare<[string], { errors_logged: number }>('SELECT errors_logged FROM jobs WHERE id = ?');
  }

  /** Appends entries (caller holds a write transaction and has checked the job exists). */
  appendInTransaction(jobId: string, entries: readonly ErrorEntryInput[], clean: (text: string) => string): void {
    const now = new Date().toISOString();
    for (const e of entries) {
      this.#count.run(jobId, e.collection ?? '', e.code);
      if (this.#claimSlot.run(jobId, this.#max).changes === 0) continue;
      const message = clean(e.message).slice(0, MAX_ERROR_MESSAGE_CHARS);
      this.#insert.run(jobId, e.collection ?? null, e.pointId ?? null, e.code, message, e.at ?? now);
    }
  }

  /** Kept entries in append order, plus exact totals. `undefined` when the job does not exist. */
  page(jobId: string, offset: number, limit: number): ErrorPage | undefined {
    const read = this.#db.transaction(() => {
      const logged = this.#logged.get(jobId)?.errors_logged;
      if (logged === undefined) return undefined;
      const entries = this.#page.all(jobId, limit, offset).map(toEntry);
      const total = this.counts(jobId).reduce((sum, c) => sum + c.count, 0);
      return { entries, total, logged, dropped: total - logged, truncated: total > logged };
    });
    return read(); // one read snapshot, so total, logged and entries agree
  }

  /** Exact counts per (collection, code); collection null = job-level. */
  counts(jobId: string): ErrorCount[] {
    return this.#counts.all(jobId).map((r) => ({ collection: r.collection === '' ? null : r.collection, code: r.code, count: r.count }));
  }
}

function toEntry(r: LogRow): ErrorEntry {
  return { seq: r.seq, collection: r.collection, pointId: r.point_id, code: r.code, message: r.message, at: r.at };
}
