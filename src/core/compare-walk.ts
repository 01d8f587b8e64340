/**
 * The compare engine's walk: every point of the source against the target, step by step, in
 * bounded memory. `verify --full` (verify-full.ts) counts what each step finds; `sync` (sync.ts)
 * repairs it. One walk for both, so what verify reports is exactly what sync fixes.
 *
 * The source is read in Qdrant's id order (reader.read) and mapped with the same toRows() the
 * migration used, so the payload is compared after the plan's rules (nulls dropped, keys renamed,
 * promoted fields) and points the plan leaves out are expected absent. Each point is compared with
 * compareRow(), the sample check's rules.
 *
 * Phases, each resumable past a cursor (a step's `cursor`, saved by the caller once it is done
 * with the step):
 * - `merge` (Int64 keys): Qdrant's order and Milvus's pk order are the same (integers ascending),
 *   so the source stream and the target's ordered scan (Sink.scan) are merged (compare.ts). The
 *   cursor is the last key of the step: every key up to it, on both sides, is behind.
 * - `source` then `extra` (VarChar keys): integers as decimal text do not sort like Qdrant's
 *   numbers, so a merge cannot pair them. `source`: each source page is fetched from the target by
 *   key (missing / different); cursor = the page's last point id, in Qdrant's order. `extra`: the
 *   target's keys are scanned (ids only) and looked up in the source; cursor = the window's last key.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { mergeOrdered, prefetch } from './compare.ts';
import { systemError } from './errors.ts';
import { compareIds, formatId, parseId } from './ids.ts';
import type { CollectionPlan, Point, PointId, RejectedPoint, Row } from './types.ts';
import { compareRow, type Mismatch } from './verify.ts';
import { toRows } from '../mapping/rows.ts';

export type WalkPhase = 'merge' | 'source' | 'extra';

/** Where a walk starts: a phase, and the cursor past which it continues (null: its beginning). */
export interface WalkPosition {
  phase: WalkPhase;
  cursor: string | null;
}

export interface ExtraRow {
  id: bigint | string;
  detail: string;
  /** A second copy of a key the source has: removing the key removes both, so the source row
   *  must be written again (sync does). */
  rewrite?: Row;
}

/** What one step of the walk found. Steps follow the walk's order; none is empty of meaning. */
export interface CompareStep {
  phase: WalkPhase;
  /** Source rows the target lacks. */
  missing: Row[];
  /** Source rows the target holds with other content, and what differs. `staleKeys`: the target
   *  row has top-level payload keys the source row lacks (see sync.ts: an upsert may keep them). */
  different: Array<{ want: Row; diffs: Mismatch[]; staleKeys: boolean }>;
  /** Source points found equal on the target. */
  equal: number;
  /** Target keys the source lacks, or holds but the plan leaves out. */
  extra: ExtraRow[];
  /** Source points the plan leaves out (toRows' rejections), with their reasons. */
  rejected: RejectedPoint[];
  /** Where a walk resumed after this step continues. */
  cursor: string | null;
}

export interface WalkOptions {
  /** Source points per read. Default 512. */
  batch?: number;
  /** Resume here (a checkpoint); from the start when absent. */
  from?: WalkPosition;
  signal?: AbortSignal;
}

/** Ids per existence lookup of the VarChar extra pass. */
const LOOKUP_CHUNK = 512;
/** Milvus refuses `offset + limit` above 16,384. */
const MAX_WINDOW = 16_384;
/** Bytes of one target window: few, large windows, because a query costs the target a pass over
 *  the collection's keys whatever its limit (Milvus Lite 3 filters and sorts every live row). */
const WINDOW_BYTES = 8 * 2 ** 20;

/** Rows per target window: ~WINDOW_BYTES of vectors and payload, within Milvus's limit. */
export function targetWindow(plan: CollectionPlan): number {
  const rowBytes = 1024 + plan.vectors.reduce((n, v) => n + 4 * (v.dim ?? 256), 0);
  return Math.max(256, Math.min(MAX_WINDOW, Math.floor(WINDOW_BYTES / rowBytes)));
}

/** The phase a fresh walk of this plan starts with. */
export function firstPhase(plan: CollectionPlan): WalkPhase {
  return plan.primaryKey.type === 'Int64' ? 'merge' : 'source';
}

function emptyStep(phase: WalkPhase, cursor: string | null): CompareStep {
  return { phase, missing: [], different: [], equal: 0, extra: [], rejected: [], cursor };
}

export async function* walkCollection(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions = {}): AsyncGenerator<CompareStep> {
  const from = options.from ?? { phase: firstPhase(plan), cursor: null };
  if (from.phase === 'merge') {
    yield* mergeWalk(plan, reader, sink, options, from.cursor);
    return;
  }
  if (from.phase === 'source') yield* sourceWalk(plan, reader, sink, options, from.cursor);
  yield* extraWalk(plan, reader, sink, options, from.phase === 'extra' ? from.cursor : null);
}

/** Source pages past `after` (Qdrant order): the rows the target must hold and the rejections. */
async function* expectedPages(plan: CollectionPlan, reader: SourceReader, options: WalkOptions, after: PointId | undefined): AsyncGenerator<{ rows: Row[]; rejected: RejectedPoint[]; last: PointId | undefined }> {
  const read = reader.read({ collection: plan.source, pageSize: options.batch ?? 512, signal: options.signal, ...(after !== undefined && { from: after }) });
  for await (const page of read) {
    // `from` is inclusive: the cursor's own point was compared before the checkpoint.
    const points: Point[] = after === undefined ? page.points : page.points.filter((p) => compareIds(p.id, after) > 0);
    const { rows, rejected } = toRows(plan, points);
    yield { rows, rejected, last: points.at(-1)?.id };
  }
  // A read stopped by the signal must never look like the end of the source: sync would take
  // every target row after it for an extra one and delete it.
  options.signal?.throwIfAborted();
}

function compareInto(plan: CollectionPlan, step: CompareStep, want: Row, got: Row): void {
  const diffs = compareRow(plan, want, got);
  if (diffs.length === 0) step.equal++;
  else step.different.push({ want, diffs, staleKeys: Object.keys(got.dynamic).some((k) => !Object.hasOwn(want.dynamic, k)) });
}

const LEFT_OUT = "left out by the plan's policy, yet present in the target";

async function* mergeWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null): AsyncGenerator<CompareStep> {
  const after = cursor === null ? undefined : BigInt(cursor);
  // A resumed walk cannot check the scan against count(*): it scans only part of the target.
  const targetCount = after === undefined ? await sink.count(plan.target) : undefined;
  // Rejections wait until the walk has passed their id, so a step holds only what it covers (a
  // resume re-reads the page and must not report them twice).
  let pending: RejectedPoint[] = [];
  const left = new Set<string>();
  async function* source(): AsyncGenerator<Row[]> {
    for await (const page of expectedPages(plan, reader, options, after)) {
      pending.push(...page.rejected);
      for (const r of page.rejected) left.add(r.id);
      yield page.rows;
    }
  }
  const target = sink.scan(plan, { batch: targetWindow(plan), signal: options.signal, ...(after !== undefined && { after }) });
  let scanned = 0;
  let lastBoth: Row | undefined;
  const byKey = (r: Row) => r.id;
  const order = (a: bigint | string, b: bigint | string) => (a < b ? -1 : a > b ? 1 : 0);
  for await (const events of mergeOrdered(prefetch(source()), prefetch(target), { keyOfWant: byKey, keyOfGot: byKey, compare: order })) {
    let last: bigint | string | undefined;
    const step = emptyStep('merge', cursor);
    for (const e of events) {
      if (e.kind === 'missing') {
        step.missing.push(e.want);
        last = e.want.id;
      } else if (e.kind === 'extra') {
        scanned++;
        const id = String(e.got.id);
        last = e.got.id;
        if (e.duplicate) step.extra.push({ id: e.got.id, detail: 'a second row with this primary key', ...(lastBoth?.id === e.got.id && { rewrite: lastBoth }) });
        else step.extra.push({ id: e.got.id, detail: left.has(id) ? LEFT_OUT : 'not in the source' });
      } else {
        scanned++;
        lastBoth = e.want;
        last = e.want.id;
        compareInto(plan, step, e.want, e.got);
      }
    }
    if (last !== undefined) step.cursor = cursor = String(last);
    const through = last === undefined ? undefined : BigInt(last);
    step.rejected = pending.filter((r) => through !== undefined && isIntAtMost(r.id, through));
    pending = pending.filter((r) => !step.rejected.includes(r));
    // The walk is past them, on both sides: their extra rows (if any) were reported already.
    for (const r of step.rejected) left.delete(r.id);
    yield step;
  }
  // Points past the last key (UUIDs an Int64 plan rejects, say) end the walk.
  if (pending.length > 0) yield { ...emptyStep('merge', cursor), rejected: pending };
  // A target that answered `pk > last LIMIT n` with some n rows instead of the n smallest skipped
  // rows without a trace in the merge: only the count can tell.
  if (targetCount !== undefined && scanned < targetCount) {
    throw systemError(
      'TARGET_SCAN_ORDER',
      `The ordered scan of ${plan.target} returned ${scanned} rows but count(*) says ${targetCount}: the target did not answer "pk > last" queries with the smallest keys first (or rows were added meanwhile).`,
    );
  }
}

/** A rejected point's id (formatted) is an integer no greater than `through`. */
function isIntAtMost(id: string, through: bigint): boolean {
  return /^\d+$/.test(id) && BigInt(id) <= through;
}

async function* sourceWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null): AsyncGenerator<CompareStep> {
  for await (const page of prefetch(expectedPages(plan, reader, options, cursor === null ? undefined : parseId(cursor)))) {
    const left = page.rejected.map((r) => r.id);
    const got = await sink.fetch(plan, [...page.rows.map((r) => r.id), ...left]);
    const byId = new Map(got.map((r) => [String(r.id), r]));
    const step = emptyStep('source', page.last === undefined ? cursor : formatId(page.last));
    for (const want of page.rows) {
      const row = byId.get(String(want.id));
      if (row) compareInto(plan, step, want, row);
      else step.missing.push(want);
    }
    step.rejected = page.rejected;
    for (const id of left) if (byId.has(id)) step.extra.push({ id, detail: LEFT_OUT });
    cursor = step.cursor;
    yield step;
  }
}

/** Target keys that the source lacks: the target's ids in windows, each window looked up at the source. */
async function* extraWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null): AsyncGenerator<CompareStep> {
  const scan = sink.scan(plan, { batch: MAX_WINDOW, idsOnly: true, signal: options.signal, ...(cursor !== null && { after: cursor }) });
  for await (const window of scan) {
    const step = emptyStep('extra', window.length > 0 ? String(window.at(-1)!.id) : cursor);
    const asPoint = new Map<string, PointId>();
    for (const r of window) {
      const text = String(r.id);
      try {
        asPoint.set(text, parseId(text));
      } catch {
        step.extra.push({ id: r.id, detail: 'not a Qdrant point id' });
      }
    }
    // Retrieve brings vectors too (the contract has no ids-only lookup): small requests keep each
    // answer a few MB whatever the window.
    const ids = [...asPoint.values()];
    const present = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      options.signal?.throwIfAborted();
      for (const p of await reader.retrieve(plan.source, ids.slice(i, i + LOOKUP_CHUNK))) present.add(String(p.id));
    }
    for (const [text, id] of asPoint) if (!present.has(String(id))) step.extra.push({ id: text, detail: 'not in the source' });
    cursor = step.cursor;
    yield step;
  }
}
