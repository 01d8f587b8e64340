/**
 * Range boundaries cut from a random sample of ids (the split of large collections): the sample is
 * put in Qdrant's id order (integers ascending, then UUIDs), duplicates dropped, and cut at its
 * quantiles; whatever it holds, the ranges cover the whole id space, and a sample of the default
 * size keeps the ranges within a few % of equal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareIds, formatId, INT64_LIMIT, UINT64_MAX } from '../../src/core/ids.ts';
import {
  boundariesFromSample,
  cutPositions,
  rangeCount,
  rangesFromBoundaries,
  SAMPLE_MAX,
  SAMPLE_PER_RANGE,
  sampleSize,
} from '../../src/core/ranges.ts';
import type { PointId } from '../../src/core/types.ts';
import { mulberry32 } from '../../testkit/datasets/prng.ts';

const uuid = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

/** Which range (by position) an id falls in: the ranges are [null, b0), [b0, b1), … [bn, null). */
function rangeOf(boundaries: readonly PointId[], id: PointId): number {
  let i = 0;
  while (i < boundaries.length && compareIds(id, boundaries[i]!) >= 0) i++;
  return i;
}

test('mixed ids: boundaries come out in Qdrant order (ints ascending, ids above 2^63, then UUIDs)', () => {
  const sample: PointId[] = [uuid(9), 7n, UINT64_MAX, uuid(3), INT64_LIMIT, 100n, uuid(5), 2n, INT64_LIMIT + 5n, uuid(1), 50n, 3n];
  // 12 distinct ids, 4 parts: the ids at sorted positions 3, 6 and 9.
  const sorted = [...sample].sort(compareIds);
  assert.deepEqual(sorted.map(formatId), ['2', '3', '7', '50', '100', String(INT64_LIMIT), String(INT64_LIMIT + 5n), String(UINT64_MAX), uuid(1), uuid(3), uuid(5), uuid(9)]);
  assert.deepEqual(boundariesFromSample(sample, 4).map(formatId), ['50', String(INT64_LIMIT + 5n), uuid(3)]);
});

test('duplicates in the sample are dropped before the quantiles are taken', () => {
  const sample: PointId[] = [5n, 5n, 5n, 5n, 9n, 9n, 1n, 12n, uuid(2), uuid(2)];
  // Distinct: 1, 5, 9, 12, uuid(2) → 2 parts cut at position floor(5/2) = 2.
  assert.deepEqual(boundariesFromSample(sample, 2), [9n]);
  assert.deepEqual(boundariesFromSample([7n, 7n, 7n], 4), [], 'one distinct id: one range');
});

test('fewer sampled ids than ranges: fewer boundaries, still a cover of the whole id space', () => {
  assert.deepEqual(boundariesFromSample([7n, 3n], 4), [7n]);
  assert.deepEqual(boundariesFromSample([], 4), []);
  assert.deepEqual(boundariesFromSample([uuid(1)], 8), []);
  const ranges = rangesFromBoundaries(boundariesFromSample([7n, 3n], 4));
  assert.deepEqual(ranges.map((r) => [r.from, r.to]), [[null, '7'], ['7', null]]);
});

test('every boundary set makes ranges that put each id in exactly one range (any sample is safe)', () => {
  const random = mulberry32(7);
  const universe: PointId[] = [
    ...Array.from({ length: 300 }, (_, i) => BigInt(i * 13)),
    ...Array.from({ length: 50 }, (_, i) => INT64_LIMIT + BigInt(i) * 977n),
    UINT64_MAX,
    ...Array.from({ length: 200 }, (_, i) => uuid(i * 7919)),
  ];
  for (let trial = 0; trial < 50; trial++) {
    const sample = Array.from({ length: Math.floor(random() * 40) }, () => universe[Math.floor(random() * universe.length)]!);
    const parts = 1 + Math.floor(random() * 8);
    const cuts = boundariesFromSample(sample, parts);
    assert.ok(cuts.length <= parts - 1);
    const ranges = rangesFromBoundaries(cuts);
    assert.equal(ranges[0]!.from, null);
    assert.equal(ranges.at(-1)!.to, null);
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]!.from, ranges[i - 1]!.to, 'contiguous');
    for (let i = 1; i < cuts.length; i++) assert.ok(compareIds(cuts[i - 1]!, cuts[i]!) < 0, 'strictly ascending');
  }
});

test('a default-size sample of 1M ids cuts 4 and 16 ranges within 6% of equal (max/mean reported)', (t) => {
  const random = mulberry32(12);
  // Ids with gaps and a UUID tail: 900k integers (some above 2^63), then 100k UUIDs.
  const ids: PointId[] = Array.from({ length: 1_000_000 }, (_, i) =>
    i < 800_000 ? BigInt(i * 3) : i < 900_000 ? INT64_LIMIT + BigInt(i) : uuid(i * 41),
  );
  const sorted = [...ids].sort(compareIds);
  for (const parts of [4, 16]) {
    const sample = Array.from({ length: sampleSize(parts) }, () => ids[Math.floor(random() * ids.length)]!);
    const cuts = boundariesFromSample(sample, parts);
    assert.equal(cuts.length, parts - 1);
    const sizes = new Array<number>(parts).fill(0);
    for (const id of sorted) sizes[rangeOf(cuts, id)]!++;
    assert.equal(sizes.reduce((a, b) => a + b), ids.length, 'every id in one range');
    const ratio = Math.max(...sizes) / (ids.length / parts);
    t.diagnostic(`${parts} ranges from ${sample.length} sampled ids: sizes ${sizes.join(', ')}; max/mean ${ratio.toFixed(3)}`);
    assert.ok(ratio < 1.06, `max/mean ${ratio}`);
  }
});

test('sample size grows with the ranges and is bounded; range count matches the scan split', () => {
  assert.equal(sampleSize(4), 4 * SAMPLE_PER_RANGE);
  assert.equal(sampleSize(1_000), SAMPLE_MAX);
  assert.equal(sampleSize(0), SAMPLE_PER_RANGE);
  for (const [total, parts, min] of [[1000, 4, 100], [350, 4, 100], [99, 4, 100], [0, 4, 100], [10, 1, 1]] as const) {
    assert.equal(rangeCount(total, parts, min), cutPositions(total, parts, min).length + 1);
  }
});
