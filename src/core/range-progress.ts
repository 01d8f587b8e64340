/**
 * Per-range checkpoint bookkeeping for a pipeline with several writes in flight.
 *
 * Pages of one range can be acknowledged by the target out of order (W writers), but a range's
 * cursor may only move past a page once every page before it is written too (a checkpoint covers
 * everything before its cursor). Each page gets a sequence number when read; completions are held
 * until the sequence is contiguous, then the range's checkpoint moves over all of them at once and
 * is saved. Saves of one range are chained so they reach the store in order.
 */
import { formatId } from './ids.ts';
import type { RangeCheckpoint } from './pipeline.ts';
import type { PointId } from './types.ts';

/** What one page did, reported once the target acknowledged its rows. */
export interface PageOutcome {
  seq: number;
  written: number;
  rejected: number;
  /** The page's `next`: where the range continues; null = the range is exhausted. */
  next: PointId | null;
}

export type SaveCheckpoint = (checkpoint: RangeCheckpoint) => void | Promise<void>;

export class RangeProgress {
  private issued = 0;
  private committed = 0;
  private readonly held = new Map<number, PageOutcome>();
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly checkpoint: RangeCheckpoint,
    private readonly save: SaveCheckpoint | undefined,
  ) {}

  /** Sequence number for the next page read from this range. */
  nextSeq(): number {
    return this.issued++;
  }

  /**
   * Records a page whose rows the target acknowledged. Calls `onCommit` for each page the
   * checkpoint moves over (in order) and resolves once the saves so far are durable; rejects with
   * the first failed save.
   */
  complete(page: PageOutcome, onCommit: (page: PageOutcome) => void): Promise<void> {
    this.held.set(page.seq, page);
    const cp = this.checkpoint;
    let moved = false;
    for (let p = this.held.get(this.committed); p !== undefined; p = this.held.get(this.committed)) {
      this.held.delete(this.committed++);
      cp.written += p.written;
      cp.rejected = (cp.rejected ?? 0) + p.rejected;
      cp.cursor = p.next === null ? null : formatId(p.next);
      cp.done = p.next === null;
      moved = true;
      onCommit(p);
    }
    if (moved && this.save) {
      const snapshot = { ...cp };
      const save = this.save;
      this.saving = this.saving.then(() => save(snapshot));
    }
    return this.saving;
  }

  /** Resolves when every save issued so far is durable. */
  flushed(): Promise<void> {
    return this.saving;
  }
}
