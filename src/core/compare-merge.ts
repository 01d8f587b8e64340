/**
 * The compare walk's `merge` phase (Int64 keys, compare-walk.ts): Qdrant's order and Milvus's pk
 * order are the same (integers ascending), so the source pages and the target's ordered scan
 * (Sink.scan) are merged (compare.ts), one range of keys at a time.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { mergeOrdered, OrderError, prefetch } from './compare.ts';
import { compareInto, emptyStep, expectedPages, LEFT_OUT, targetWindow, type CompareStep, type WalkOptions } from './compare-step.ts';
import { systemError } from './errors.ts';
import type { CollectionPlan, RejectedPoint, Row } from './types.ts';

/**
 * Int64 keys. The source pages bound the target's windows: consecutive pages are grouped into a
 * range of about one target window of rows, and the range's target rows are read as
 * `pk > (last id of the range before) && pk <= (last id of this range)` (Sink.scan with `upTo`):
 * a query then matches about a window of rows wherever the walk is, where `pk > a LIMIT n` alone
 * matches every row above `a` (and Milvus Lite 3.2.2 sorts all of them for each window). Target
 * rows past the source's last id end the walk (one unbounded scan). The order is checked, never
 * trusted: within a range by the merge (OrderError), across ranges here, and the rows scanned
 * against count(*).
 */
export async function* mergeWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null): AsyncGenerator<CompareStep> {
  const after = cursor === null ? undefined : BigInt(cursor);
  // A resumed walk cannot check the scan against count(*): it scans only part of the target.
  const targetCount = after === undefined ? await sink.count(plan.target) : undefined;
  const window = options.window ?? targetWindow(plan);
  // Rejections wait until the walk has passed their id, so a step holds only what it covers (a
  // resume re-reads the page and must not report them twice).
  let pending: RejectedPoint[] = [];
  const left = new Set<string>();
  let scanned = 0;
  let lastTarget: bigint | undefined;
  /** The target's windows of one range, each checked to start past the rows of the ranges before. */
  async function* ordered(windows: AsyncIterable<Row[]> | Iterable<Row[]>): AsyncGenerator<Row[]> {
    for await (const w of windows) {
      const first = w[0]?.id as bigint | undefined;
      if (first !== undefined && lastTarget !== undefined && first <= lastTarget) throw new OrderError('target', String(lastTarget), String(first));
      if (w.length > 0) lastTarget = w.at(-1)!.id as bigint;
      yield w;
    }
  }
  const scan = (from: bigint | undefined, upTo?: bigint) => sink.scan(plan, { batch: window, signal: options.signal, ...(from !== undefined && { after: from }), ...(upTo !== undefined && { upTo }) });
  /** Ranges of source pages (about a window of points), each with its first target window asked for (the read-ahead overlaps both sides). */
  async function* ranges(): AsyncGenerator<Range> {
    let from = after;
    let pages: Row[][] = [];
    let upTo: bigint | undefined;
    let points = 0;
    for await (const page of expectedPages(plan, reader, options, after)) {
      pending.push(...page.rejected);
      for (const r of page.rejected) left.add(r.id);
      pages.push(page.rows);
      upTo = page.lastInt ?? upTo;
      points += page.rows.length + page.rejected.length;
      if (points < window) continue;
      yield await range(pages, from, upTo);
      from = upTo ?? from;
      [pages, upTo, points] = [[], undefined, 0];
    }
    if (pages.length > 0) yield await range(pages, from, upTo);
    from = upTo ?? from;
    yield { pages: [], upTo: undefined, target: scan(from) };
  }
  async function range(pages: Row[][], from: bigint | undefined, upTo: bigint | undefined): Promise<Range> {
    // Pages without an id that fits INT64 (UUIDs an Int64 plan rejects) have no target rows.
    if (upTo === undefined) return { pages, upTo, target: [] };
    const windows = scan(from, upTo)[Symbol.asyncIterator]();
    return { pages, upTo, target: rest(await windows.next(), windows) };
  }
  /** The step with the rejections its cursor has passed (each reported once, in the step that covers it). */
  const settled = (step: CompareStep): CompareStep => {
    const through = step.cursor === null ? undefined : BigInt(step.cursor);
    step.rejected = pending.filter((x) => through !== undefined && isIntAtMost(x.id, through));
    pending = pending.filter((x) => !step.rejected.includes(x));
    // The walk is past them, on both sides: their extra rows (if any) were reported already.
    for (const x of step.rejected) left.delete(x.id);
    return step;
  };
  for await (const r of prefetch(ranges())) {
    let held: CompareStep | undefined;
    for await (const step of mergeRange(plan, r.pages, ordered(r.target), left, cursor)) {
      if (held) yield settled(held);
      held = step;
      scanned += step.equal + step.different.length + step.extra.length;
      cursor = step.cursor;
    }
    // A range is behind on both sides through its bound, even past its last row.
    held ??= emptyStep('merge', cursor);
    if (r.upTo !== undefined) held.cursor = cursor = String(r.upTo);
    settled(held);
    if (r.upTo !== undefined || held.missing.length + held.different.length + held.equal + held.extra.length + held.rejected.length > 0) yield held;
  }
  // Points past the last key (UUIDs an Int64 plan rejects, say) end the walk.
  if (pending.length > 0) yield { ...emptyStep('merge', cursor), rejected: pending };
  // A target that answered a window with some n rows instead of the n smallest skipped rows
  // without a trace in the merge: only the count can tell.
  if (targetCount !== undefined && scanned < targetCount) {
    throw systemError(
      'TARGET_SCAN_ORDER',
      `The ordered scan of ${plan.target} returned ${scanned} rows but count(*) says ${targetCount}: the target did not answer "pk > last" queries with the smallest keys first (or rows were added meanwhile).`,
    );
  }
}

/** Source pages of one range of keys and the target's windows over it. */
interface Range {
  pages: Row[][];
  /** Its largest key; absent for the tail (every target key past the source's last). */
  upTo: bigint | undefined;
  target: AsyncIterable<Row[]> | Iterable<Row[]>;
}

/** An iterator's first answer (already awaited), then the rest of it. */
async function* rest<T>(first: IteratorResult<T>, it: AsyncIterator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
}

/** The merge of one range: a step per merge answer (a source page or a target window used up; cursor: its last key). */
async function* mergeRange(plan: CollectionPlan, pages: Row[][], target: AsyncIterable<Row[]>, left: Set<string>, cursor: string | null): AsyncGenerator<CompareStep> {
  let lastBoth: Row | undefined;
  const byKey = (r: Row) => r.id;
  const order = (a: bigint | string, b: bigint | string) => (a < b ? -1 : a > b ? 1 : 0);
  async function* source(): AsyncGenerator<Row[]> {
    yield* pages;
  }
  for await (const events of mergeOrdered(source(), target, { keyOfWant: byKey, keyOfGot: byKey, compare: order })) {
    let last: bigint | string | undefined;
    const step = emptyStep('merge', cursor);
    for (const e of events) {
      if (e.kind === 'missing') {
        step.missing.push(e.want);
        last = e.want.id;
      } else if (e.kind === 'extra') {
        const id = String(e.got.id);
        last = e.got.id;
        if (e.duplicate) step.extra.push({ id: e.got.id, detail: 'a second row with this primary key', ...(lastBoth?.id === e.got.id && { rewrite: lastBoth }) });
        else step.extra.push({ id: e.got.id, detail: left.has(id) ? LEFT_OUT : 'not in the source' });
      } else {
        lastBoth = e.want;
        last = e.want.id;
        compareInto(plan, step, e.want, e.got);
      }
    }
    if (last !== undefined) step.cursor = cursor = String(last);
    yield step;
  }
}

/** A rejected point's id (formatted) is an integer no greater than `through`. */
function isIntAtMost(id: string, through: bigint): boolean {
  return /^\d+$/.test(id) && BigInt(id) <= through;
}
