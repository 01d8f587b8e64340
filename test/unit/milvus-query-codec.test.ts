/**
 * The compare engine's Query decoder (src/milvus/query-codec.ts) against the SDK's own codec: the
 * same QueryResults bytes give the same rows through decodeRows(), for every key and vector type
 * verify reads, and the same status.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataType } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan, VectorFieldPlan } from '../../src/core/types.ts';
import { decodeQueryResults } from '../../src/milvus/query-codec.ts';
import { decodeRows } from '../../src/milvus/rows.ts';
import { sdkCodec } from '../helpers/sdk-codec.ts';

const vec = (over: Partial<VectorFieldPlan>): VectorFieldPlan => ({
  source: '', field: 'vector', type: 'FloatVector', dim: 3, metric: 'COSINE', index: { type: 'FLAT', params: {} }, nullable: false, ...over,
});

function planOf(pk: 'Int64' | 'VarChar', vectors: VectorFieldPlan[]): CollectionPlan {
  return {
    source: 's', target: 't', description: '', primaryKey: { field: 'pk', type: pk, autoId: false }, vectors,
    dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'append', sourceCount: 0,
  };
}

const sparse = (pairs: Array<[number, number]>) => {
  const b = Buffer.alloc(pairs.length * 8);
  pairs.forEach(([i, v], k) => {
    b.writeUInt32LE(i, k * 8);
    b.writeFloatLE(v, k * 8 + 4);
  });
  return b;
};

async function sameAsSdk(plan: CollectionPlan, answer: Record<string, unknown>) {
  const codec = await sdkCodec('Query');
  const bytes = codec.responseSerialize(answer);
  const sdk = codec.responseDeserialize(bytes) as { status: unknown; fields_data: never };
  const ours = decodeQueryResults(bytes);
  assert.deepStrictEqual(decodeRows(plan, ours.fields_data as never), decodeRows(plan, sdk.fields_data));
  return ours;
}

test('Int64 keys (negative, above 2^53, up to 2^63-1), float vectors and $meta with big integers decode as the SDK would', async () => {
  const plan = planOf('Int64', [vec({ dim: 3 })]);
  // Around the decoder's number/bigint edge (7 varint bytes: below 2^49) too.
  const ids = ['-5', '0', '300', String(2n ** 49n - 1n), String(2n ** 49n), String(2n ** 53n + 1n), String(2n ** 63n - 1n), String(-(2n ** 63n))];
  const ours = await sameAsSdk(plan, {
    status: { error_code: 'Success', code: 0, reason: '' },
    fields_data: [
      { type: DataType.Int64, field_name: 'pk', scalars: { long_data: { data: ids } } },
      { type: DataType.FloatVector, field_name: 'vector', vectors: { dim: 3, float_vector: { data: ids.flatMap((_, i) => [i + 0.5, -1.25, Math.fround(0.1)]) } } },
      { type: DataType.JSON, field_name: '$meta', is_dynamic: true, scalars: { json_data: { data: ids.map((id) => Buffer.from(`{"id":${id},"big":18446744073709551615,"s":"ü"}`)) } } },
    ],
  });
  assert.equal(ours.status.code, 0);
});

test('VarChar keys, float16, sparse and a nullable vector with valid_data decode as the SDK would', async () => {
  const plan = planOf('VarChar', [
    vec({ field: 'half', type: 'Float16Vector', dim: 2 }),
    vec({ field: 'sp', type: 'SparseFloatVector', dim: undefined, metric: 'IP' }),
    vec({ field: 'opt', dim: 2, nullable: true }),
  ]);
  await sameAsSdk(plan, {
    status: { error_code: 'Success', code: 0 },
    fields_data: [
      { type: DataType.VarChar, field_name: 'pk', scalars: { string_data: { data: ['12', 'a8f5f167-f44f-4964-e6c9-98dee827110c'] } } },
      { type: DataType.Float16Vector, field_name: 'half', vectors: { dim: 2, float16_vector: Buffer.from([0, 60, 0, 188, 0, 56, 0, 64]) } },
      { type: DataType.SparseFloatVector, field_name: 'sp', vectors: { dim: 9, sparse_float_vector: { dim: 9, contents: [sparse([[1, 0.5], [8, 2]]), sparse([])] } } },
      { type: DataType.FloatVector, field_name: 'opt', valid_data: [false, true], vectors: { dim: 2, float_vector: { data: [1.5, 2.5] } } },
      { type: DataType.JSON, field_name: '$meta', is_dynamic: true, scalars: { json_data: { data: [Buffer.from('{}'), Buffer.from('{"a":[1,null]}')] } } },
    ],
  });
});

test('a failed status comes back as the server sent it (call() turns it into an error)', async () => {
  const codec = await sdkCodec('Query');
  const bytes = codec.responseSerialize({ status: { error_code: 'UnexpectedError', code: 100, reason: 'collection not loaded' }, fields_data: [] });
  const ours = decodeQueryResults(bytes);
  assert.equal(ours.status.code, 100);
  assert.equal(ours.status.reason, 'collection not loaded');
  assert.notEqual(ours.status.error_code, 'Success');
  assert.deepEqual(ours.fields_data, []);
});
