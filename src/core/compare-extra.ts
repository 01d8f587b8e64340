/**
 * The compare walk's `extra` phase (compare-walk.ts): target keys the source lacks. The source
 * phase fetched every source key from the target, so all that is left is which target keys lie
 * outside the source's. Ids only on both sides where the keys allow it: no vector is read twice.
 *
 * - Int64 keys (idsExtraWalk): Qdrant's order and Milvus's pk order are the same (integers
 *   ascending), so an ids-only read of the source and an ids-only ordered scan of the target
 *   (Sink.scan, `pk > last LIMIT n`, each window sorted: the sort-within-window fallback) are merged
 *   (compare.ts). The order is checked, never trusted: a target going backwards across windows
 *   throws OrderError, and the rows scanned are checked against count(*) (a target that answered a
 *   window with some n rows instead of the n smallest would skip rows without a trace otherwise).
 * - VarChar keys (lookupExtraWalk): integers as decimal text do not sort like Qdrant's numbers, so
 *   a merge cannot pair them: each window of target keys is looked up in the source.
 *
 * A key on both sides is the source phase's business (its content, a second row of it): here it
 * is passed over. Cursor: the step's last key; every target key up to it is behind.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { mergeOrdered, prefetch } from './compare.ts';
import { emptyStep, MAX_WINDOW, NOT_IN_SOURCE, SECOND_ROW, type CompareStep, type WalkOptions } from './compare-step.ts';
import { systemError } from './errors.ts';
import { BEFORE_FIRST, GAP_FILL, GapFilter } from './compare-gaps.ts';
import { INT64_LIMIT, parseId } from './ids.ts';
import type { CollectionPlan, PointId, Row } from './types.ts';

/** Ids per existence lookup of the VarChar extra phase (answers stay small: no vectors). */
const LOOKUP_CHUNK = 512;
/** Which ids exist: no vectors, and the payload left as the transcoder's bytes (never parsed). */
const EXISTS = { withVectors: false, packedVectors: true } as const;
/** Source ids per ids-only read (Qdrant answers a page of ids in a few ms). */
const ID_PAGE = 8192;

/** Int64 keys: the source's ids merged with the target's, both ids only. */
export async function* idsExtraWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null): AsyncGenerator<CompareStep> {
  const after = cursor === null ? undefined : BigInt(cursor);
  // A resumed phase scans only part of the target: no count to check it against.
  const expected = after === undefined ? await sink.count(plan.target) : undefined;
  const target = sink.scan(plan, { batch: options.window ?? MAX_WINDOW, idsOnly: true, signal: options.signal, ...(after !== undefined && { after }) });
  let scanned = 0;
  let lastBoth: bigint | undefined;
  // Target keys in small gaps between source ids were the source phase's (compare-gaps.ts).
  const gaps = new GapFilter(after === undefined ? BEFORE_FIRST : await sourceIdAtOrBefore(plan, reader, after));
  const key = (id: bigint) => id;
  const order = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
  for await (const events of mergeOrdered(prefetch(sourceIds(plan, reader, options, after)), prefetch(target), { keyOfWant: key, keyOfGot: (r: Row) => r.id as bigint, compare: order })) {
    const step = emptyStep('extra', cursor);
    let at: bigint | undefined;
    for (const e of events) {
      const id = e.kind === 'missing' ? e.want : e.got.id as bigint;
      if (e.kind !== 'missing') scanned++;
      if (e.kind !== 'extra') step.extra.push(...gaps.source(id));
      if (e.kind === 'both') lastBoth = id;
      // A second row of a source key: the source phase found it (and sync rewrote the key).
      else if (e.kind === 'extra' && lastBoth !== id) step.extra.push(...gaps.extra(id, { id, detail: e.duplicate ? SECOND_ROW : NOT_IN_SOURCE }));
      at = id;
    }
    // Never past an extra still held back: a resume must meet it again.
    if (at !== undefined) step.cursor = cursor = String(gaps.cursorBefore(at));
    yield step;
  }
  const rest = gaps.end();
  if (rest.length > 0) yield { ...emptyStep('extra', cursor), extra: rest };
  if (expected !== undefined && scanned < expected) {
    throw systemError(
      'TARGET_SCAN_ORDER',
      `The ordered scan of ${plan.target} returned ${scanned} rows but count(*) says ${expected}: the target holds a primary key twice (Milvus 2.3.5 counts both copies of a key inserted twice, its queries return one: probed), or it did not answer "pk > last" queries with the smallest keys first, or rows were added meanwhile. Fix: run the check again once nothing else writes to ${plan.target}; if it fails again, copy the collection into a fresh target (\`migrate --if-exists drop\`), which writes every key once.`,
    );
  }
}

/**
 * Where a resumed extra phase's first gap starts: the largest source id at or below `after`
 * within GAP_FILL of it (BEFORE_FIRST below the first id), or undefined when none is that near
 * (then no small gap reaches past `after`).
 */
async function sourceIdAtOrBefore(plan: CollectionPlan, reader: SourceReader, after: bigint): Promise<bigint | undefined> {
  const ids: bigint[] = [];
  for (let k = after; k >= 0n && k > after - GAP_FILL; k--) ids.push(k);
  const found = ids.length === 0 ? [] : (await reader.retrieve(plan.source, ids, EXISTS)).map((p) => p.id).filter((id): id is bigint => typeof id === 'bigint');
  if (found.length > 0) return found.reduce((a, b) => (a > b ? a : b));
  return after < GAP_FILL ? BEFORE_FIRST : undefined;
}

/** The source's ids past `after` that an Int64 key can hold, ascending; ends at the first id that cannot (UUIDs come last). */
async function* sourceIds(plan: CollectionPlan, reader: SourceReader, options: WalkOptions, after: bigint | undefined): AsyncGenerator<bigint[]> {
  // A Qdrant id is never negative: a cursor below 0 reads from the start.
  const from = after !== undefined && after >= 0n ? after : undefined;
  for await (const page of reader.read({ collection: plan.source, pageSize: ID_PAGE, idsOnly: true, signal: options.signal, ...(from !== undefined && { from }) })) {
    const ids: bigint[] = [];
    for (const p of page.points) {
      if (typeof p.id !== 'bigint' || p.id >= INT64_LIMIT) {
        yield ids;
        return;
      }
      if (after === undefined || p.id > after) ids.push(p.id);
    }
    yield ids;
  }
  // A read stopped by the signal must never look like the end of the source: sync would take
  // every target row after it for an extra one and delete it.
  options.signal?.throwIfAborted();
}

/** VarChar keys: the target's ids in windows, each window looked up at the source. */
export async function* lookupExtraWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null): AsyncGenerator<CompareStep> {
  const scan = sink.scan(plan, { batch: options.window ?? MAX_WINDOW, idsOnly: true, signal: options.signal, ...(cursor !== null && { after: cursor }) });
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
    const ids = [...asPoint.values()];
    const present = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      options.signal?.throwIfAborted();
      for (const p of await reader.retrieve(plan.source, ids.slice(i, i + LOOKUP_CHUNK), EXISTS)) present.add(String(p.id));
    }
    for (const [text, id] of asPoint) if (!present.has(String(id))) step.extra.push({ id: text, detail: NOT_IN_SOURCE });
    cursor = step.cursor;
    yield step;
  }
}
