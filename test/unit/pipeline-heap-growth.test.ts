/**
 * A copy bounds V8's heap growth (src/core/heap-growth.ts): the process that copies data peaks
 * lower for the same live heap, unless the user chose a growth of their own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { MigrationEvents } from '../../src/core/events.ts';
import { boundHeapGrowth, heapGrowthBounded } from '../../src/core/heap-growth.ts';
import { copyCollection, wholeIdSpace } from '../../src/core/pipeline.ts';
import type { CollectionPlan } from '../../src/core/types.ts';

const module = fileURLToPath(new URL('../../src/core/heap-growth.ts', import.meta.url));

test("the user's own heap growth wins", () => {
  assert.equal(boundHeapGrowth(['--heap-growing-percent=30'], ''), false);
  assert.equal(boundHeapGrowth([], '--trace-warnings  --heap_growing_percent=80'), false);
  assert.equal(heapGrowthBounded(), false);
});

test('a copy bounds the heap growth of its process', async () => {
  const reader = { read: async function* () { yield { points: [], next: null }; } } as unknown as SourceReader;
  const sink = { write: () => Promise.resolve() } as unknown as Sink;
  const plan = { source: 'c', target: 'c', vectors: [], primaryKey: { field: 'id', type: 'Int64' } } as unknown as CollectionPlan;
  await copyCollection({ plan, reader, sink, events: new MigrationEvents(), signal: new AbortController().signal, pageSize: 10, total: 0, ranges: wholeIdSpace() });
  assert.equal(heapGrowthBounded(), true);
});

test('a bounded process peaks lower on the same live heap and garbage', () => {
  // A flat live set (the pages in flight) and garbage made fast (decoded pages), as in a copy.
  const script = `
    const { boundHeapGrowth } = await import(${JSON.stringify(module)});
    if (process.env.BOUND === '1') boundHeapGrowth([], '');
    const live = [];
    for (let i = 0; i < 1000; i++) {
      live.push(Array.from({ length: 2000 }, (_, j) => ({ a: j, b: [j] })));
      if (live.length > 60) live.shift();
    }
    process.stdout.write(String(process.resourceUsage().maxRSS));`;
  const peakKb = (bound: string) =>
    Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '', BOUND: bound } }).toString());
  const [free, bounded] = [peakKb('0'), peakKb('1')];
  assert.ok(bounded < free, `peak RSS ${Math.round(bounded / 1024)} MB bounded, ${Math.round(free / 1024)} MB not`);
});
