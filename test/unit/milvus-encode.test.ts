/**
 * Our Upsert request encoder against the SDK's own protobuf: the same columns must decode to the
 * same message, field for field, for every column kind the sink writes; and the payload JSON fast
 * path against lossless-json.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'lossless-json';
import type { CollectionPlan, JsonObject, Row, VectorFieldPlan } from '../../src/core/types.ts';
import { encodeWriteRequest } from '../../src/milvus/encode.ts';
import { buildColumns, encodeRow, payloadJson } from '../../src/milvus/rows.ts';
import { sdkCodec } from '../helpers/sdk-codec.ts';

const vec = (over: Partial<VectorFieldPlan>): VectorFieldPlan => ({
  source: '', field: 'vector', type: 'FloatVector', dim: 3, metric: 'COSINE', index: { type: 'FLAT', params: {} }, nullable: false, ...over,
});

function planOf(pk: 'Int64' | 'VarChar', vectors: VectorFieldPlan[]): CollectionPlan {
  return {
    source: 's', target: 'target_coll', description: '', primaryKey: { field: 'pk', type: pk, autoId: false }, vectors,
    dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'append', sourceCount: 0,
  };
}

async function assertSameAsSdk(plan: CollectionPlan, rows: Row[]) {
  const codec = await sdkCodec('Upsert');
  const encoded = rows.map((r) => encodeRow(plan, r));
  const ours = codec.requestDeserialize(encodeWriteRequest('db1', plan, encoded));
  const sdk = codec.requestDeserialize(
    codec.requestSerialize({ db_name: 'db1', collection_name: plan.target, num_rows: rows.length, fields_data: buildColumns(plan, encoded) }),
  );
  assert.deepStrictEqual(ours, sdk);
}

test('Int64 keys (up to 2^63-1), float vectors and lossless payloads encode as the SDK would', async () => {
  const plan = planOf('Int64', [vec({ dim: 3 })]);
  const ids = [0n, 1n, 127n, 128n, 300n, 2n ** 53n + 1n, 2n ** 63n - 1n];
  const rows = ids.map((id, i): Row => ({
    id,
    vectors: { vector: [i + 0.5, -1.25, Math.fround(0.1)] },
    dynamic: { i, big: 2n ** 60n + 3n, s: 'ü "q"', nested: { a: [1, null, true] } },
  }));
  await assertSameAsSdk(plan, rows);
});

test('VarChar keys, sparse, float16 and nullable vectors encode as the SDK would', async () => {
  const plan = planOf('VarChar', [
    vec({ field: 'dense', dim: 2, nullable: true }),
    vec({ field: 'half', type: 'Float16Vector', dim: 2 }),
    vec({ field: 'sparse', type: 'SparseFloatVector', dim: undefined, metric: 'IP' }),
  ]);
  const rows: Row[] = [
    { id: '00000000-0000-0000-0000-000000000001', vectors: { dense: [1, 2], half: [0.5, 1], sparse: { indices: [9, 2], values: [1, 2] } }, dynamic: {} },
    { id: '18446744073709551615', vectors: { dense: null, half: [2, 3], sparse: { indices: [70000], values: [0.25] } }, dynamic: { k: 'v' } },
  ];
  await assertSameAsSdk(plan, rows);
});

test('an empty payload and a single row encode as the SDK would', async () => {
  await assertSameAsSdk(planOf('Int64', [vec({ dim: 1 })]), [{ id: 5n, vectors: { vector: [1] }, dynamic: {} }]);
});

test('payload JSON is exactly what lossless-json writes, bigints and marker-like strings included', () => {
  const cases: JsonObject[] = [
    {},
    { a: 1, b: 'x', c: [true, null, 1.5], d: { e: {} } },
    { big: 2n ** 64n - 1n, neg: -(2n ** 63n), nested: [{ x: 2n ** 53n + 1n }, 'é"\\\n'] },
    // Strings and keys that look like the internal bigint marker take the slow exact path.
    { s: '\u0000q2m-bigint:5', n: 7n },
    { '\u0000q2m-bigint:9': 1n },
  ];
  for (const c of cases) assert.equal(payloadJson(c), stringify(c));
});
