/**
 * `sync`: brings an existing target up to date with the source, with the compare engine's walk
 * (compare-walk.ts), the one `verify --full` counts with. Per step: points missing from the target
 * or different there are upserted (mapped by the same toRows() as migrate, so renames, policies and
 * promoted fields apply, written through the same Sink.write), target rows the source no longer has
 * (or that the plan now leaves out) are deleted, equal points are left alone. Memory is a
 * few source pages and their target rows (verify-full.ts).
 *
 * A pass is one walk of one collection. It reports what it changed; a pass that changes nothing is
 * the cutover signal ("in sync"). Repairs of consecutive steps are sent together (Repairs, below);
 * the checkpoint (`onStep`) is given only after the target acked the deletes and upserts of every
 * step up to it, so a pass resumed from it never skips a repair.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { walkCollection, type CompareStep, type WalkPosition } from './compare-walk.ts';
import type { CollectionPlan, RejectedPoint, Row } from './types.ts';
import { estimateRowBytes } from './defaults.ts';

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
  /** Once the target acknowledged the repairs of every step up to it (every few steps: Repairs
   *  below): where a resume continues, the counts so far. */
  onStep?: (position: WalkPosition, counts: PassCounts) => void | Promise<void>;
  /** Points the plan leaves out, as each step finds them (the job logs them like migrate does). */
  onRejected?: (points: RejectedPoint[]) => void;
}

export async function syncCollection(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: SyncOptions = {}): Promise<PassCounts> {
  const counts = options.from ? { ...options.from.counts } : emptyPassCounts();
  const repairs = new Repairs(plan, sink, options.signal);
  // The step last seen whose checkpoint waits for the repairs held with it.
  let held: WalkPosition | undefined;
  const settle = async () => {
    await repairs.flush();
    if (held) await options.onStep?.(held, counts);
    held = undefined;
  };
  // The extra phase counts the target before it scans: repairs held from the source phase go first.
  const walk = walkCollection(plan, reader, sink, { batch: options.batch, signal: options.signal, beforeExtra: settle, ...(options.from && { from: options.from.position }) });
  for await (const step of walk) {
    repairs.add(step);
    add(counts, step);
    if (step.rejected.length > 0) options.onRejected?.(step.rejected);
    held = { phase: step.phase, cursor: step.cursor };
    if (repairs.full() || repairs.empty()) await settle();
  }
  await settle();
  return counts;
}

/** Repairs held before they are sent: at most this many bytes of rows to write (estimated)... */
const REPAIR_BYTES = 8 * 2 ** 20;
/** ...ids to delete... */
const REPAIR_DELETES = 8192;
/** ...or steps, so a job's checkpoint and progress still move every few pages. */
const REPAIR_STEPS = 8;

/**
 * The repairs of consecutive steps, sent together: Milvus Lite 3.2.2 answered sync pass 1 on basic
 * 100k (4,000 repairs over 49 pages) with 49 Upserts and 68 Deletes, one or two per page, each
 * awaited before the walk moved on. Held in memory up to the bounds above; a step's checkpoint
 * (syncCollection) waits until the target acked its repairs.
 *
 * Deletes first, then upserts: a key with a second copy is deleted (both copies go) and its source
 * row written again, which must come after the delete. A different row whose target copy has
 * payload keys the source dropped is deleted before it is written too: Milvus Lite 3.2.2 merges an
 * upserted row's dynamic field into the old one (probed: {a:1,b:2} upserted as {a:5} reads back
 * {a:5,b:2}), so a plain upsert would never remove the key. Only those rows pay the delete: on the
 * target they are absent for a moment, between the two acknowledged requests. Steps never share a
 * key (the walk's pages are disjoint), so the order between steps does not matter.
 */
class Repairs {
  private deletes: Array<bigint | string> = [];
  /** One row per key: a key both different and duplicated would otherwise come twice. */
  private rows = new Map<string, Row>();
  private steps = 0;
  private readonly rowBytes: number;

  constructor(
    private readonly plan: CollectionPlan,
    private readonly sink: Sink,
    private readonly signal?: AbortSignal,
  ) {
    this.rowBytes = estimateRowBytes(plan);
  }

  add(step: CompareStep): void {
    this.deletes.push(...step.extra.map((x) => x.id), ...step.different.filter((d) => d.staleKeys).map((d) => d.want.id));
    for (const r of [...step.missing, ...step.different.map((d) => d.want), ...step.extra.flatMap((x) => (x.rewrite ? [x.rewrite] : []))]) this.rows.set(String(r.id), r);
    if (!this.empty()) this.steps++;
  }

  empty(): boolean {
    return this.deletes.length === 0 && this.rows.size === 0;
  }

  full(): boolean {
    return this.rows.size * this.rowBytes >= REPAIR_BYTES || this.deletes.length >= REPAIR_DELETES || this.steps >= REPAIR_STEPS;
  }

  /** Sends what is held; resolves once the target acked it all. */
  async flush(): Promise<void> {
    const [deletes, rows] = [this.deletes, [...this.rows.values()]];
    [this.deletes, this.rows, this.steps] = [[], new Map(), 0];
    if (deletes.length > 0) await this.sink.delete(this.plan, deletes, this.signal);
    if (rows.length > 0) await this.sink.write(this.plan, rows, this.signal);
  }
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
