/** The progress line `verify --full` prints on stderr: counts, percentage, rate and ETA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine } from '../../src/cli/commands/verify-full.ts';

test('rate from elapsed time, ETA from what is left', () => {
  assert.equal(progressLine('books', 40_000, 100_000, 2_000), 'verify --full books: 40,000 / 100,000 points (40%), 20,000 pts/s, ETA 3s');
});

test('no ETA once everything is compared, and never above 100% when the source grew', () => {
  assert.equal(progressLine('b', 10, 10, 1_000), 'verify --full b: 10 / 10 points (100%), 10 pts/s');
  assert.equal(progressLine('b', 12, 10, 1_000), 'verify --full b: 12 / 10 points (100%), 12 pts/s');
});

test('an empty collection reads as done, not as a division by zero', () => {
  assert.equal(progressLine('b', 0, 0, 0), 'verify --full b: 0 / 0 points (100%), 0 pts/s');
});
