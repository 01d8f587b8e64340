/**
 * The compare engine's merge (core/compare.ts): what `verify --full` reports, from two ordered
 * streams of batches, and the memory bound it keeps by construction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeOrdered, OrderError, prefetch, sortedWindows, type MergeEvent } from '../../src/core/compare.ts';
import { walkCollection, type WalkPosition } from '../../src/core/compare-walk.ts';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { compareIds } from '../../src/core/ids.ts';
import type { CollectionPlan, Point, Row } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { collection, LITE } from './mapping-fixtures.ts';

interface Item {
  k: number;
  v: string;
}

async function* batches<T>(...bs: T[][]): AsyncGenerator<T[]> {
  for (const b of bs) yield b;
}

const sides = { keyOfWant: (w: Item) => w.k, keyOfGot: (g: Item) => g.k, compare: (a: number, b: number) => a - b };

function items(keys: number[], v = 'x'): Item[] {
  return keys.map((k) => ({ k, v }));
}

/** The events as `kind:key` (`dup` for a duplicate extra), with value inequality marked `both!`. */
async function outcome(src: AsyncIterable<Item[]>, tgt: AsyncIterable<Item[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const events of mergeOrdered(src, tgt, sides)) out.push(...events.map(show));
  return out;
}

function show(e: MergeEvent<Item, Item>): string {
  if (e.kind === 'missing') return `missing:${e.want.k}`;
  if (e.kind === 'extra') return `${e.duplicate ? 'dup' : 'extra'}:${e.got.k}`;
  return `${e.want.v === e.got.v ? 'both' : 'both!'}:${e.want.k}`;
}

describe('mergeOrdered', () => {
  it('equal streams pair every key, whatever the batch boundaries on each side', async () => {
    const got = await outcome(batches(items([1, 2, 3]), items([4, 5])), batches(items([1]), items([2, 3, 4, 5])));
    assert.deepEqual(got, ['both:1', 'both:2', 'both:3', 'both:4', 'both:5']);
  });

  it('missing, extra and different points, each by key, in key order', async () => {
    const src = batches([...items([1, 2]), { k: 3, v: 'new' }], items([5, 8]));
    const tgt = batches(items([2, 3, 4]), items([5, 6, 7, 9]));
    assert.deepEqual(await outcome(src, tgt), ['missing:1', 'both:2', 'both!:3', 'extra:4', 'both:5', 'extra:6', 'extra:7', 'missing:8', 'extra:9']);
  });

  it('one side empty: everything missing, or everything extra', async () => {
    assert.deepEqual(await outcome(batches(items([1, 2])), batches()), ['missing:1', 'missing:2']);
    assert.deepEqual(await outcome(batches(), batches([], items([3]))), ['extra:3']);
    assert.deepEqual(await outcome(batches(), batches()), []);
  });

  it('a key repeated on the target (real Milvus keeps duplicate inserts) is an extra duplicate', async () => {
    const got = await outcome(batches(items([1, 2])), batches(items([1, 1]), items([1, 2, 3, 3])));
    assert.deepEqual(got, ['both:1', 'dup:1', 'dup:1', 'both:2', 'extra:3', 'dup:3']);
  });

  it('a stream that goes backwards throws OrderError naming the side, never a wrong report', async () => {
    await assert.rejects(outcome(batches(items([1, 3]), items([2])), batches(items([1, 2, 3]))), (e: unknown) => e instanceof OrderError && e.side === 'source');
    await assert.rejects(outcome(batches(items([1, 2, 3])), batches(items([2, 1]))), (e: unknown) => e instanceof OrderError && e.side === 'target');
    // The source never repeats a key (Qdrant ids are unique).
    await assert.rejects(outcome(batches(items([1, 1])), batches()), OrderError);
  });

  it('holds at most one batch per side: it never reads a side ahead of the batch it is merging', async () => {
    let srcRead = 0;
    let tgtRead = 0;
    async function* counted(n: number, from: number, onRead: () => void): AsyncGenerator<Item[]> {
      for (let b = 0; b < n; b++) {
        onRead();
        yield items([from + b * 10, from + b * 10 + 5]);
      }
    }
    let seen = 0;
    for await (const events of mergeOrdered(counted(1000, 0, () => srcRead++), counted(1000, 0, () => tgtRead++), sides)) {
      seen += events.length;
      // Every event is a pair; batches hold 2 keys: after `merged` pairs each side has used
      // floor(merged / 2) batches and may hold the next one, never more.
      const merged = seen;
      assert.ok(srcRead <= Math.floor(merged / 2) + 1 && tgtRead <= Math.floor(merged / 2) + 1, `read ${srcRead}/${tgtRead} batches after ${merged} pairs`);
    }
    assert.equal(seen, 2000);
  });
});

describe('sortedWindows (the fallback for a target that returns a window unsorted)', () => {
  it('sorts within each window, so complete-but-unsorted windows merge correctly', async () => {
    const tgt = sortedWindows(batches(items([3, 1, 2]), items([6, 4, 5])), (i) => i.k, (a, b) => a - b);
    assert.deepEqual(await outcome(batches(items([1, 2, 3, 4, 5, 6])), tgt), ['both:1', 'both:2', 'both:3', 'both:4', 'both:5', 'both:6']);
  });

  it('windows that overlap (a target that ignored "smallest keys first") still throw OrderError', async () => {
    const tgt = sortedWindows(batches(items([5, 1]), items([3, 9])), (i) => i.k, (a, b) => a - b);
    await assert.rejects(outcome(batches(items([1, 3, 5, 9])), tgt), OrderError);
  });
});

describe('prefetch', () => {
  it('passes every item through in order and reads only one ahead', async () => {
    let produced = 0;
    async function* gen(): AsyncGenerator<number> {
      for (let i = 0; i < 5; i++) {
        produced++;
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const x of prefetch(gen())) {
      seen.push(x);
      assert.ok(produced <= x + 2, `produced ${produced} while consuming ${x}`);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  });

  it('a failure of the read-ahead surfaces at the consumer, and an early exit closes the producer', async () => {
    let closed = false;
    async function* failing(): AsyncGenerator<number> {
      try {
        yield 1;
        throw new Error('boom');
      } finally {
        closed = true;
      }
    }
    await assert.rejects(async () => {
      for await (const _ of prefetch(failing())) void _;
    }, /boom/);
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    closed = false;
    for await (const x of prefetch(endless())) if (x === 3) break;
    assert.equal(closed, true);
  });
});

describe('walkCollection (the lookup walk): source pages fetched by key, then target keys outside the source only when the counts say so', () => {
  const plan = planCollection(collection(), LITE).plan;
  const V = [0.5, 0.5, 0.5, 0.5];
  const point = (id: bigint | string, vectors: Point['vectors'] = { '': V }): Point => ({ id, vectors, payload: { n: String(id) } });
  const row = (id: bigint, n = String(id)): Row => ({ id, vectors: { [plan.vectors[0]!.field]: V }, dynamic: { n } });
  const UUID = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';
  // 60 lacks its vector: the plan leaves it out (MISSING_VECTOR); the UUID cannot be an Int64 key.
  const source = [...[10, 20, 30, 40, 50, 70, 80, 90, 100].map((n) => point(BigInt(n))), point(60n, {}), point(UUID)].sort((a, b) => compareIds(a.id, b.id));
  const copy = source.filter((p) => typeof p.id === 'bigint' && p.id !== 60n).map((p) => row(p.id as bigint));

  /** A source read in pages, and a target answering as Milvus does: `pk in [...]` with every copy of a key, `pk > after LIMIT batch` windows in key order. */
  function sides(target: Row[], options: { overlap?: boolean; skip?: boolean } = {}, src = source) {
    const calls = { scans: [] as string[], idsOnlyReads: 0, fetched: 0 };
    const reader = {
      async *read(o: { pageSize: number; from?: bigint | string; idsOnly?: boolean }) {
        if (o.idsOnly) calls.idsOnlyReads++;
        const points = src.filter((p) => o.from === undefined || compareIds(p.id, o.from) >= 0);
        for (let i = 0; i < points.length; i += o.pageSize) yield { points: points.slice(i, i + o.pageSize), next: null };
      },
      retrieve: async (_c: string, ids: Array<bigint | string>) => src.filter((p) => ids.includes(p.id)),
    } as unknown as SourceReader;
    const sorted = [...target].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const sink = {
      count: async () => target.length,
      fetch: async (_plan: CollectionPlan, ids: Array<bigint | string>) => {
        calls.fetched += ids.length;
        return target.filter((r) => ids.some((id) => id === r.id));
      },
      async *scan(_plan: CollectionPlan, o: { batch: number; after?: bigint; idsOnly?: boolean }) {
        assert.equal(o.idsOnly, true, 'the extra phase reads ids only');
        for (let after = o.after; ; ) {
          calls.scans.push(String(after ?? ''));
          // `overlap`: a target that ignores `pk > after` past its first window; `skip`: one that answers some n rows, not the n smallest.
          const w = sorted.filter((r) => after === undefined || options.overlap || (r.id as bigint) > after).slice(options.skip ? 1 : 0).slice(0, o.batch);
          if (w.length === 0 || (options.overlap && calls.scans.length > 3)) return;
          yield w.map((r) => ({ ...r, vectors: {}, dynamic: {} }));
          after = w.at(-1)!.id as bigint;
        }
      },
    } as unknown as Sink;
    return { reader, sink, calls };
  }

  async function walk(s: ReturnType<typeof sides>, from?: WalkPosition) {
    const found = { missing: [] as string[], extra: [] as string[], different: [] as string[], equal: 0, rejected: [] as string[], rewrite: [] as string[], phases: new Set<string>(), last: null as WalkPosition | null };
    // Pages of 3 points, target windows of 4 keys.
    for await (const step of walkCollection(plan, s.reader, s.sink, { batch: 3, window: 4, ...(from && { from }) })) {
      found.missing.push(...step.missing.map((r) => String(r.id)));
      found.extra.push(...step.extra.map((x) => `${x.id}${x.detail.startsWith('a second') ? '(2nd)' : x.detail.startsWith('left out') ? '(left out)' : ''}`));
      found.rewrite.push(...step.extra.flatMap((x) => (x.rewrite ? [String(x.rewrite.id)] : [])));
      found.different.push(...step.different.map((d) => String(d.want.id)));
      found.rejected.push(...step.rejected.map((r) => r.id));
      found.equal += step.equal;
      found.phases.add(step.phase);
      found.last = { phase: step.phase, cursor: step.cursor };
    }
    return found;
  }

  it('a target holding exactly the source: the source phase only (F == count(*)), no scan of the target', async () => {
    const s = sides(copy);
    const found = await walk(s);
    assert.deepEqual([found.missing, found.different, found.extra, found.equal, found.rejected], [[], [], [], 9, ['60', UUID]]);
    assert.deepEqual([[...found.phases], s.calls.scans, s.calls.idsOnlyReads], [['source'], [], 0]);
  });

  it('extras below, between and past the source ids, a second row of a key, a left-out row: each reported once, the duplicate with its source row to write again', async () => {
    const target = [...copy.filter((r) => r.id !== 80n).map((r) => (r.id === 40n ? row(40n, 'changed') : r)), row(30n), row(60n), ...[-5n, 15n, 41n, 42n, 150n, 160n].map((n) => row(n))];
    const s = sides(target);
    const found = await walk(s);
    assert.deepEqual([found.missing, found.different, found.equal], [['80'], ['40'], 7]);
    assert.deepEqual(found.extra, ['30(2nd)', '60(left out)', '-5', '15', '41', '42', '150', '160']);
    assert.deepEqual(found.rewrite, ['30']);
    assert.deepEqual([[...found.phases], s.calls.idsOnlyReads, s.calls.scans.length > 0], [['source', 'extra'], 1, true]);
    // The extra phase ends at the target's last key.
    assert.deepEqual(found.last, { phase: 'extra', cursor: '160' });
  });

  it('resumed, it cannot trust the counts: the extra phase runs even on an exact copy', async () => {
    const s = sides(copy);
    const found = await walk(s, { phase: 'source', cursor: '40' });
    assert.deepEqual([found.equal, found.extra, [...found.phases]], [5, [], ['source', 'extra']]);
  });

  it('resumed in the extra phase, or from the Int64 range merge of the version before: only what lies past the cursor', async () => {
    const target = [...copy, ...[-5n, 15n, 41n, 150n].map((n) => row(n))];
    const extra = await walk(sides(target), { phase: 'extra', cursor: '41' });
    assert.deepEqual([extra.equal, extra.extra], [0, ['150']]);
    // `merge` past 40: source points after 40 compared, target keys after 40 looked for.
    const merge = await walk(sides(target), { phase: 'merge', cursor: '40' });
    assert.deepEqual([merge.equal, merge.extra, merge.rejected], [5, ['41', '150'], ['60', UUID]]);
    // A merge cursor below every Qdrant id (a target key): the whole source, target keys after it.
    const low = await walk(sides(target), { phase: 'merge', cursor: '-5' });
    assert.deepEqual([low.equal, low.extra], [9, ['15', '41', '150']]);
  });

  it('rows left by points deleted from the source in small gaps of its ids: found by the source phase, so no target scan; each reported once', async () => {
    // 1, 4, 6, 8 and 9 deleted from the source (below the first id, and gaps 3..5, 5..7 across a
    // page boundary, 7..10); 15 sits in the wide gap 12..20.
    const dense = [2, 3, 5, 7, 10, 11, 12, 20].map((n) => point(BigInt(n)));
    const rows = (ns: number[]) => ns.map((n) => row(BigInt(n)));
    const left = rows([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20]);
    const s = sides(left, {}, dense);
    const found = await walk(s);
    assert.deepEqual([found.missing, found.different, found.equal, found.extra], [[], [], 8, ['1', '4', '6', '8', '9']]);
    assert.deepEqual([[...found.phases], s.calls.scans, s.calls.idsOnlyReads], [['source'], [], 0]);
    // Keys looked up: the 8 source ids and the 6 gap keys (0 included), not the wide gap's 7.
    assert.equal(s.calls.fetched, 14);
    // A row in the wide gap too: the extra phase runs and reports only that one.
    const wide = await walk(sides([...left, ...rows([15])], {}, dense));
    assert.deepEqual([wide.extra, [...wide.phases]], [['1', '4', '6', '8', '9', '15'], ['source', 'extra']]);
    // Resumed in the extra phase, at a source id or inside a gap: the gaps' rows were the source phase's.
    for (const cursor of ['0', '5', '8']) assert.deepEqual((await walk(sides([...left, ...rows([15])], {}, dense), { phase: 'extra', cursor })).extra, ['15']);
  });

  it('a target scan out of order is caught, never trusted: windows going backwards (OrderError), rows skipped (count(*))', async () => {
    const target = [...copy, row(-5n)];
    await assert.rejects(walk(sides(target, { overlap: true })), OrderError);
    await assert.rejects(walk(sides(target, { skip: true })), (e: unknown) => (e as { code?: string }).code === 'TARGET_SCAN_ORDER');
  });
});
