/**
 * The pieces between the pipeline's stages: a range's checkpoint only moves over pages written in
 * order, whatever order the writers finish them in; the bounded queue holds at most its capacity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RangeCheckpoint } from '../../src/core/pipeline.ts';
import { BoundedQueue } from '../../src/core/queue.ts';
import { RangeProgress } from '../../src/core/range-progress.ts';
import { rangesFromBoundaries } from '../../src/core/ranges.ts';

test('a checkpoint moves only over a contiguous prefix of written pages, and saves in order', async () => {
  const saves: RangeCheckpoint[] = [];
  const range = rangesFromBoundaries([])[0]!;
  const progress = new RangeProgress(range, (cp) => void saves.push(cp));
  const seqs = [progress.nextSeq(), progress.nextSeq(), progress.nextSeq()];
  const commits: number[] = [];
  const onCommit = (p: { seq: number }) => commits.push(p.seq);

  await progress.complete({ seq: seqs[2]!, written: 5, rejected: 0, next: null }, onCommit);
  await progress.complete({ seq: seqs[1]!, written: 4, rejected: 1, next: 30n }, onCommit);
  assert.equal(saves.length, 0, 'page 0 is not written yet: nothing may be saved');
  assert.equal(range.cursor, null);

  await progress.complete({ seq: seqs[0]!, written: 3, rejected: 0, next: 20n }, onCommit);
  assert.deepEqual(commits, [0, 1, 2]);
  assert.equal(saves.length, 1, 'one save covers the three pages');
  assert.deepEqual(saves[0], { ...range, written: 12, rejected: 1, cursor: null, done: true });
});

test('a failing save rejects the writer that waits for it, and every later one', async () => {
  const progress = new RangeProgress(rangesFromBoundaries([])[0]!, () => {
    throw new Error('disk full');
  });
  await assert.rejects(progress.complete({ seq: progress.nextSeq(), written: 1, rejected: 0, next: 5n }, () => undefined), /disk full/);
  await assert.rejects(progress.flushed(), /disk full/);
});

test('the bounded queue makes producers wait when full and hands items over in order', async () => {
  const q = new BoundedQueue<number>(2);
  const puts = [q.put(1), q.put(2), q.put(3)];
  let third = false;
  void puts[2]!.then(() => (third = true));
  await Promise.resolve();
  assert.equal(q.size, 2);
  assert.equal(third, false, 'the third put waits for room');
  assert.equal(await q.take(), 1);
  await puts[2];
  assert.equal(third, true);
  q.close();
  assert.deepEqual([await q.take(), await q.take(), await q.take()], [2, 3, undefined]);
  assert.equal(await q.put(4), false, 'no puts after close');
});

test('abort drops what is queued and releases waiting producers and consumers', async () => {
  const q = new BoundedQueue<number>(1);
  await q.put(1);
  const waiting = q.put(2);
  q.abort();
  assert.equal(await waiting, false);
  assert.equal(await q.take(), undefined);
});

test('with refillAt, producers that found the queue full wait until it drained to that many, then go on together, in order', async () => {
  const q = new BoundedQueue<number>(4, 1);
  for (const n of [1, 2, 3, 4]) await q.put(n);
  const done: number[] = [];
  const later = [5, 6, 7].map((n) => q.put(n).then((ok) => (done.push(n), ok)));
  const settle = () => new Promise((r) => setImmediate(r));
  await settle();
  assert.deepEqual(done, [], 'full: every producer waits');
  assert.equal(await q.take(), 1);
  assert.equal(await q.take(), 2);
  await settle();
  assert.deepEqual(done, [], 'two items left: still above refillAt, the producers keep waiting');
  assert.equal(await q.take(), 3);
  await settle();
  assert.deepEqual(done, [5, 6, 7], 'drained to one: all of them go on at once');
  assert.deepEqual(await Promise.all(later), [true, true, true]);
  assert.equal(q.size, 4);
  assert.deepEqual([await q.take(), await q.take(), await q.take(), await q.take()], [4, 5, 6, 7]);
  assert.throws(() => new BoundedQueue<number>(2, 2), /refillAt/);
});
