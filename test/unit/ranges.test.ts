/**
 * Id ranges: cutting the id space for parallel readers, and making saved ranges whole on resume.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INT64_LIMIT, UINT64_MAX } from '../../src/core/ids.ts';
import type { RangeCheckpoint } from '../../src/core/pipeline.ts';
import { completeRanges, cutPositions, rangesFromBoundaries } from '../../src/core/ranges.ts';

const edges = (ranges: RangeCheckpoint[]) => ranges.map((r) => [r.from, r.to]);

test('boundaries cut the id space into contiguous ranges, ints before UUIDs, whatever order they come in', () => {
  const uuid = '0a000000-0000-0000-0000-000000000000';
  const ranges = rangesFromBoundaries([uuid, 500n, INT64_LIMIT + 1n, 20n, 500n]);
  assert.deepEqual(edges(ranges), [
    [null, '20'],
    ['20', '500'],
    ['500', (INT64_LIMIT + 1n).toString()],
    [(INT64_LIMIT + 1n).toString(), uuid],
    [uuid, null],
  ]);
  assert.deepEqual(ranges.map((r) => r.index), [0, 1, 2, 3, 4]);
  assert.ok(ranges.every((r) => r.cursor === null && !r.done && r.written === 0 && r.rejected === 0));
});

test('no boundaries: one range over everything (empty and tiny collections)', () => {
  assert.deepEqual(edges(rangesFromBoundaries([])), [[null, null]]);
});

test('cut positions split the count evenly and never make ranges smaller than the minimum', () => {
  assert.deepEqual(cutPositions(1000, 4, 100), [250, 500, 750]);
  assert.deepEqual(cutPositions(1001, 3, 1), [333, 667]);
  assert.deepEqual(cutPositions(350, 4, 100), [116, 233], 'only three ranges of >= 100 fit');
  assert.deepEqual(cutPositions(99, 4, 100), [], 'tiny: one reader');
  assert.deepEqual(cutPositions(0, 4, 100), [], 'empty');
  assert.deepEqual(cutPositions(10, 1, 1), []);
});

test('a complete saved split comes back as it was, in id order', () => {
  const saved = rangesFromBoundaries([10n, 20n]).map((r) => ({ ...r, written: r.index * 7, cursor: r.index === 1 ? '15' : null }));
  assert.deepEqual(completeRanges([saved[2]!, saved[0]!, saved[1]!]), saved);
});

test('a prefix of a split (crash during the first saves) is completed by one range to the end', () => {
  const split = rangesFromBoundaries([10n, 20n, UINT64_MAX]);
  const done = completeRanges(split.slice(0, 2));
  assert.deepEqual(edges(done), [[null, '10'], ['10', '20'], ['20', null]]);
  assert.equal(done[2]!.index, 2, 'the fill-in gets a fresh index');
  assert.equal(done[2]!.cursor, null);
});

test('gaps at the start and in the middle are filled with fresh ranges', () => {
  const split = rangesFromBoundaries([10n, 20n, 30n]); // [null,10) [10,20) [20,30) [30,null)
  const done = completeRanges([split[1]!, split[3]!]);
  assert.deepEqual(edges(done), [[null, '10'], ['10', '20'], ['20', '30'], ['30', null]]);
  assert.deepEqual(done.map((r) => r.index), [4, 1, 5, 3]);
});

test('overlapping saved ranges (two different splits) are refused', () => {
  const a = rangesFromBoundaries([10n]);
  const b = rangesFromBoundaries([15n]).map((r) => ({ ...r, index: r.index + 2 }));
  assert.throws(() => completeRanges([...a, ...b]), { code: 'CHECKPOINT_RANGES_OVERLAP' });
  assert.throws(() => completeRanges([a[0]!, { ...a[0]!, index: 9 }]), { code: 'CHECKPOINT_RANGES_OVERLAP' });
});

test('nothing saved: the whole id space', () => {
  assert.deepEqual(edges(completeRanges([])), [[null, null]]);
});
