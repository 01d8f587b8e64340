/**
 * Parallel range reads against the Qdrant test server, and parallel copies into Milvus Lite: every
 * source point arrives exactly once (compared as id sets, since Milvus Lite overwrites duplicate
 * keys), for integer, UUID, mixed and overflow ids, and a copy stopped by a failing checkpoint
 * save resumes from its saved ranges without re-splitting.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { MigrationEvents } from '../../src/core/events.ts';
import { compareIds, formatId, INT64_LIMIT, UINT64_MAX } from '../../src/core/ids.ts';
import { copyCollection, type RangeCheckpoint } from '../../src/core/pipeline.ts';
import { cutPositions, rangesFromBoundaries } from '../../src/core/ranges.ts';
import type { CollectionPlan, PointId } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import type { Dataset } from '../../testkit/datasets/index.ts';
import { startMilvusLite, type MilvusLite } from '../../testkit/milvus/launcher.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';

const uuid = (i: number) => `${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const ID_SETS: Record<string, PointId[]> = {
  ints: Array.from({ length: 523 }, (_, i) => BigInt(i * 3 + 1)),
  uuids: Array.from({ length: 311 }, (_, i) => uuid(i)),
  // Integers below and above 2^63 (up to 2^64-1) and UUIDs: a VarChar primary key.
  mixed: [
    ...Array.from({ length: 200 }, (_, i) => BigInt(i)),
    ...Array.from({ length: 150 }, (_, i) => INT64_LIMIT + BigInt(i) * 1_000_000_007n),
    UINT64_MAX,
    ...Array.from({ length: 180 }, (_, i) => uuid(i + 1000)),
  ],
  tiny: [5n, 9n],
  empty: [],
};

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

const sorted = (ids: PointId[]) => [...ids].sort(compareIds).map(formatId);
let qdrant: QdrantTestServer;
let lite: MilvusLite;
let sink: Sink;
const readers: Record<'rest' | 'grpc', SourceReader> = {} as never;

before(async () => {
  [qdrant, lite] = await Promise.all([startQdrantTestServer({ grpcPort: 0 }), startMilvusLite()]);
  for (const [name, ids] of Object.entries(ID_SETS)) qdrant.store.seed(idDataset(name, ids));
  for (const transport of ['rest', 'grpc'] as const) {
    readers[transport] = createQdrantReader({ url: qdrant.restUrl, transport, grpcPort: qdrant.grpcPort!, timeoutMs: 10_000 });
  }
  sink = await createMilvusSink({ uri: lite.uri });
});

after(async () => {
  await sink?.close();
  await Promise.allSettled([qdrant?.stop(), lite?.stop()]);
});

for (const transport of ['rest', 'grpc'] as const) {
  test(`${transport}: ids at positions cut every id set into ranges that read each point exactly once`, async () => {
    const reader = readers[transport];
    for (const [name, ids] of Object.entries(ID_SETS)) {
      const positions = cutPositions(ids.length, 4, 10);
      const cuts = await reader.idsAt(name, positions);
      assert.deepEqual(cuts.map(formatId), positions.map((p) => sorted(ids)[p]), `${name}: the ids at the cut positions`);
      const ranges = rangesFromBoundaries(cuts);
      const perRange = await Promise.all(ranges.map((r) => readIds(reader, name, r, 37)));
      assert.deepEqual(perRange.flat().map(formatId), sorted(ids), `${name}: every id once, in order`);
      const sizes = perRange.map((r) => r.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${name}: equal ranges, got ${sizes.join(', ')}`);
    }
  });
}

async function readIds(reader: SourceReader, collection: string, r: RangeCheckpoint, pageSize: number): Promise<PointId[]> {
  const out: PointId[] = [];
  const range = { from: r.from === null ? undefined : parse(r.from), to: r.to === null ? undefined : parse(r.to) };
  for await (const page of reader.read({ collection, range, pageSize })) out.push(...page.points.map((p) => p.id));
  return out;
}

const parse = (s: string): PointId => (/^\d+$/.test(s) ? BigInt(s) : s);

async function planFor(reader: SourceReader, name: string, target: string): Promise<CollectionPlan> {
  const { plan } = planCollection(await reader.describe(name), await sink.capabilities());
  return { ...plan, target, ifExists: 'drop' };
}

async function targetIds(plan: CollectionPlan, expected: PointId[]): Promise<string[]> {
  await sink.finish(plan);
  const asKey = (id: PointId) => (plan.primaryKey.type === 'Int64' ? id : formatId(id));
  const rows = await sink.fetch(plan, expected.map(asKey));
  assert.equal(await sink.count(plan.target), expected.length, 'no extra rows');
  return rows.map((r) => String(r.id)).sort();
}

const expectedKeys = (ids: PointId[]) => ids.map(formatId).sort();

test('a parallel copy (4 readers, 3 writers) writes every point of a mixed-id collection exactly once', async () => {
  const reader = readers.grpc;
  const plan = await planFor(reader, 'mixed', 'par_mixed');
  assert.equal(plan.primaryKey.type, 'VarChar');
  await sink.prepare(plan);
  const saved = new Map<number, RangeCheckpoint>();
  const stats = await copyCollection({
    plan, reader, sink, events: new MigrationEvents(), signal: new AbortController().signal,
    pageSize: 25, total: ID_SETS.mixed!.length, readers: 4, writers: 3,
    saveCheckpoint: (cp) => void saved.set(cp.index, cp),
  });
  assert.equal(stats.written, ID_SETS.mixed!.length);
  assert.equal(saved.size, 4, 'one checkpoint per range');
  assert.ok([...saved.values()].every((r) => r.done));
  assert.deepEqual(await targetIds(plan, ID_SETS.mixed!), expectedKeys(ID_SETS.mixed!));
});

test('tiny and empty collections copy through one range', async () => {
  for (const name of ['tiny', 'empty']) {
    const plan = await planFor(readers.rest, name, `par_${name}`);
    await sink.prepare(plan);
    const saved = new Map<number, RangeCheckpoint>();
    await copyCollection({
      plan, reader: readers.rest, sink, events: new MigrationEvents(), signal: new AbortController().signal,
      pageSize: 10, total: ID_SETS[name]!.length, readers: 4, saveCheckpoint: (cp) => void saved.set(cp.index, cp),
    });
    assert.deepEqual([...saved.values()].map((r) => [r.from, r.to, r.done]), [[null, null, true]]);
    assert.deepEqual(await targetIds(plan, ID_SETS[name]!), expectedKeys(ID_SETS[name]!));
  }
});

test('a copy stopped by a failing checkpoint save resumes from the saved ranges and ends with every point once', async () => {
  const reader = readers.grpc;
  const ids = ID_SETS.ints!;
  const plan = await planFor(reader, 'ints', 'par_resume');
  await sink.prepare(plan);
  const saved = new Map<number, RangeCheckpoint>();
  const base = { plan, reader, sink, events: new MigrationEvents(), pageSize: 20, total: ids.length, readers: 3, writers: 2 };
  let saves = 0;
  await assert.rejects(
    copyCollection({
      ...base,
      signal: new AbortController().signal,
      saveCheckpoint: (cp) => {
        if (++saves > 7) throw new Error('disk full (injected)');
        saved.set(cp.index, { ...cp });
      },
    }),
    /disk full/,
  );
  const firstSplit = [...saved.values()].map((r) => [r.index, r.from, r.to]);
  assert.equal(firstSplit.length, 3, 'every range was saved before any point moved');
  assert.ok([...saved.values()].some((r) => r.cursor !== null || r.done), 'some progress was saved');
  assert.ok([...saved.values()].some((r) => !r.done), 'and some was left to do');

  const stats = await copyCollection({
    ...base,
    signal: new AbortController().signal,
    ranges: [...saved.values()],
    saveCheckpoint: (cp) => void saved.set(cp.index, { ...cp }),
  });
  assert.deepEqual([...saved.values()].map((r) => [r.index, r.from, r.to]), firstSplit, 'the same ranges, not a new split');
  assert.ok([...saved.values()].every((r) => r.done));
  assert.equal(stats.written, ids.length, 'written counts each point once over both runs');
  assert.deepEqual(await targetIds(plan, ids), expectedKeys(ids));
});
