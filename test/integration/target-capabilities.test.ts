/**
 * Capabilities from behaviour, against a real engine (issue 9 item 2, findings 1-4; issue 13 index
 * params). Default engine lite3; Q2M_TARGET_ENGINE=lite25|standalone23 picks another (this file then
 * starts it with testkit's startMilvus: standalone23 queues on its machine-wide lock), or MILVUS_URI
 * (+ MILVUS_TOKEN, Q2M_TARGET_ENGINE saying what it is) points at a running one.
 *
 * What each engine accepts is restated here from probing it by hand (issue note), independently of
 * the product's probes, so a probe that lies fails this file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan, TargetCapabilities } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { MilvusSink } from '../../src/milvus/sink.ts';
import { startMilvus, type MilvusEngine, type MilvusServer } from '../../testkit/milvus/launcher.ts';

const engine = (process.env.Q2M_TARGET_ENGINE ?? 'lite3') as MilvusEngine;
const prefix = `q2mcap_${Date.now().toString(36)}_`;

interface Expected {
  version: string;
  maxVectorFields: number;
  float16Vector: boolean;
  sparseVector: boolean;
  /** Takes a row with an empty sparse vector (so a point lacking it can be kept). */
  emptySparseVector: boolean;
  indexTypes: TargetCapabilities['indexTypes'];
  truthful: NonNullable<TargetCapabilities['truthful']>;
  /** Does the server itself refuse HNSW M = -5 at CreateIndex? */
  refusesBadHnsw: boolean;
}

const EXPECTED: Record<MilvusEngine, Expected> = {
  lite3: {
    version: 'milvus_lite-3.2.2',
    maxVectorFields: 10,
    float16Vector: false,
    sparseVector: true,
    emptySparseVector: false,
    // Lite 3 stores any index type on a FloatVector field as metadata.
    indexTypes: { FloatVector: ['AUTOINDEX', 'HNSW', 'FLAT'], Float16Vector: [], SparseFloatVector: ['SPARSE_INVERTED_INDEX'] },
    truthful: { getVersion: true, listDatabases: true, sdkHasCollection: true },
    refusesBadHnsw: false,
  },
  lite25: {
    version: 'unknown',
    maxVectorFields: 10,
    float16Vector: true,
    sparseVector: true,
    emptySparseVector: true,
    indexTypes: { FloatVector: ['AUTOINDEX', 'FLAT'], Float16Vector: ['FLAT'], SparseFloatVector: ['SPARSE_INVERTED_INDEX'] },
    truthful: { getVersion: false, listDatabases: false, sdkHasCollection: false },
    // It refuses HNSW altogether ("local mode only support FLAT IVF_FLAT AUTOINDEX").
    refusesBadHnsw: true,
  },
  standalone23: {
    version: 'v2.3.5-lite',
    maxVectorFields: 1,
    float16Vector: true,
    sparseVector: false,
    emptySparseVector: false,
    indexTypes: { FloatVector: ['AUTOINDEX', 'HNSW', 'FLAT'], Float16Vector: ['AUTOINDEX', 'HNSW', 'FLAT'], SparseFloatVector: [] },
    truthful: { getVersion: true, listDatabases: true, sdkHasCollection: true },
    refusesBadHnsw: true,
  },
};
const want = EXPECTED[engine];

let server: MilvusServer | undefined;
let uri: string;
let token: string | undefined;
let client: MilvusClient;
let sink: MilvusSink;

before(async () => {
  if (process.env.MILVUS_URI) {
    uri = process.env.MILVUS_URI;
    token = process.env.MILVUS_TOKEN;
  } else {
    server = await startMilvus({ engine });
    uri = server.uri;
    token = server.token;
  }
  console.log(`# target: ${engine} at ${uri}`);
  client = new MilvusClient({ address: uri, token, channelOptions: { 'grpc.keepalive_time_ms': 300_000 } });
  sink = await MilvusSink.connect({ uri, token });
});

after(async () => {
  const { data } = await client.listCollections().catch(() => ({ data: [] as Array<{ name: string }> }));
  for (const c of data) if (c.name.startsWith(prefix)) await client.dropCollection({ collection_name: c.name }).catch(() => undefined);
  await sink?.close();
  await client?.closeConnection().catch(() => undefined);
  await server?.stop();
});

async function probeCollections(): Promise<string[]> {
  const { data } = await client.listCollections();
  return data.map((c) => c.name).filter((n) => n.startsWith('_q2m_probe_'));
}

/**
 * Probe collections once in-flight probes have finished: on a shared server (the matrix) another
 * test file may be probing right now, and its collections live for well under a second. One that
 * is still there after 15 s was left behind.
 */
async function probeCollectionsSettled(): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const names = await probeCollections();
    if (names.length === 0 || Date.now() > deadline) return names;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function indexType(collection: string): Promise<string | undefined> {
  const res = await client.describeIndex({ collection_name: collection });
  return res.index_descriptions[0]?.params.find((p) => p.key === 'index_type')?.value as string | undefined;
}

function onePlan(name: string, index: CollectionPlan['vectors'][number]['index'], extra: Partial<CollectionPlan> = {}): CollectionPlan {
  return {
    source: name,
    target: name,
    description: 'capabilities test',
    primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 8, metric: 'L2', index, nullable: false }],
    dynamicField: true,
    partitionKey: null,
    policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
    ifExists: 'fail',
    sourceCount: 0,
    ...extra,
  };
}

describe(`capabilities probed on ${engine}`, () => {
  let caps: TargetCapabilities;

  it('learns what the engine accepts, quickly, and leaves no probe collection behind', async (t) => {
    const started = Date.now();
    caps = await sink.capabilities();
    t.diagnostic(`${engine}: probes took ${caps.probeMs} ms (capabilities() ${Date.now() - started} ms)`);
    assert.equal(caps.source, 'probed');
    assert.equal(caps.version, want.version, 'a missing GetVersion is "unknown", not a crash (finding 1)');
    assert.equal(caps.maxVectorFields, want.maxVectorFields);
    assert.equal(caps.float16Vector, want.float16Vector);
    assert.equal(caps.sparseVector, want.sparseVector);
    assert.equal(caps.emptySparseVector, want.emptySparseVector);
    assert.deepEqual(caps.indexTypes, want.indexTypes);
    assert.deepEqual(caps.truthful, want.truthful);
    assert.equal(caps.nullableVector, false, 'none of these engines keeps a null vector');
    assert.ok((caps.probeMs ?? Infinity) < 10_000, `probes took ${caps.probeMs} ms`);
    assert.deepEqual(await probeCollectionsSettled(), []);
  });

  it('probes once per target per process: a second sink reuses the answer', async () => {
    const other = await MilvusSink.connect({ uri, token });
    try {
      const started = Date.now();
      const again = await other.capabilities();
      assert.ok(Date.now() - started < 200, 'no second probe run');
      assert.equal(again.probeMs, caps.probeMs);
    } finally {
      await other.close();
    }
  });

  it('drops probe collections a killed process left behind (older than 10 minutes)', async () => {
    const stale = `_q2m_probe_${(Date.now() - 3_600_000).toString(36)}_dead`;
    await client.createCollection({
      collection_name: stale,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
        { name: 'v', data_type: DataType.FloatVector, dim: 2 },
      ],
    });
    // Another spelling of the same URI is another cache key, so this sink probes afresh.
    const fresh = await MilvusSink.connect({ uri: uri.replace(/^http:\/\//, ''), token });
    try {
      await fresh.capabilities();
    } finally {
      await fresh.close();
    }
    // Only the stale one is asserted gone: on a shared server (the matrix) another test file's own
    // probe may be in flight at this moment, and a young probe collection is not ours to judge.
    assert.ok(!(await probeCollections()).includes(stale), `${stale} was left behind`);
  });

  it('a database the target does not have is refused at connect; Lite 2.5.1 has no databases at all', async () => {
    // Lite 2.5.1 answers every db_name from one namespace: writing "into" nope_db would land in default.
    const code = engine === 'lite25' ? 'TARGET_DATABASE_UNSUPPORTED' : 'TARGET_DATABASE_NOT_FOUND';
    await assert.rejects(MilvusSink.connect({ uri, token, database: `${prefix}nope_db` }), (e: { code?: string; fix?: string }) => {
      assert.equal(e.code, code);
      assert.match(e.fix ?? '', /default/);
      return true;
    });
  });

  it('a collection that does not exist is created, not reported as existing (finding 2)', async () => {
    const name = `${prefix}fresh`;
    await sink.prepare(onePlan(name, { type: 'FLAT', params: {} }));
    const { data } = await client.listCollections();
    assert.ok(data.some((c) => c.name === name));
    // And one that exists is TARGET_EXISTS under ifExists fail.
    await assert.rejects(sink.prepare(onePlan(name, { type: 'FLAT', params: {} })), (e: { code?: string }) => e.code === 'TARGET_EXISTS');
  });

  it('every default index plan() picks for a float16 vector is one this engine builds (finding 3)', async () => {
    const source = {
      name: 'f16', pointsCount: 1, idKinds: { int: true, uuid: false, intAbove63: false }, payloadSchema: {},
      vectors: [{ name: '', kind: 'dense' as const, dim: 8, datatype: 'float16' as const, distance: 'Dot' as const, missingCount: 0 }],
    };
    const { plan, problems } = planCollection(source, caps, { target: `${prefix}f16` });
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    assert.equal(plan.vectors[0]!.type, want.float16Vector ? 'Float16Vector' : 'FloatVector');
    await sink.prepare(plan);
    assert.equal(await indexType(plan.target), plan.vectors[0]!.index.type);
  });

  it('more vectors than the engine takes are refused at plan time, naming the probed limit (finding 4)', () => {
    const n = want.maxVectorFields + 1;
    const source = {
      name: 'many', pointsCount: 1, idKinds: { int: true, uuid: false, intAbove63: false }, payloadSchema: {},
      vectors: Array.from({ length: n }, (_, i) => ({ name: `v${i}`, kind: 'dense' as const, dim: 4, datatype: 'float32' as const, distance: 'Cosine' as const, missingCount: 0 })),
    };
    const { problems } = planCollection(source, caps);
    const p = problems.find((x) => x.code === 'TOO_MANY_VECTORS');
    assert.match(p!.message, new RegExp(`has ${n} vectors; the target \\(.*\\) accepts ${want.maxVectorFields} vector fields? per collection \\(probed\\)`));
  });

  it('HNSW M = -5 is refused by plan(); the engine refuses it too where it validates index params', async (t) => {
    const source = {
      name: 'hnsw', pointsCount: 1, idKinds: { int: true, uuid: false, intAbove63: false }, payloadSchema: {},
      vectors: [{ name: '', kind: 'dense' as const, dim: 8, datatype: 'float32' as const, distance: 'Euclid' as const, missingCount: 0 }],
    };
    const bad = planCollection(source, caps, { vectors: [{ source: '', index: { type: 'HNSW', params: { M: -5, efConstruction: 100 } } }] });
    assert.ok(bad.problems.some((p) => p.code === 'INDEX_PARAMS' && /M = -5/.test(p.message)), 'plan() refuses M = -5 on every engine');

    // The same index straight to the engine, as prepare() would send it without the plan check.
    const name = `${prefix}hnsw_bad`;
    let refused = false;
    try {
      await sink.prepare(onePlan(name, { type: 'HNSW', params: { M: -5, efConstruction: 100 } }));
    } catch (e) {
      refused = true;
      assert.equal((e as { kind?: string }).kind !== 'transient', true);
    }
    assert.equal(refused, want.refusesBadHnsw);
    t.diagnostic(`${engine} ${refused ? 'refuses' : 'ACCEPTS (stores as metadata)'} HNSW M=-5 at CreateIndex; plan() refuses it before any data moves`);
    if (refused) {
      const { data } = await client.listCollections();
      assert.equal(data.some((c) => c.name === name), false, 'prepare() drops the collection whose index was refused');
    }
  });

  it('valid HNSW params pass plan() and the engine builds them where it has HNSW', async (t) => {
    if (!(caps.indexTypes?.FloatVector ?? []).includes('HNSW')) return t.skip(`${engine} has no HNSW (probed)`);
    const plan = onePlan(`${prefix}hnsw_ok`, { type: 'HNSW', params: { M: 2048, efConstruction: 1 } });
    await sink.prepare(plan);
    assert.equal(await indexType(plan.target), 'HNSW');
  });
});
