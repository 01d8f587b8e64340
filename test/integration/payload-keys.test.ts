/**
 * Issue 13, defect 1, end to end: payload keys `__proto__`, `constructor` and `prototype` reach
 * Milvus exactly, over gRPC and over REST, and verify fails when the target lost one of them.
 * Before the fix, the gRPC reader turned `{"__proto__": {...}}` into the payload's prototype: the
 * key vanished from Milvus, and verify over gRPC (reading the source the same wrong way) said
 * "verified".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'lossless-json';
import { buildPlan } from '../../src/core/planning.ts';
import type { CollectionPlan, JsonObject } from '../../src/core/types.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import type { Dataset, RestPoint } from '../../testkit/datasets/types.ts';
import { seedRealQdrant } from '../../testkit/qdrant/real-seed.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { cli, cliJson, freshDataDir, removeDataDir, type ReportJson } from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;
const skip = process.env.QDRANT_URL ? 'seeds the test server or the real Qdrant the harness started' : false;

/** Payloads as JSON text: JSON.parse keeps `__proto__` an own key, as Qdrant's JSON does. */
const PAYLOADS = [
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":2}]}',
  '{"__proto__":"text","constructor":7,"prototype":null,"plain":{"__proto__":{"constructor":{"deep":true}}}}',
  '{"tag":"no special keys"}',
];
/** What Milvus must hold for each (null-valued keys dropped by the plan's null policy). */
const STORED = [PAYLOADS[0], '{"__proto__":"text","constructor":7,"plain":{"__proto__":{"constructor":{"deep":true}}}}', PAYLOADS[2]];

function keysDataset(collection: string): Dataset {
  const points = (): RestPoint[] =>
    PAYLOADS.map((text, i) => ({ id: i + 1, vector: [i + 1, 0.5, 0.25, 0.125], payload: JSON.parse(text) as JsonObject }));
  return { collection, config: { vectors: { size: 4, distance: 'Dot' } }, count: PAYLOADS.length, points };
}

before(async () => {
  h = await startHarness();
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
});
after(async () => {
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

const grpcPort = () => String(h.testServer?.grpcPort ?? h.realQdrant!.grpcPort);
const transportFlags = (t: 'grpc' | 'rest') => (t === 'grpc' ? ['--source-grpc', '--source-grpc-port', grpcPort()] : ['--source-rest']);

/** Into the test server's store, or over REST into the real Qdrant 1.19 (Q2M_SOURCE=real). */
async function seedKeys(collection: string): Promise<void> {
  if (h.testServer) h.testServer.store.seed(keysDataset(collection));
  else await seedRealQdrant(h.qdrantUrl, h.qdrantApiKey, keysDataset(collection));
}

/** The collection's plan as migrate makes it, and a sink to read the target with. */
async function planAndSink(collection: string) {
  const reader = createQdrantReader({ url: h.qdrantUrl, transport: 'rest' });
  const sink = await createMilvusSink({ uri: h.milvusUri, token: h.milvusToken, database: h.milvusDb });
  try {
    const { plan } = await buildPlan({ sourceUrl: h.qdrantUrl, target: { uri: h.milvusUri, database: h.milvusDb }, collections: [collection] }, reader, sink);
    return { plan: plan.collections[0] as CollectionPlan, sink };
  } finally {
    await reader.close();
  }
}

for (const transport of ['grpc', 'rest'] as const) {
  describe(`payload keys __proto__, constructor, prototype over ${transport}`, { skip }, () => {
    const collection = `keys_${transport}`;

    it('reach Milvus exactly, and verify --sample says verified', async () => {
      await seedKeys(collection);
      const report = await cliJson<ReportJson>(h, dataDir, ['migrate', '--collections', collection, '--yes', '--verify-sample', '10', ...transportFlags(transport)]);
      assert.equal(report.ok, true);
      const { plan, sink } = await planAndSink(collection);
      try {
        const rows = await sink.fetch(plan, [1n, 2n, 3n]);
        rows.sort((a, b) => Number(a.id) - Number(b.id));
        assert.deepEqual(rows.map((r) => stringify(r.dynamic)), STORED, 'the payloads Milvus holds, byte for byte');
        for (const r of rows.slice(0, 2)) assert.equal(Object.getPrototypeOf(r.dynamic), Object.prototype);
      } finally {
        await sink.close();
      }
    });

    it('verify fails when the target lost one of those keys', async () => {
      const { plan, sink } = await planAndSink(collection);
      try {
        const [row] = await sink.fetch(plan, [1n]);
        // The bug's shape: `__proto__` gone from the stored payload.
        const dynamic = JSON.parse(STORED[0]!) as Record<string, unknown>;
        delete dynamic['__proto__'];
        // Delete, then write: Milvus Lite 3.2.2's upsert merges the old row's dynamic keys into the new.
        await h.milvus.delete({ collection_name: collection, filter: 'id in [1]' });
        await sink.write(plan, [{ ...row!, dynamic: dynamic as JsonObject }]);
        await sink.finish(plan);
        assert.equal(stringify((await sink.fetch(plan, [1n]))[0]!.dynamic), '{"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":2}]}');
      } finally {
        await sink.close();
      }
      const run = await cli(h, dataDir, ['verify', '--collections', collection, '--sample', '10', '--json', ...transportFlags(transport)]);
      assert.notEqual(run.code, 0, `verify must fail:\n${run.stdout}\n${run.stderr}`);
      const out = JSON.parse(run.stdout) as { collections: Array<{ verified: boolean; mismatches: Array<{ id: string; what: string; detail: string }> }> };
      assert.equal(out.collections[0]!.verified, false);
      assert.deepEqual(out.collections[0]!.mismatches.map((m) => [m.id, m.what]), [['1', 'payload']]);
      assert.match(out.collections[0]!.mismatches[0]!.detail, /\$\.__proto__: expected \{"polluted":true\}, found nothing/);
    });
  });
}
