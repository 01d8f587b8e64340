/**
 * Sink.delete (issue 11, the sync's removals) against a real server: Milvus Lite 3.2.2 by default,
 * the engine Q2M_TARGET_ENGINE names (the matrix runs it on standalone23), or MILVUS_URI. Int64
 * keys at the edges of the type (-2^63, which Milvus 2.3.5's expression parser refuses as a literal;
 * 2^63-1, which 2.3.5 never returns to a filtered query), keys absent from the target, VarChar keys
 * with quotes, and more keys than one request carries. What is left is read back with count(*) and
 * an unfiltered query, which 2.3.5 answers truthfully.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConsistencyLevelEnum, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { Sink } from '../../src/core/contracts.ts';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { deleteExpressions } from '../../src/milvus/delete.ts';
import { milvusEngines, startMilvus, type MilvusEngine, type MilvusServer } from '../../testkit/milvus/launcher.ts';

const external = process.env.MILVUS_URI;
const engine = (milvusEngines as readonly string[]).includes(process.env.Q2M_TARGET_ENGINE ?? '') ? (process.env.Q2M_TARGET_ENGINE as MilvusEngine) : external ? undefined : 'lite3';
const database = process.env.MILVUS_DB || undefined;
const prefix = `q2m_d${Date.now().toString(36)}_`;
let server: MilvusServer | undefined;
let sink: Sink;
let client: MilvusClient;

before(async () => {
  let uri = external;
  let token = process.env.MILVUS_TOKEN || undefined;
  if (!uri) {
    server = await startMilvus({ engine, auth: engine === 'standalone23' });
    uri = server.uri;
    token = server.token;
  }
  sink = await createMilvusSink({ uri, token, database });
  client = new MilvusClient({ address: uri, token, database });
});

after(async () => {
  for (const name of (await client?.showCollections({ db_name: database }))?.data ?? []) {
    if (name.name.startsWith(prefix)) await client.dropCollection({ collection_name: name.name });
  }
  await sink?.close();
  await client?.closeConnection();
  await server?.stop();
});

function planFor(name: string, type: 'Int64' | 'VarChar'): CollectionPlan {
  return {
    source: name,
    target: prefix + name,
    description: '',
    primaryKey: { field: 'id', type: 'Int64', autoId: false, ...(type === 'VarChar' && { type, maxLength: 64 }) },
    vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'L2', index: { type: 'FLAT', params: {} }, nullable: false }],
    dynamicField: true,
    partitionKey: null,
    policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
    ifExists: 'fail',
    sourceCount: 0,
  };
}

const rows = (ids: Array<bigint | string>): Row[] => ids.map((id, i) => ({ id, vectors: { vector: new Float32Array([i, 1, 2, 3]) }, dynamic: {} }));

async function idsLeft(plan: CollectionPlan): Promise<string[]> {
  const res = await client.query({ collection_name: plan.target, filter: '', output_fields: ['id'], limit: 16_384, consistency_level: ConsistencyLevelEnum.Strong });
  return res.data.map((r) => String(r.id)).sort();
}

test('one request per 1,000 keys; -2^63 by a range that matches it alone', () => {
  const plan = planFor('x', 'Int64');
  const ids = Array.from({ length: 2500 }, (_, i) => BigInt(i));
  assert.deepEqual(deleteExpressions(plan, ids).map((e) => e.split(',').length), [1000, 1000, 500]);
  assert.deepEqual(deleteExpressions(plan, [-(2n ** 63n), 5n]), ['id < -9223372036854775807', 'id in [5]']);
  assert.throws(() => deleteExpressions(plan, ['abc']), /SINK_ID_TYPE|non-integer/);
});

test('Int64 keys: edges of the type, absent keys, many keys', async () => {
  const plan = planFor('ints', 'Int64');
  await sink.prepare(plan);
  const edges = [0n, 2n ** 53n + 1n, 2n ** 63n - 1n];
  const many = Array.from({ length: 1200 }, (_, i) => BigInt(1000 + i));
  await sink.write(plan, rows([...edges, ...many]));
  // Negative keys never come from Qdrant (its ids are unsigned), so the sink does not write them;
  // another writer of the target may have (-2^63 is exact as a double).
  await client.insert({ collection_name: plan.target, data: [-1, -(2 ** 63)].map((id) => ({ id, vector: [0, 1, 2, 3] })) });
  await sink.finish(plan);
  await sink.delete(plan, [-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n, 77n, ...many.slice(0, 1100)]);
  assert.equal(await sink.count(plan.target), 2 + 100);
  const left = await idsLeft(plan);
  assert.deepEqual(left.filter((id) => BigInt(id) < 1000n), ['-1', '0']);
  assert.equal(left.length, 2 + 100);
});

test('VarChar keys, quotes and backslashes included', async () => {
  const plan = planFor('strs', 'VarChar');
  await sink.prepare(plan);
  const ids = ['a', 'say "hi"', 'back\\slash', '12', '3f2b8c1e-0d4a-4c55-9a7e-1b2c3d4e5f60'];
  await sink.write(plan, rows(ids));
  await sink.finish(plan);
  await sink.delete(plan, ['say "hi"', 'back\\slash', '12', 'absent']);
  assert.deepEqual(await idsLeft(plan), ['3f2b8c1e-0d4a-4c55-9a7e-1b2c3d4e5f60', 'a']);
});
