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
 * The lookup walk, two phases, each resumable past a cursor (a step's `cursor`, saved by the
 * caller once it is done with the step):
 * - `source`: each source page is fetched from the target by key (Sink.fetch, `pk in [...]`):
 *   missing / different / equal, plus a second row of a key and rows of points the plan leaves
 *   out (extra); on Int64 keys also the keys in small gaps between source ids, where a point
 *   deleted from the source left its row (compare-gaps.ts: extra if found). Cursor: the page's
 *   last point id, in Qdrant's order. By key, because that is the
 *   one query Milvus Lite 3.2.2 answers without a pass over every row (probed at 1M rows: 0.14 s
 *   for `pk in [512 ids]`, 7.5 s for a 512-row range): the walk is linear on every target.
 * - `extra`: target keys outside the source's (compare-extra.ts). Only when needed: a fresh walk
 *   counts the target first (T0) and the rows the source phase found (F). F == T0 means no target
 *   row lies outside the keys the source phase looked up, so the phase is skipped. This holds for sync too: each
 *   page is fetched before its repair and pages never share a key, so the rows sync writes (not
 *   in T0) are never in F, and the rows it deletes were counted in both. A resumed walk cannot
 *   know F (a step repaired but not yet saved before a kill changes what the replay finds), so it
 *   always runs the phase.
 *
 * `merge` is the Int64 range merge of the version before: a checkpoint of it ("every key up to the
 * cursor is behind, on both sides") resumes as the source phase past the cursor, then the extra
 * phase past it.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { prefetch } from './compare.ts';
import { idsExtraWalk, lookupExtraWalk } from './compare-extra.ts';
import { BEFORE_FIRST, gapKeys, int64Id } from './compare-gaps.ts';
import { compareInto, emptyStep, expectedPages, LEFT_OUT, NOT_IN_SOURCE, SECOND_ROW, type CompareStep, type ExpectedPage, type WalkOptions, type WalkPhase } from './compare-step.ts';
import { formatId, INT64_LIMIT, parseId } from './ids.ts';
import type { CollectionPlan, Row } from './types.ts';

export { type CompareStep, type ExtraRow, type WalkOptions, type WalkPhase, type WalkPosition } from './compare-step.ts';

/** The phase a fresh walk starts with (every key type: the lookup walk). */
export const FIRST_PHASE: WalkPhase = 'source';

export async function* walkCollection(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions = {}): AsyncGenerator<CompareStep> {
  const from = options.from;
  // Before anything else, sync's first write included.
  const before = from === undefined ? await sink.count(plan.target) : undefined;
  let extraFrom: string | null = null;
  if (from === undefined || from.phase !== 'extra') {
    const legacy = from?.phase === 'merge';
    // A merge cursor may be a target key below every Qdrant id (a negative one): then from the start.
    const after = legacy && !/^\d+$/.test(from.cursor ?? '') ? null : (from?.cursor ?? null);
    const found = { rows: 0 };
    yield* sourceWalk(plan, reader, sink, options, after, found, legacy);
    if (before !== undefined && found.rows === before) return;
    if (legacy) extraFrom = from.cursor;
  } else extraFrom = from.cursor;
  await options.beforeExtra?.();
  const extra = plan.primaryKey.type === 'Int64' ? idsExtraWalk : lookupExtraWalk;
  yield* extra(plan, reader, sink, options, extraFrom);
}

interface Fetched {
  page: ExpectedPage;
  got: Promise<Row[]>;
}

/**
 * Each source page with its target fetch already under way, so the fetch overlaps the consumer's
 * work on the page before (sync: its repair; the keys of two pages never meet). On Int64 keys the
 * fetch also asks for the keys in small gaps between source ids (compare-gaps.ts), from `prev`,
 * the source id before the page, on.
 */
async function* fetched(plan: CollectionPlan, sink: Sink, pages: AsyncIterable<ExpectedPage>, prev: bigint | undefined): AsyncGenerator<Fetched> {
  for await (const page of pages) {
    const keys = [...page.rows.map((r) => r.id), ...fetchable(plan, page.rejected.map((r) => r.id))];
    if (plan.primaryKey.type === 'Int64') {
      const ids = keys.map(int64Id).filter((id): id is bigint => id !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      keys.push(...gapKeys(prev, ids));
      prev = ids.at(-1) ?? prev;
    }
    const got = sink.fetch(plan, keys, { lazyPayload: true });
    // Awaited by the consumer; an early exit (abort, error) must not leave it unhandled.
    got.catch(() => undefined);
    yield { page, got };
  }
}

/** Ids the target may hold: on Int64 keys only integers that fit (a UUID the plan rejected cannot be there). */
function fetchable(plan: CollectionPlan, ids: string[]): Array<bigint | string> {
  if (plan.primaryKey.type !== 'Int64') return ids;
  return ids.filter((id) => /^\d+$/.test(id) && BigInt(id) < INT64_LIMIT).map((id) => BigInt(id));
}

async function* sourceWalk(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: WalkOptions, cursor: string | null, found: { rows: number }, legacy: boolean): AsyncGenerator<CompareStep> {
  const pages = expectedPages(plan, reader, options, cursor === null ? undefined : parseId(cursor));
  // A source phase's cursor is a source id; a merge cursor may be a target key: no gap from it.
  const prev = cursor === null ? BEFORE_FIRST : legacy ? undefined : int64Id(cursor);
  for await (const { page, got } of prefetch(fetched(plan, sink, prefetch(pages), prev))) {
    const byId = new Map<string, Row[]>();
    for (const r of await got) {
      const same = byId.get(String(r.id));
      if (same) same.push(r);
      else byId.set(String(r.id), [r]);
      found.rows++;
    }
    const step = emptyStep('source', page.last === undefined ? cursor : formatId(page.last));
    for (const want of page.rows) {
      const [row, ...more] = byId.get(String(want.id)) ?? [];
      if (row) compareInto(plan, step, want, row);
      else step.missing.push(want);
      // Removing the key removes every copy: sync writes the source row again after (sync.ts).
      for (const x of more) step.extra.push({ id: x.id, detail: SECOND_ROW, rewrite: want });
    }
    step.rejected = page.rejected;
    for (const r of page.rejected) {
      const rows = byId.get(r.id) ?? [];
      rows.forEach((x, i) => step.extra.push({ id: x.id, detail: i === 0 ? LEFT_OUT : SECOND_ROW }));
      byId.delete(r.id);
    }
    // What is left are rows of gap keys (compare-gaps.ts): not in the source.
    for (const want of page.rows) byId.delete(String(want.id));
    for (const rows of byId.values()) rows.forEach((x, i) => step.extra.push({ id: x.id, detail: i === 0 ? NOT_IN_SOURCE : SECOND_ROW }));
    cursor = step.cursor;
    yield step;
  }
}
