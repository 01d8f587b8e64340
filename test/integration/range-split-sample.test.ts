/**
 * The range split by sampling, against the Qdrant test server (REST and gRPC) and Milvus Lite, and
 * against real Qdrant 1.19 where its binary is present: a copy split from a random sample of ids
 * moves every point exactly once (compared as id sets: Milvus Lite overwrites duplicate keys);
 * a server without `query` (Qdrant < 1.10: 404 / UNIMPLEMENTED), a 400, or a small collection
 * falls back to the full ids-only scan; a resume never samples again; a cancel while sampling
 * saves nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { MigrationEvents, type MigrationEventMap } from '../../src/core/events.ts';
import { formatId, INT64_LIMIT, UINT64_MAX } from '../../src/core/ids.ts';
import { copyCollection, type CopyOptions, type RangeCheckpoint } from '../../src/core/pipeline.ts';
import { sampleSize } from '../../src/core/ranges.ts';
import { splitIdSpace } from '../../src/core/split.ts';
import type { CollectionPlan, PointId } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import type { Dataset } from '../../testkit/datasets/index.ts';
import { startMilvusLite, type MilvusLite } from '../../testkit/milvus/launcher.ts';
import { WITHOUT_QUERY } from '../../testkit/qdrant/faults.ts';
import { REAL_QDRANT_ABSENT, realQdrantBinary, seedRealQdrant, startRealQdrant, type RealQdrant } from '../../testkit/qdrant/real.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';

const uuid = (i: number) => `${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
/** Integers with gaps, integers above 2^63 up to 2^64-1, UUIDs: a VarChar primary key. */
const MIXED: PointId[] = [
  ...Array.from({ length: 1200 }, (_, i) => BigInt(i * 7)),
  ...Array.from({ length: 400 }, (_, i) => INT64_LIMIT + BigInt(i) * 1_000_000_007n),
  UINT64_MAX,
  ...Array.from({ length: 799 }, (_, i) => uuid(i + 1)),
];

function idDataset(name: string, ids: PointId[]): Dataset {
  return {
    collection: name,
    config: { vectors: { size: 4, distance: 'Dot' } },
    count: ids.length,
    *points() {
      for (const [i, id] of ids.entries()) yield { id, vector: [i, 1, 0.5, -1], payload: { i } };
    },
  };
}

let qdrant: QdrantTestServer;
let lite: MilvusLite;
let sink: Sink;
const readers: Record<'rest' | 'grpc', SourceReader> = {} as never;
const binary = await realQdrantBinary();
if (!binary) console.warn(`[range-split-sample] real Qdrant leg skipped: ${REAL_QDRANT_ABSENT}`);

before(async () => {
  [qdrant, lite] = await Promise.all([startQdrantTestServer({ grpcPort: 0 }), startMilvusLite()]);
  qdrant.store.seed(idDataset('mixed', MIXED));
  for (const transport of ['rest', 'grpc'] as const) {
    readers[transport] = createQdrantReader({ url: qdrant.restUrl, transport, grpcPort: qdrant.grpcPort!, timeoutMs: 20_000, retry: { retries: 0 } });
  }
  sink = await createMilvusSink({ uri: lite.uri });
});

after(async () => {
  await Promise.allSettled([readers.rest?.close(), readers.grpc?.close(), sink?.close()]);
  await Promise.allSettled([qdrant?.stop(), lite?.stop()]);
});

type Split = MigrationEventMap['collection:split'];

/** Copies `source` into a fresh target; resolves with the split event, the saves in order and the target's keys. */
async function copy(reader: SourceReader, source: string, ids: PointId[], target: string, extra: Partial<CopyOptions> = {}) {
  const { plan: planned } = planCollection(await reader.describe(source), await sink.capabilities());
  const plan: CollectionPlan = { ...planned, target, ifExists: 'drop' };
  await sink.prepare(plan);
  const events = new MigrationEvents();
  const splits: Split[] = [];
  events.on('collection:split', (s) => splits.push(s));
  const saves: RangeCheckpoint[] = [];
  const stats = await copyCollection({
    plan, reader, sink, events, signal: new AbortController().signal,
    pageSize: 50, total: ids.length, readers: 4, writers: 2, sampleSplitFrom: 0,
    saveCheckpoint: (cp) => void saves.push({ ...cp }),
    ...extra,
  });
  assert.equal(stats.written, ids.length);
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), ids.length, 'no extra rows');
  const rows = await sink.fetch(plan, ids.map(formatId));
  return { split: splits, saves, keys: rows.map((r) => String(r.id)).sort() };
}

const expectedKeys = (ids: PointId[]) => ids.map(formatId).sort();

/** Points per range from the final checkpoints: max/mean is how unevenly the readers shared work. */
function balance(saves: RangeCheckpoint[]): { sizes: number[]; ratio: number } {
  const last = new Map<number, RangeCheckpoint>();
  for (const s of saves) last.set(s.index, s);
  const sizes = [...last.values()].sort((a, b) => a.index - b.index).map((r) => r.written);
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  return { sizes, ratio: Math.max(...sizes) / mean };
}

for (const transport of ['rest', 'grpc'] as const) {
  test(`${transport}: a sample is distinct ids of the collection, at most the limit`, async () => {
    const known = new Set(MIXED.map(formatId));
    const some = await readers[transport].sampleIds!('mixed', 300);
    assert.equal(some.length, 300);
    assert.equal(new Set(some.map(formatId)).size, 300, 'distinct');
    assert.ok(some.every((id) => known.has(formatId(id))), 'every sampled id exists (ids above 2^53 exact)');
    const all = await readers[transport].sampleIds!('mixed', 10_000);
    assert.deepEqual(all.map(formatId).sort(), [...known].sort(), 'a limit above the size returns every id');
  });

  test(`${transport}: a copy split by sampling moves every point exactly once, ranges saved before any point moves`, async (t) => {
    const { split, saves, keys } = await copy(readers[transport], 'mixed', MIXED, `split_sample_${transport}`);
    // The default sample (4 x 4,000 ids) is larger than this collection: every id comes back.
    assert.deepEqual(split.map((s) => [s.method, s.ranges, s.sampled]), [['sample', 4, Math.min(sampleSize(4), MIXED.length)]]);
    assert.deepEqual(saves.slice(0, 4).map((s) => [s.index, s.cursor, s.done, s.written]), [0, 1, 2, 3].map((i) => [i, null, false, 0]), 'four fresh ranges saved first');
    assert.deepEqual(keys, expectedKeys(MIXED));
    const { sizes, ratio } = balance(saves);
    t.diagnostic(`${MIXED.length} points, ranges of ${sizes.join(', ')}: max/mean ${ratio.toFixed(3)}, split ${split[0]!.ms} ms`);
    assert.ok(ratio < 1.25, `max/mean ${ratio}`);
  });

  test(`${transport}: a server without query (Qdrant < 1.10) gets the full scan, and every point once`, async () => {
    qdrant.faults.configure({ rules: [...WITHOUT_QUERY] });
    try {
      const { split, saves, keys } = await copy(readers[transport], 'mixed', MIXED, `split_noquery_${transport}`);
      assert.equal(split.length, 1);
      assert.equal(split[0]!.method, 'scan');
      assert.match(split[0]!.reason!, transport === 'rest' ? /sampling failed .*HTTP 404/ : /sampling failed .*Unimplemented/);
      assert.deepEqual(keys, expectedKeys(MIXED));
      const { sizes } = balance(saves);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `the scan cuts exactly equal ranges: ${sizes.join(', ')}`);
    } finally {
      qdrant.faults.clear();
    }
  });

  test(`${transport}: a sample answered 400 (query without sample: Qdrant 1.10) falls back to the scan`, async () => {
    const route = transport === 'rest' ? 'POST /collections/*/points/query' : 'GRPC /qdrant.Points/Query';
    qdrant.faults.configure({ rules: [{ route, errorRate: 1, errorStatus: 400 }] });
    try {
      const split = await splitIdSpace({
        reader: readers[transport], collection: 'mixed', total: MIXED.length, readers: 4, minPerRange: 10, sampleFrom: 0, signal: new AbortController().signal,
      });
      assert.equal(split.method, 'scan');
      assert.match(split.reason!, transport === 'rest' ? /HTTP 400/ : /InvalidArgument/);
      assert.equal(split.boundaries.length, 3);
    } finally {
      qdrant.faults.clear();
    }
  });
}

test('a collection below the sampling threshold is split by the exact scan, without a query', async () => {
  // A query would be counted as an error by these rules: the split must not send one.
  qdrant.faults.configure({ rules: [...WITHOUT_QUERY] });
  try {
    const split = await splitIdSpace({
      reader: readers.grpc, collection: 'mixed', total: MIXED.length, readers: 4, minPerRange: 10, sampleFrom: 200_000, signal: new AbortController().signal,
    });
    assert.equal(split.method, 'scan');
    assert.match(split.reason!, /below 200000/);
    assert.equal(split.boundaries.length, 3);
    assert.equal(qdrant.faults.stats().errors, 0, 'no query was sent');
  } finally {
    qdrant.faults.clear();
  }
});

test('a resumed copy keeps its saved (sampled) ranges and never samples again; every point once', async () => {
  const reader = readers.grpc;
  const { plan: planned } = planCollection(await reader.describe('mixed'), await sink.capabilities());
  const plan: CollectionPlan = { ...planned, target: 'split_sample_resume', ifExists: 'drop' };
  await sink.prepare(plan);
  const saved = new Map<number, RangeCheckpoint>();
  const base = { plan, reader, sink, pageSize: 50, total: MIXED.length, readers: 4, writers: 2, sampleSplitFrom: 0 };
  let saves = 0;
  await assert.rejects(
    copyCollection({
      ...base, events: new MigrationEvents(), signal: new AbortController().signal,
      saveCheckpoint: (cp) => {
        if (++saves > 9) throw new Error('disk full (injected)');
        saved.set(cp.index, { ...cp });
      },
    }),
    /disk full/,
  );
  const firstSplit = [...saved.values()].map((r) => [r.index, r.from, r.to]);
  assert.equal(firstSplit.length, 4);
  // A query now would fail loudly in the stats: the resume must not make one.
  qdrant.faults.configure({ rules: [...WITHOUT_QUERY] });
  try {
    const events = new MigrationEvents();
    const splits: Split[] = [];
    events.on('collection:split', (s) => splits.push(s));
    await copyCollection({ ...base, events, signal: new AbortController().signal, ranges: [...saved.values()], saveCheckpoint: (cp) => void saved.set(cp.index, { ...cp }) });
    assert.deepEqual(splits.map((s) => [s.method, s.ranges]), [['saved', 4]]);
    assert.equal(qdrant.faults.stats().errors, 0, 'no query was sent');
  } finally {
    qdrant.faults.clear();
  }
  assert.deepEqual([...saved.values()].map((r) => [r.index, r.from, r.to]), firstSplit, 'the same ranges');
  await sink.finish(plan);
  const rows = await sink.fetch(plan, MIXED.map(formatId));
  assert.deepEqual(rows.map((r) => String(r.id)).sort(), expectedKeys(MIXED));
  assert.equal(await sink.count(plan.target), MIXED.length);
});

test('a cancel while the sample is on its way saves no range and moves no point', async () => {
  qdrant.faults.configure({ rules: [{ route: 'GRPC /qdrant.Points/Query', latencyMs: 1_500 }] });
  try {
    const { plan: planned } = planCollection(await readers.grpc.describe('mixed'), await sink.capabilities());
    const plan: CollectionPlan = { ...planned, target: 'split_sample_cancel', ifExists: 'drop' };
    await sink.prepare(plan);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 200);
    const saves: RangeCheckpoint[] = [];
    await assert.rejects(
      copyCollection({
        plan, reader: readers.grpc, sink, events: new MigrationEvents(), signal: cancel.signal,
        pageSize: 50, total: MIXED.length, readers: 4, sampleSplitFrom: 0, saveCheckpoint: (cp) => void saves.push(cp),
      }),
      (e: Error & { code?: string }) => e.code === 'CANCELLED' || e.name === 'AbortError',
    );
    assert.equal(saves.length, 0);
    await sink.finish(plan);
    assert.equal(await sink.count(plan.target), 0);
  } finally {
    qdrant.faults.clear();
  }
});

describe('real Qdrant 1.19', { skip: binary ? false : REAL_QDRANT_ABSENT }, () => {
  let real: RealQdrant;
  before(async () => {
    real = await startRealQdrant({ apiKey: 'split-key' });
    await seedRealQdrant(real.restUrl, 'split-key', idDataset('mixed_real', MIXED));
  });
  after(async () => {
    await real?.stop();
  });

  for (const transport of ['rest', 'grpc'] as const) {
    test(`${transport}: real Qdrant samples distinct ids, and a copy split from them moves every point once`, async (t) => {
      const reader = createQdrantReader({ url: real.restUrl, apiKey: 'split-key', transport, grpcPort: real.grpcPort, timeoutMs: 30_000 });
      try {
        const known = new Set(MIXED.map(formatId));
        const some = await reader.sampleIds!('mixed_real', 500);
        assert.equal(new Set(some.map(formatId)).size, 500, 'distinct');
        assert.ok(some.every((id) => known.has(formatId(id))));
        const { split, saves, keys } = await copy(reader, 'mixed_real', MIXED, `split_real_${transport}`);
        assert.deepEqual(split.map((s) => [s.method, s.ranges]), [['sample', 4]]);
        assert.deepEqual(keys, expectedKeys(MIXED));
        const { sizes, ratio } = balance(saves);
        t.diagnostic(`real Qdrant: ranges of ${sizes.join(', ')}: max/mean ${ratio.toFixed(3)}, split ${split[0]!.ms} ms`);
        assert.ok(ratio < 1.25, `max/mean ${ratio}`);
      } finally {
        await reader.close();
      }
    });
  }
});
