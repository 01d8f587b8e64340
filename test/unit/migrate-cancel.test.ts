/**
 * A cancel after the copy (while the target flushes, builds its index and loads, or counts for the
 * verification) stops the collection CANCELLED at once instead of waiting for the target: those
 * steps take seconds to minutes on a busy server, with retry sleeps in between, and ignored the
 * cancel, so a job cancelled during them ended SUCCESSFUL long after the user asked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { MigrationEvents } from '../../src/core/events.ts';
import { runMigration } from '../../src/core/migrate.ts';
import type { CopyStats } from '../../src/core/pipeline.ts';
import type { CollectionPlan, MigrationPlan } from '../../src/core/types.ts';

const plan = { source: 'c', target: 'c', sourceCount: 3, ifExists: 'fail', vectors: [], aliases: [] } as unknown as CollectionPlan;
const stats: CopyStats = { written: 3, rejected: [], rejectedCount: 0, nullsDropped: 0, mismatchNulled: 0, renamedKeys: 0 } as unknown as CopyStats;

/** A target whose `stuck` step never answers until the sink is closed (as the engine does after a cancel), then fails. */
function fakes(stuck: 'finish' | 'count' | 'none') {
  const calls: string[] = [];
  let close = (): void => undefined;
  const step = <T>(name: string, value: T): Promise<T> => {
    calls.push(name);
    if (stuck !== name) return Promise.resolve(value);
    return new Promise<never>((_, reject) => (close = () => reject(new Error('client closed'))));
  };
  const sink = { prepare: () => step('prepare', undefined), finish: () => step('finish', undefined), count: () => step('count', 3) } as unknown as Sink;
  const reader = { count: () => Promise.resolve(3) } as unknown as SourceReader;
  return { sink, reader, calls, close: () => close() };
}

async function migrate(stuck: 'finish' | 'count' | 'none', controller: AbortController) {
  const f = fakes(stuck);
  const events = new MigrationEvents();
  // Cancel once the collection reaches the stuck step (the phase event comes just before it).
  events.on('collection:status', ({ phase }) => {
    if ((stuck === 'finish' && phase === 'load') || (stuck === 'count' && phase === 'verify')) setImmediate(() => controller.abort());
  });
  const report = await runMigration({ collections: [plan] } as unknown as MigrationPlan, f.reader, f.sink, {
    events,
    signal: controller.signal,
    copy: () => Promise.resolve(stats),
  });
  // What the engine does next: close the sink, so the abandoned call fails (and must not surface).
  f.close();
  await new Promise((r) => setImmediate(r));
  return { report, calls: f.calls };
}

for (const stuck of ['finish', 'count'] as const) {
  test(`a cancel while the target ${stuck === 'finish' ? 'flushes and loads' : 'counts'} ends the collection CANCELLED without waiting for it`, { timeout: 10_000 }, async () => {
    const { report, calls } = await migrate(stuck, new AbortController());
    assert.equal(report.cancelled, true);
    assert.equal(report.ok, false);
    assert.equal(report.collections[0]!.status, 'CANCELLED');
    assert.equal(report.collections[0]!.error?.code, 'CANCELLED');
    assert.equal(calls.at(-1), stuck, 'nothing runs after the step the cancel interrupted');
  });
}

test('without a cancel the steps after the copy run to a verified collection', async () => {
  const { report, calls } = await migrate('none', new AbortController());
  assert.equal(report.ok, true);
  assert.equal(report.collections[0]!.status, 'SUCCESSFUL');
  assert.deepEqual(calls, ['prepare', 'finish', 'count']);
});
