/**
 * The heap bound keeps a floor of slack (src/core/heap-growth.ts): with a live heap of tens of MB,
 * 50 % of it left V8 marking all the time (a full GC every few MB promoted, most of a migrate's
 * CPU); with the floor a small live heap gets more room, a large one still 50 %, and the growth
 * follows the live heap after each full GC.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { boundHeapGrowth, growingPercentFor, heapGrowingPercent, HEAP_GROWING_PERCENT, MIN_SLACK_BYTES } from '../../src/core/heap-growth.ts';

const MB = 2 ** 20;

test('the growth gives at least the slack floor, and 50 % of a large live heap', () => {
  assert.equal(growingPercentFor(400 * MB), HEAP_GROWING_PERCENT);
  assert.equal(growingPercentFor(2 * MIN_SLACK_BYTES), HEAP_GROWING_PERCENT);
  const p = growingPercentFor(46 * MB);
  assert.ok((46 * MB * p) / 100 >= MIN_SLACK_BYTES, `${p} % of 46 MB is under the floor`);
  // A tiny heap does not get V8's largest factors.
  assert.ok(growingPercentFor(MB) <= 150);
});

test('after each full GC the growth follows what survived it', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // The observer hears of a GC on a later turn of the event loop.
  const fullGc = async () => {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  };
  assert.equal(boundHeapGrowth([], ''), true);
  let live: number[] | undefined = new Array(24 * 2 ** 20).fill(0.5); // ~192 MB on the heap
  await fullGc();
  assert.equal(heapGrowingPercent(), HEAP_GROWING_PERCENT, 'a large live heap grows by 50 %');
  assert.equal(live.length, 24 * 2 ** 20);
  live = undefined;
  await fullGc();
  assert.ok(heapGrowingPercent() > HEAP_GROWING_PERCENT, `a small live heap gets the floor (${heapGrowingPercent()} %)`);
});
