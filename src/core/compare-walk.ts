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
 *   so the source stream and the target's ordered scan (Sink.scan) are merged (compare.ts), range
 *   by range: each group of source pages bounds the target rows read against it (compare-merge.ts). The
 *   cursor is the last key of the step: every key up to it, on both sides, is behind.
 * - `source` then `extra` (VarChar keys): integers as decimal text do not sort like Qdrant's
 *   numbers, so a merge cannot pair them. `source`: each source page is fetched from the target by
 *   key (missing / different); cursor = the page's last point id, in Qdrant's order. `extra`: the
 *   target's keys are scanned (ids only) and looked up in the source; cursor = the window's last key.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { prefetch } from './compare.ts';
import { mergeWalk } from './compare-merge.ts';
import { compareInto, emptyStep, expectedPages, LEFT_OUT, MAX_WINDOW, type CompareStep, type WalkOptions, type WalkPhase } from './compare-step.ts';
import { formatId, parseId } from './ids.ts';
import type { CollectionPlan, PointId } from './types.ts';

export { targetWindow, type CompareStep, type ExtraRow, type WalkOptions, type WalkPhase, type WalkPosition } from './compare-step.ts';

/** Ids per existence lookup of the VarChar extra pass. */
const LOOKUP_CHUNK = 512;

/** The phase a fresh walk of this plan starts with. */
export function firstPhase(plan: CollectionPlan): WalkPhase {
  return plan.primaryKey.type === 'Int64' ? 'merge' : 'source';
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
