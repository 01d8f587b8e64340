/**
 * The job's lease keeper (src/jobs/lease-keeper.ts): renews every third of the lease time; a
 * renewal that finds the lease taken stops the job (onLost), one that fails transiently does not
 * (the next tick tries again), and renewals never overlap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetLease } from '../../src/core/contracts.ts';
import { MigrationError, transientError } from '../../src/core/errors.ts';
import { keepLease } from '../../src/jobs/lease-keeper.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls instead of counting ticks: a loaded machine fires timers late. */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(10);
  }
}

test('transient renewal failures are retried on the next tick; a taken lease calls onLost once per failure', async () => {
  const outcomes: Array<Error | null> = [
    transientError('TARGET_UNAVAILABLE', 'Milvus restarting'),
    null,
    new MigrationError({ code: 'TARGET_LEASE_LOST', kind: 'system', message: 'taken' }),
  ];
  let renewals = 0;
  const lease: TargetLease = {
    ttlMs: 300,
    renew: async () => {
      const outcome = outcomes[renewals++];
      if (outcome) throw outcome;
    },
    release: async () => undefined,
  };
  const lost: string[] = [];
  const stop = keepLease(lease, (e) => lost.push(e.code));
  await until('the third renewal to be judged', () => lost.length > 0);
  stop();
  assert.equal(renewals, 3, 'the transient failure did not stop the renewals');
  assert.deepEqual(lost, ['TARGET_LEASE_LOST']);
  await wait(250);
  assert.equal(renewals, 3, 'stop() ends the renewals');
});

test('a slow renewal is not overlapped by the next tick', async () => {
  let inFlight = 0;
  let most = 0;
  const lease: TargetLease = {
    ttlMs: 150,
    renew: async () => {
      most = Math.max(most, ++inFlight);
      await wait(180);
      inFlight--;
    },
    release: async () => undefined,
  };
  let calls = 0;
  const counted: TargetLease = { ...lease, renew: () => (calls++, lease.renew()) };
  const stop = keepLease(counted, () => assert.fail('not lost'));
  await until('three renewals', () => calls >= 3);
  stop();
  assert.equal(most, 1);
});
