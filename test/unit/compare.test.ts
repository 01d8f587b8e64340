/**
 * The compare engine's merge (core/compare.ts): what `verify --full` reports, from two ordered
 * streams of batches, and the memory bound it keeps by construction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeOrdered, OrderError, prefetch, sortedWindows, type MergeEvent } from '../../src/core/compare.ts';
import { walkCollection } from '../../src/core/compare-walk.ts';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { compareIds } from '../../src/core/ids.ts';
import type { CollectionPlan, Point, Row } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { collection, MILVUS_26 } from './mapping-fixtures.ts';

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

describe('walkCollection, Int64 keys: each range of source pages bounds its target windows', () => {
  const plan = planCollection(collection(), MILVUS_26).plan;
  const V = [0.5, 0.5, 0.5, 0.5];
  const point = (id: bigint | string): Point => ({ id, vectors: { '': V }, payload: { n: String(id) } });
  const row = (id: bigint, n = String(id)): Row => ({ id, vectors: { [plan.vectors[0]!.field]: V }, dynamic: { n } });
  const UUID = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';
  const source = [...[10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((n) => point(BigInt(n))), point(UUID)];
  // -5 below the first id, 15 and 41-44 between ids, 150 and 160 past the last; 40 different, 80 missing.
  const target = [-5, 10, 15, 20, 30, 40, 41, 42, 43, 44, 50, 60, 70, 90, 100, 150, 160].map((n) => row(BigInt(n), n === 40 ? 'changed' : String(n)));

  /** A source read in pages, and a target whose scan answers as Milvus does: `after < pk <= upTo`, `batch` rows a query, in key order. */
  function sides(options: { ignoreUpTo?: boolean } = {}) {
    const queries: string[] = [];
    const reader = {
      async *read(o: { pageSize: number; from?: bigint | string }) {
        const points = source.filter((p) => o.from === undefined || compareIds(p.id, o.from) >= 0);
        for (let i = 0; i < points.length; i += o.pageSize) yield { points: points.slice(i, i + o.pageSize), next: null };
      },
    } as unknown as SourceReader;
    const sink = {
      count: async () => target.length,
      async *scan(_plan: CollectionPlan, o: { batch: number; after?: bigint; upTo?: bigint }) {
        for (let after = o.after; ; ) {
          queries.push(`${after ?? ''}..${o.upTo ?? ''}`);
          const w = target.filter((r) => (after === undefined || (r.id as bigint) > after) && (options.ignoreUpTo || o.upTo === undefined || (r.id as bigint) <= o.upTo)).slice(0, o.batch);
          if (w.length === 0) return;
          yield w;
          if (o.upTo !== undefined && w.length < o.batch) return;
          after = w.at(-1)!.id as bigint;
        }
      },
    } as unknown as Sink;
    return { reader, sink, queries };
  }

  async function walk(s: ReturnType<typeof sides>, from?: string) {
    const found = { missing: [] as string[], extra: [] as string[], different: [] as string[], equal: 0, rejected: [] as string[], cursors: [] as Array<string | null> };
    // Pages of 2 points, windows of 4 rows: ranges (..40], (40..80], (80..100], then the tail (100..).
    for await (const step of walkCollection(plan, s.reader, s.sink, { batch: 2, window: 4, ...(from && { from: { phase: 'merge', cursor: from } }) })) {
      found.missing.push(...step.missing.map((r) => String(r.id)));
      found.extra.push(...step.extra.map((x) => String(x.id)));
      found.different.push(...step.different.map((d) => String(d.want.id)));
      found.rejected.push(...step.rejected.map((r) => r.id));
      found.equal += step.equal;
      found.cursors.push(step.cursor);
    }
    return found;
  }

  it('finds extras below, between and past the source ids, with a window per range (more when a range holds more rows)', async () => {
    const s = sides();
    const found = await walk(s);
    // (in any order: the next range's first window is read ahead while this one is compared)
    assert.deepEqual(s.queries.sort(), ['..40', '20..40', '40..80', '44..80', '80..100', '100..', '160..'].sort());
    assert.deepEqual([found.missing, found.different, found.equal, found.rejected], [['80'], ['40'], 8, [UUID]]);
    assert.deepEqual(found.extra, ['-5', '15', '41', '42', '43', '44', '150', '160']);
    // Each range's last step resumes past its bound; the walk ends at the target's last key.
    for (const bound of ['40', '80', '100']) assert.ok(found.cursors.includes(bound), `a step ends at ${bound}: ${found.cursors.join(' ')}`);
    assert.equal(found.cursors.at(-1), '160');
  });

  it('resumed past a range bound, it reads only the rest, each finding once', async () => {
    const s = sides();
    const found = await walk(s, '40');
    // The read starts at the cursor (inclusive, then left out): pages [50], [60 70], [80 90] make the first range.
    assert.deepEqual(s.queries.sort(), ['40..90', '44..90', '90..90', '90..100', '100..', '160..'].sort());
    assert.deepEqual([found.missing, found.different, found.equal, found.extra, found.rejected], [['80'], [], 5, ['41', '42', '43', '44', '150', '160'], [UUID]]);
  });

  it('a target that ignores the upper bound is caught by the order check, never trusted', async () => {
    await assert.rejects(walk(sides({ ignoreUpTo: true })), OrderError);
  });
});
