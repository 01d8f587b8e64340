/**
 * `verify --full`: every point of the source against the target, by content, in bounded memory.
 *
 * The source is read in Qdrant's id order (reader.read) and mapped with the same toRows() the
 * migration used, so the payload is compared after the plan's rules (nulls dropped, keys renamed)
 * and points the plan leaves out are expected absent. Each point is compared with compareRow(),
 * the sample check's rules (float32 exact after rounding, float16 within half precision, empty and
 * absent sparse equal).
 *
 * Int64 keys: Qdrant's order and Milvus's pk order are the same (integers ascending), so the
 * source stream and the target's ordered scan (Sink.scan) are merged (core/compare.ts): one pass,
 * one window of each side in memory. VarChar keys hold integers as decimal text, whose text order
 * is not Qdrant's numeric order, so a merge cannot pair them: each source page is fetched from the
 * target by key (missing / different), then the target's keys are scanned (ids only) and looked up
 * in the source by the page (extra). Memory is one page either way.
 */
import type { Sink, SourceReader } from './contracts.ts';
import { mergeOrdered, prefetch } from './compare.ts';
import { systemError } from './errors.ts';
import { parseId } from './ids.ts';
import type { CollectionPlan, PointId, Row } from './types.ts';
import { compareRow, type Mismatch } from './verify.ts';
import { toRows } from '../mapping/rows.ts';

export interface FullCheckOptions {
  /** Source points (and target rows) per request. Default 512. */
  batch?: number;
  /** How many ids of each kind (missing, extra, different) the result lists. Default 20. */
  firstN?: number;
  signal?: AbortSignal;
  /** After each batch: points of the source compared so far. */
  onProgress?: (compared: number) => void;
}

export interface FullCheck {
  /** Source points compared (those the plan leaves out are checked for absence, not counted). */
  compared: number;
  missing: number;
  extra: number;
  different: number;
  /** The first `firstN` of each kind; a different point has one entry per field that differs. */
  first: { missing: Mismatch[]; extra: Mismatch[]; different: Mismatch[] };
}

/** Source ids per existence lookup of the VarChar extra pass. */
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

type Counts = Omit<FullCheck, 'first'> & { first: FullCheck['first']; firstN: number };

export async function checkFull(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: FullCheckOptions = {}): Promise<FullCheck> {
  const acc: Counts = { compared: 0, missing: 0, extra: 0, different: 0, first: { missing: [], extra: [], different: [] }, firstN: options.firstN ?? 20 };
  if (plan.primaryKey.type === 'Int64') await mergePass(plan, reader, sink, options, acc);
  else {
    await fetchPass(plan, reader, sink, options, acc);
    await extraPass(plan, reader, sink, options, acc);
  }
  const { firstN: _, ...result } = acc;
  return result;
}

/** Source pages as the rows the target must hold, plus the ids the plan leaves out. */
async function* expectedPages(plan: CollectionPlan, reader: SourceReader, options: FullCheckOptions): AsyncGenerator<{ rows: Row[]; left: string[] }> {
  for await (const page of reader.read({ collection: plan.source, pageSize: options.batch ?? 512, signal: options.signal })) {
    const { rows, rejected } = toRows(plan, page.points);
    yield { rows, left: rejected.map((r) => r.id) };
  }
}

function note(acc: Counts, kind: 'missing' | 'extra', id: string, detail: string): void {
  acc[kind]++;
  if (acc.first[kind].length < acc.firstN) acc.first[kind].push({ id, what: kind, detail });
}

function compareBoth(plan: CollectionPlan, acc: Counts, want: Row, got: Row): void {
  const diffs = compareRow(plan, want, got);
  if (diffs.length === 0) return;
  if (acc.different < acc.firstN) acc.first.different.push(...diffs);
  acc.different++;
}

async function mergePass(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: FullCheckOptions, acc: Counts): Promise<void> {
  const targetCount = await sink.count(plan.target);
  // Ids the plan left out, of the last few pages (the merge runs up to two pages behind the read).
  const left: Array<Set<string>> = [];
  async function* source(): AsyncGenerator<Row[]> {
    for await (const page of expectedPages(plan, reader, options)) {
      left.push(new Set(page.left));
      if (left.length > 4) left.shift();
      yield page.rows;
    }
  }
  const wasLeftOut = (id: string) => left.some((s) => s.has(id));
  const target = sink.scan(plan, { batch: targetWindow(plan), signal: options.signal });
  let scanned = 0;
  const byKey = (r: Row) => r.id;
  const order = (a: bigint | string, b: bigint | string) => (a < b ? -1 : a > b ? 1 : 0);
  // Both sides read one window ahead, so the source's scroll and the target's query overlap.
  for await (const events of mergeOrdered(prefetch(source()), prefetch(target), { keyOfWant: byKey, keyOfGot: byKey, compare: order })) {
    for (const e of events) {
      if (e.kind === 'missing') note(acc, 'missing', String(e.want.id), `not found in target collection ${plan.target}`);
      else if (e.kind === 'extra') {
        scanned++;
        const id = String(e.got.id);
        note(acc, 'extra', id, e.duplicate ? 'a second row with this primary key' : wasLeftOut(id) ? "left out by the plan's policy, yet present in the target" : 'not in the source');
      } else {
        scanned++;
        compareBoth(plan, acc, e.want, e.got);
      }
      if (e.kind !== 'extra') acc.compared++;
    }
    options.onProgress?.(acc.compared);
  }
  // A target that answered `pk > last LIMIT n` with some n rows instead of the n smallest skipped
  // rows without a trace in the merge: only the count can tell.
  if (scanned < targetCount) {
    throw systemError(
      'TARGET_SCAN_ORDER',
      `The ordered scan of ${plan.target} returned ${scanned} rows but count(*) says ${targetCount}: the target did not answer "pk > last" queries with the smallest keys first (or rows were added while verifying).`,
    );
  }
}

async function fetchPass(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: FullCheckOptions, acc: Counts): Promise<void> {
  for await (const page of prefetch(expectedPages(plan, reader, options))) {
    const got = await sink.fetch(plan, [...page.rows.map((r) => r.id), ...page.left]);
    const byId = new Map(got.map((r) => [String(r.id), r]));
    for (const want of page.rows) {
      const row = byId.get(String(want.id));
      if (row) compareBoth(plan, acc, want, row);
      else note(acc, 'missing', String(want.id), `not found in target collection ${plan.target}`);
      acc.compared++;
    }
    for (const id of page.left) if (byId.has(id)) note(acc, 'extra', id, "left out by the plan's policy, yet present in the target");
    options.onProgress?.(acc.compared);
  }
}

/** Target keys that the source lacks: the target's ids in windows, each window looked up at the source. */
async function extraPass(plan: CollectionPlan, reader: SourceReader, sink: Sink, options: FullCheckOptions, acc: Counts): Promise<void> {
  for await (const window of sink.scan(plan, { batch: MAX_WINDOW, idsOnly: true, signal: options.signal })) {
    const asPoint = new Map<string, PointId>();
    for (const r of window) {
      const text = String(r.id);
      try {
        asPoint.set(text, parseId(text));
      } catch {
        note(acc, 'extra', text, 'not a Qdrant point id');
      }
    }
    // Retrieve brings vectors too (the contract has no ids-only lookup): small requests keep each
    // answer a few MB whatever the window.
    const ids = [...asPoint.values()];
    const present = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      for (const p of await reader.retrieve(plan.source, ids.slice(i, i + LOOKUP_CHUNK))) present.add(String(p.id));
    }
    for (const [text, id] of asPoint) if (!present.has(String(id))) note(acc, 'extra', text, 'not in the source');
  }
}
