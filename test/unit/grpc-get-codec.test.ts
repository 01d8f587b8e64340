/**
 * The hand-written Get (retrieve by ids) codec of verify's batched fetch against the generated
 * one, on every dataset of the test kit: our decoder gives the same Points as the official
 * client's codec followed by grpc-convert.ts, and our request decodes to the request we meant.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fromBinary } from '@bufbuild/protobuf';
import { GetResponseSchema } from '@qdrant/js-client-grpc';
import { fromGrpcPoint } from '../../src/qdrant/grpc-convert.ts';
import { decodeGetResponse, encodeGetRequest } from '../../src/qdrant/grpc-scroll.ts';
import { DATASET_NAMES, dataset } from '../../testkit/datasets/index.ts';
import { protoDir } from '../../testkit/qdrant/grpc.ts';
import { idToGrpc, structToGrpc, vectorsToGrpc, type Msg } from '../../testkit/qdrant/grpc-values.ts';
import { QdrantStore } from '../../testkit/qdrant/store.ts';

const def = protoLoader.loadSync('qdrant.proto', {
  keepCase: true, longs: String, enums: String, defaults: false, arrays: true, objects: true, oneofs: true, includeDirs: [protoDir()],
});
const points = (grpc.loadPackageDefinition(def).qdrant as grpc.GrpcObject).Points as grpc.ServiceClientConstructor;
const getDef = points.service.Get!;

const store = new QdrantStore();
for (const name of DATASET_NAMES) store.seed(dataset(name, Math.min(60, dataset(name).count)));

for (const name of DATASET_NAMES) {
  const collection = dataset(name, 1).collection;
  test(`${name}: our Get decoder = official decoder + convert`, () => {
    const res = store.scroll(collection, { limit: 25, offset: null, with_vector: true, with_payload: true });
    const message: Msg = {
      result: res.points.map((p) => {
        const m: Msg = { id: idToGrpc(p.id), payload: structToGrpc(p.payload) };
        const vectors = vectorsToGrpc(p.vector);
        if (vectors) m.vectors = vectors;
        return m;
      }),
      time: 0.5,
    };
    const bytes = getDef.responseSerialize(message);
    const official = fromBinary(GetResponseSchema, bytes);
    assert.ok(official.result.length > 0);
    assert.deepStrictEqual(decodeGetResponse(Buffer.from(bytes)), official.result.map(fromGrpcPoint));
  });
}

test('our Get request decodes to the request we meant (integer and UUID ids, payload and vectors on)', () => {
  const m = getDef.requestDeserialize(encodeGetRequest('ü', [0n, 2n ** 64n - 1n, '00000000-0000-0000-0000-00000000000a'])) as Msg;
  const clean = Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('_')));
  assert.deepStrictEqual(clean, {
    collection_name: 'ü',
    ids: [
      { num: '0', point_id_options: 'num' },
      { num: '18446744073709551615', point_id_options: 'num' },
      { uuid: '00000000-0000-0000-0000-00000000000a', point_id_options: 'uuid' },
    ],
    with_payload: { enable: true, selector_options: 'enable' },
    with_vectors: { enable: true, selector_options: 'enable' },
  });
});
