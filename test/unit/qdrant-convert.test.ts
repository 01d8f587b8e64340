import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CollectionInfoSchema, Datatype, Distance, Modifier, RetrievedPointSchema, ValueSchema } from '@qdrant/js-client-grpc';
import { displayUrl, parseRetryAfter } from '../../src/qdrant/errors.ts';
import { fromGrpcPoint, fromGrpcValue, grpcCollectionConfig } from '../../src/qdrant/grpc-convert.ts';
import { clipToRange } from '../../src/qdrant/reader.ts';
import { restCollectionConfig, restPoint } from '../../src/qdrant/rest-convert.ts';
import { parseJsonExact, stringifyJsonExact } from '../../src/qdrant/rest-json.ts';
import type { Point } from '../../src/core/types.ts';

test('REST JSON: ids and payload integers above 2^53 stay exact; floats and small ints stay numbers', () => {
  const text = '{"result":{"points":[{"id":18446744073709551615,"payload":{"big":9007199254740993,"n":-9223372036854775808,"f":0.1,"s":"12345678901234567890","i":3},"vector":[0.5,1e-7]}],"next_page_offset":null}}';
  const parsed = parseJsonExact(text) as { result: { points: unknown[] } };
  const p = restPoint(parsed.result.points[0]);
  assert.equal(p.id, 18446744073709551615n);
  assert.deepEqual(p.payload, { big: 9007199254740993n, n: -9223372036854775808n, f: 0.1, s: '12345678901234567890', i: 3 });
  assert.deepEqual(p.vectors, { '': [0.5, 1e-7] });
});

test('REST JSON: the fast path (no long integers) equals JSON.parse', () => {
  const text = '{"a":[1.25,-3,1e20,123456789012345.5],"b":"x"}';
  assert.deepEqual(parseJsonExact(text), JSON.parse(text));
});

test('REST JSON: bigint ids are written as exact integer literals', () => {
  assert.equal(stringifyJsonExact({ offset: 9223372036854775808n, limit: 1 }), '{"offset":9223372036854775808,"limit":1}');
});

test('restPoint: named dense, sparse and multi vectors; an absent vector is an absent key', () => {
  const p = restPoint({
    id: 'ABCDEF00-0000-0000-0000-000000000000',
    payload: null,
    vector: { text: [1, 2], sparse: { indices: [1, 7], values: [0.5, 0.25] }, colbert: [[1, 2], [3, 4]] },
  });
  assert.deepEqual(p, {
    id: 'abcdef00-0000-0000-0000-000000000000',
    payload: {},
    vectors: { text: [1, 2], sparse: { indices: [1, 7], values: [0.5, 0.25] }, colbert: [[1, 2], [3, 4]] },
  });
  assert.deepEqual(restPoint({ id: 1 }).vectors, {});
  assert.deepEqual(restPoint({ id: 1, vector: [[1], [2]] }).vectors, { '': [[1], [2]] }, 'unnamed multivector');
});

test('restCollectionConfig: unnamed vector with defaults and collection-level hnsw', () => {
  const info = { config: { params: { vectors: { size: 4, distance: 'Cosine' } }, hnsw_config: { m: 16, ef_construct: 100 } }, payload_schema: {} };
  assert.deepEqual(restCollectionConfig(info).vectors, [
    { name: '', kind: 'dense', dim: 4, datatype: 'float32', distance: 'Cosine', hnsw: { m: 16, efConstruct: 100 } },
  ]);
});

test('restCollectionConfig: named, multi, sparse, datatypes, vector-level hnsw overrides, payload schema', () => {
  const info = {
    config: {
      params: {
        vectors: {
          text: { size: 3, distance: 'Dot', datatype: 'float16', hnsw_config: { m: 32 } },
          colbert: { size: 2, distance: 'Euclid', datatype: 'uint8', multivector_config: { comparator: 'max_sim' } },
        },
        sparse_vectors: { bm25: { modifier: 'idf' }, splade: {} },
      },
      hnsw_config: { m: 16, ef_construct: 100 },
    },
    payload_schema: { city: { data_type: 'keyword', points: 10 } },
  };
  const c = restCollectionConfig(info);
  assert.deepEqual(c.vectors, [
    { name: 'bm25', kind: 'sparse', datatype: 'float32', sparseModifier: 'idf' },
    { name: 'colbert', kind: 'multi', dim: 2, datatype: 'uint8', distance: 'Euclid', hnsw: { m: 16, efConstruct: 100 } },
    { name: 'splade', kind: 'sparse', datatype: 'float32', sparseModifier: 'none' },
    { name: 'text', kind: 'dense', dim: 3, datatype: 'float16', distance: 'Dot', hnsw: { m: 32, efConstruct: 100 } },
  ]);
  assert.deepEqual(c.payloadSchema, { city: { dataType: 'keyword', points: 10 } });
});

test('gRPC point: oneof vectors, deprecated data/indices fallback, int64 payload', () => {
  const point = create(RetrievedPointSchema, {
    id: { pointIdOptions: { case: 'num', value: 18446744073709551615n } },
    payload: {
      big: { kind: { case: 'integerValue', value: 9007199254740993n } },
      small: { kind: { case: 'integerValue', value: 5n } },
      list: { kind: { case: 'listValue', value: { values: [{ kind: { case: 'stringValue', value: 'a' } }, { kind: { case: 'nullValue', value: 0 } }] } } },
    },
    vectors: {
      vectorsOptions: {
        case: 'vectors',
        value: {
          vectors: {
            dense: { vector: { case: 'dense', value: { data: [0.5, 0.25] } } },
            legacy: { data: [1, 2] },
            sparse: { vector: { case: 'sparse', value: { indices: [3], values: [0.5] } } },
            legacySparse: { data: [0.5], indices: { data: [9] } },
            multi: { vector: { case: 'multiDense', value: { vectors: [{ data: [1, 2] }, { data: [3, 4] }] } } },
          },
        },
      },
    },
  });
  const expected: Point = {
    id: 18446744073709551615n,
    payload: { big: 9007199254740993n, small: 5, list: ['a', null] },
    vectors: {
      dense: [0.5, 0.25],
      legacy: [1, 2],
      sparse: { indices: [3], values: [0.5] },
      legacySparse: { indices: [9], values: [0.5] },
      multi: [[1, 2], [3, 4]],
    },
  };
  assert.deepEqual(fromGrpcPoint(point), expected);
  assert.equal(fromGrpcValue(create(ValueSchema, { kind: { case: 'doubleValue', value: 1.5 } })), 1.5);
});

test('gRPC collection info gives the same config as REST', () => {
  const info = create(CollectionInfoSchema, {
    config: {
      params: {
        vectorsConfig: {
          config: {
            case: 'paramsMap',
            value: {
              map: {
                text: { size: 3n, distance: Distance.Dot, datatype: Datatype.Float16, hnswConfig: { m: 32n } },
                colbert: { size: 2n, distance: Distance.Euclid, datatype: Datatype.Uint8, multivectorConfig: { comparator: 0 } },
              },
            },
          },
        },
        sparseVectorsConfig: { map: { bm25: { modifier: Modifier.Idf }, splade: {} } },
      },
      hnswConfig: { m: 16n, efConstruct: 100n },
    },
    payloadSchema: { city: { dataType: 1, points: 10n } },
  });
  const c = grpcCollectionConfig(info);
  assert.deepEqual(c.vectors.map((v) => v.name), ['bm25', 'colbert', 'splade', 'text']);
  assert.deepEqual(c.vectors[3], { name: 'text', kind: 'dense', dim: 3, datatype: 'float16', distance: 'Dot', hnsw: { m: 32, efConstruct: 100 } });
  assert.equal(c.vectors[1]?.kind, 'multi');
  assert.equal(c.vectors[0]?.sparseModifier, 'idf');
  assert.deepEqual(c.payloadSchema, { city: { dataType: 'keyword', points: 10 } });
});

const pt = (id: bigint | string): Point => ({ id, vectors: {}, payload: {} });

test('clipToRange: drops points at or after `to` and ends the range', () => {
  assert.deepEqual(clipToRange([pt(1n), pt(2n), pt(3n)], 4n, 3n), { points: [pt(1n), pt(2n)], next: null });
  assert.deepEqual(clipToRange([pt(1n), pt(2n)], 3n, 3n), { points: [pt(1n), pt(2n)], next: null }, 'next == to ends too');
  assert.deepEqual(clipToRange([pt(1n), pt(2n)], 3n, 5n), { points: [pt(1n), pt(2n)], next: 3n });
  assert.deepEqual(clipToRange([pt(7n)], 'aa000000-0000-0000-0000-000000000000', 'ab000000-0000-0000-0000-000000000000').next, 'aa000000-0000-0000-0000-000000000000');
  assert.deepEqual(clipToRange([pt(7n)], null, undefined), { points: [pt(7n)], next: null });
});

test('displayUrl hides credentials; Retry-After accepts seconds and dates', () => {
  assert.equal(displayUrl('https://user:secret@example.com:6333/'), 'https://example.com:6333');
  assert.equal(parseRetryAfter('3'), 3);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10);
  assert.equal(parseRetryAfter(null), undefined);
});
