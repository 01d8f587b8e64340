/**
 * Small gaps between source ids, looked up by the source phase so the extra phase can usually be
 * skipped (compare-walk.ts). Int64 keys only.
 *
 * A point deleted from a live source leaves its key in the target, one id between two source ids
 * that were neighbours in the migrate. The source phase fetches by key, so it never saw that row,
 * count(*) then disagrees with the rows it found, and the extra phase scans every target key: on
 * Milvus Lite 3.2.2 each window of that scan is a pass over every row (basic 100k: 8 queries,
 * ~4.4 Lite CPU s, more than the upserts and deletes of sync pass 1 together). Looking up the
 * keys of each small gap with the page's own keys costs a few µs a key instead (a missing key in
 * Lite's `pk in` is a dict miss and its parsed literal).
 *
 * The rule depends on the source's ids alone, never on page boundaries, so both phases apply it
 * alike, on a fresh walk and a resumed one: for two consecutive source ids a < b (Qdrant order,
 * ids an Int64 key can hold, the plan's rejected points included) with b - a <= GAP_FILL, the
 * keys a+1 .. b-1 belong to the source phase; the first id counts -1 as its neighbour before it
 * (BEFORE_FIRST). The extra phase passes over target keys inside such
 * a gap: the source phase reported them. At most GAP_FILL - 1 keys are added per source id.
 */
import { INT64_LIMIT } from './ids.ts';
import type { ExtraRow } from './compare-step.ts';

/** Widest gap (b - a) whose keys the source phase looks up. */
export const GAP_FILL = 4n;

/** The source id "before" the first: Qdrant ids start at 0, so the keys below a first id of 1-3
 *  (points 0-2 deleted) form a small gap too. */
export const BEFORE_FIRST = -1n;

/** An id an Int64 key can hold, or undefined. */
export function int64Id(id: bigint | string): bigint | undefined {
  if (typeof id === 'bigint') return id >= 0n && id < INT64_LIMIT ? id : undefined;
  if (!/^\d+$/.test(id)) return undefined;
  const n = BigInt(id);
  return n < INT64_LIMIT ? n : undefined;
}

/**
 * The keys strictly inside small gaps between consecutive ids of `ids` (ascending, Int64-able),
 * starting from `prev` (the source id before them, if known).
 */
export function gapKeys(prev: bigint | undefined, ids: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  let a = prev;
  for (const b of ids) {
    if (a !== undefined && b - a > 1n && b - a <= GAP_FILL) for (let k = a + 1n; k < b; k++) out.push(k);
    a = b;
  }
  return out;
}

/**
 * The extra phase's side of the rule: fed the merged stream in key order (source ids and target
 * extras), it holds back extras that may lie inside a small gap until the next source id tells,
 * then drops them (the source phase reported them) or lets them through. What it holds is at most
 * GAP_FILL - 1 keys (and their second rows).
 */
export class GapFilter {
  private pending: Array<{ key: bigint; row: ExtraRow }> = [];

  /** `last`: the source id before the stream's first key, if known (a resumed phase looks it up). */
  constructor(private last: bigint | undefined) {}

  /** A source id: settles what was held. Returns the extras to report. */
  source(id: bigint): ExtraRow[] {
    const inGap = this.last !== undefined && id - this.last <= GAP_FILL;
    const out = inGap ? [] : this.pending.map((p) => p.row);
    this.pending = [];
    this.last = id;
    return out;
  }

  /** A target key the source lacks. Returns the extras to report now. */
  extra(key: bigint, row: ExtraRow): ExtraRow[] {
    if (this.last !== undefined && key > this.last && key - this.last < GAP_FILL) {
      this.pending.push({ key, row });
      return [];
    }
    // Past any small gap after `last`: the next source id is farther, so nothing held is in one.
    const out = [...this.pending.map((p) => p.row), row];
    this.pending = [];
    return out;
  }

  /** The source ended: no gap closes what is held. */
  end(): ExtraRow[] {
    const out = this.pending.map((p) => p.row);
    this.pending = [];
    return out;
  }

  /** Where a step may put its cursor: before the first key held back (a resume finds it again). */
  cursorBefore(key: bigint): bigint {
    return this.pending.length > 0 ? this.last! : key;
  }
}
