/**
 * `sync`: brings an existing target up to date with the source, with the compare engine's walk
 * (compare-walk.ts), the one `verify --full` counts with. Per step: points missing from the target
 * or different there are upserted (mapped by the same toRows() as migrate, so renames, policies and
 * promoted fields apply, written through the same Sink.write), target rows the source no longer has
 * (or that the plan now leaves out) are deleted, equal points are left alone. Memory is a
 * few source pages and their target rows (verify-full.ts).
 *
 * A pass is one walk of one collection. It reports what it changed; a pass that changes nothing is
 * the cutover signal ("in sync"). The checkpoint (`onStep`) is given only after the target acked
 * the step's deletes and upserts, so a pass resumed from it never skips a repair.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { walkCollection, type CompareStep, type WalkPosition } from './compare-walk.ts';
import type { CollectionPlan, RejectedPoint, Row } from './types.ts';

/** What a sync pass did to one collection (and, summed, to a job). */
export interface PassCounts {
  /** Source points compared (points the plan leaves out are not counted here: see rejected). */
  compared: number;
  /** Rows written: missing + different. */
  upserted: number;
  /** Target rows deleted: extra (not in the source, a second copy of a key, or left out by the plan). */
  deleted: number;
  /** Source points found equal, left alone. */
  unchanged: number;
  /** Source points the plan leaves out (toRows' rejections: logged, never written). */
  rejected: number;
  /** Of upserted: points the target lacked. */
  missing: number;
  /** Of upserted: points the target held with other content. */
  different: number;
}

export function emptyPassCounts(): PassCounts {
  return { compared: 0, upserted: 0, deleted: 0, unchanged: 0, rejected: 0, missing: 0, different: 0 };
}

/** A pass changed nothing in the target: source and target were equal (the cutover signal). */
export function changedNothing(c: PassCounts): boolean {
  return c.upserted === 0 && c.deleted === 0;
}

export interface SyncOptions {
  /** Source points per read and per step. Default: about 8 MB of vectors, at most 2,048 (compare-step.ts pageRows). */
  batch?: number;
  signal?: AbortSignal;
  /** Resume a pass here with the counts it had (a sync job's checkpoint). */
  from?: { position: WalkPosition; counts: PassCounts };
  /** After each step's repairs were acknowledged: where a resume continues, the counts so far. */
  onStep?: (position: WalkPosition, counts: PassCounts) => void | Promise<void>;
  /** Points the plan leaves out, as each step finds them (the job logs them like migrate does). */
  onRejected?: (points: RejectedPoint[]) => void;
}

export async function syncCollection(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: SyncOptions = {}): Promise<PassCounts> {
  const counts = options.from ? { ...options.from.counts } : emptyPassCounts();
  const walk = walkCollection(plan, reader, sink, { batch: options.batch, signal: options.signal, ...(options.from && { from: options.from.position }) });
  for await (const step of walk) {
    await repair(plan, sink, step, options.signal);
    add(counts, step);
    if (step.rejected.length > 0) options.onRejected?.(step.rejected);
    await options.onStep?.({ phase: step.phase, cursor: step.cursor }, counts);
  }
  return counts;
}

/**
 * Deletes first, then upserts: a key with a second copy is deleted (both copies go) and its source
 * row written again, which must come after the delete. A different row whose target copy has
 * payload keys the source dropped is deleted before it is written too: Milvus Lite 3.2.2 merges an
 * upserted row's dynamic field into the old one (probed: {a:1,b:2} upserted as {a:5} reads back
 * {a:5,b:2}), so a plain upsert would never remove the key. Only those rows pay the delete: on the
 * target they are absent for a moment, between the two acknowledged requests.
 */
async function repair(plan: CollectionPlan, sink: Sink, step: CompareStep, signal?: AbortSignal): Promise<void> {
  const stale = [...step.extra.map((x) => x.id), ...step.different.filter((d) => d.staleKeys).map((d) => d.want.id)];
  if (stale.length > 0) await sink.delete(plan, stale, signal);
  const rows: Row[] = [...step.missing, ...step.different.map((d) => d.want), ...step.extra.flatMap((x) => (x.rewrite ? [x.rewrite] : []))];
  // One row per key per request: a key both different and duplicated would otherwise come twice.
  const unique = [...new Map(rows.map((r) => [String(r.id), r])).values()];
  if (unique.length > 0) await sink.write(plan, unique, signal);
}

function add(c: PassCounts, step: CompareStep): void {
  c.missing += step.missing.length;
  c.different += step.different.length;
  c.upserted += step.missing.length + step.different.length + step.extra.filter((x) => x.rewrite).length;
  c.deleted += step.extra.length;
  c.unchanged += step.equal;
  c.rejected += step.rejected.length;
  c.compared += step.missing.length + step.different.length + step.equal;
}
