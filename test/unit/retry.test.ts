import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, transientError, MigrationError } from '../../src/core/errors.ts';
import { retryDelayMs, withRetry } from '../../src/core/retry.ts';

const fast = { baseMs: 1, maxMs: 2 };

test('retries transient errors and returns the first success', async () => {
  let calls = 0;
  const result = await withRetry(async () => {
    calls++;
    if (calls < 3) throw transientError('X', 'flaky');
    return 'ok';
  }, fast);
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
});

test('config and system errors are thrown at once', async () => {
  for (const error of [configError('BAD', 'bad'), new Error('bug')]) {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw error;
      }, fast),
      (e) => e === error,
    );
    assert.equal(calls, 1);
  }
});

test('gives up after `retries` retries with the last error', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw transientError('X', `try ${calls}`);
    }, { ...fast, retries: 2 }),
    /try 3/,
  );
  assert.equal(calls, 3);
});

test('backoff grows exponentially, is capped, and is jittered within [step/2, step]', () => {
  const e = transientError('X', 'x');
  assert.equal(retryDelayMs(e, 0, { baseMs: 100, random: () => 0 }), 50);
  assert.equal(retryDelayMs(e, 0, { baseMs: 100, random: () => 1 }), 100);
  assert.equal(retryDelayMs(e, 3, { baseMs: 100, random: () => 1 }), 800);
  assert.equal(retryDelayMs(e, 10, { baseMs: 100, maxMs: 1000, random: () => 1 }), 1000);
});

test('Retry-After wins over backoff; an excessive one is not waited out', () => {
  assert.equal(retryDelayMs(transientError('X', 'x', undefined, 2), 0, { baseMs: 1 }), 2000);
  assert.equal(retryDelayMs(transientError('X', 'x', undefined, 3600), 0), undefined);
});

test('honours Retry-After and reports each retry', async () => {
  const seen: Array<[number, number]> = [];
  let calls = 0;
  const started = Date.now();
  await withRetry(async () => {
    if (calls++ === 0) throw transientError('RATE', 'slow down', undefined, 0.05);
    return 1;
  }, { onRetry: (_e, attempt, delay) => seen.push([attempt, delay]) });
  assert.deepEqual(seen, [[1, 50]]);
  assert.ok(Date.now() - started >= 45);
});

test('an abort during the wait rejects with the abort reason', async () => {
  const controller = new AbortController();
  const reason = new Error('cancelled by user');
  setTimeout(() => controller.abort(reason), 20);
  await assert.rejects(
    withRetry(async () => {
      throw transientError('X', 'x');
    }, { baseMs: 10_000, signal: controller.signal }),
    (e) => e === reason,
  );
});

test('an already aborted signal stops before the first attempt', async () => {
  let calls = 0;
  await assert.rejects(withRetry(async () => calls++, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal(calls, 0);
  assert.ok(new MigrationError({ code: 'A', kind: 'transient', message: 'm' }));
});

test('a time budget ends the retries: the last wait is cut to what is left, then the last error is thrown', async () => {
  // Waits of 400 ms against a 1 s budget: 400, 400, then what is left (~200). Wide enough that a
  // loaded machine's late timers (up to ~200 ms each) cannot change what is asserted.
  const waits: number[] = [];
  let calls = 0;
  const started = Date.now();
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw transientError('DOWN', `try ${calls}`);
    }, { retries: 1000, baseMs: 400, maxMs: 400, random: () => 1, budgetMs: 1000, onRetry: (_e, _n, ms) => waits.push(ms) }),
    /try \d+/,
  );
  const elapsed = Date.now() - started;
  const waited = waits.reduce((a, b) => a + b, 0);
  assert.ok(elapsed >= 1000 && elapsed < 5000, `gave up after ${elapsed} ms`);
  assert.ok(waits.length >= 2 && waits.length <= 3, `waits ${waits.join(',')}`);
  assert.ok(waited <= 1000, `waited ${waited} ms in all, more than the budget`);
  if (waits.length === 3) assert.ok(waits[2]! < 400, `the last wait ${waits[2]} ms was not cut to the budget left`);
  assert.equal(calls, waits.length + 1);
});

test('a Retry-After longer than the budget left is not waited out', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw transientError('RATE', 'slow down', undefined, 5);
    }, { budgetMs: 1000 }),
    /slow down/,
  );
  assert.equal(calls, 1);
});
