/**
 * The compare engine's merge (core/compare.ts): what `verify --full` reports, from two ordered
 * streams of batches, and the memory bound it keeps by construction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeOrdered, OrderError, prefetch, sortedWindows, type MergeEvent } from '../../src/core/compare.ts';

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
