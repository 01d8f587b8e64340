/**
 * The hand-written Scroll codecs against the generated ones, on every dataset of the test kit:
 * - the test server's direct encoding (testkit/qdrant/grpc-fast.ts) decodes, with the server's own
 *   protobuf definition, to the very message its generic path builds;
 * - the reader's decoder (src/qdrant/grpc-scroll.ts) gives the same Points as the official
 *   client's codec followed by grpc-convert.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fromBinary } from '@bufbuild/protobuf';
import { ScrollResponseSchema } from '@qdrant/js-client-grpc';
import { fromGrpcPoint, fromGrpcId } from '../../src/qdrant/grpc-convert.ts';
import { decodeScrollResponse, encodeScrollRequest } from '../../src/qdrant/grpc-scroll.ts';
import { DATASET_NAMES, dataset } from '../../testkit/datasets/index.ts';
import { protoDir } from '../../testkit/qdrant/grpc.ts';
import { encodeScrollResponse } from '../../testkit/qdrant/grpc-fast.ts';
import { idToGrpc, structToGrpc, vectorsToGrpc, type Msg } from '../../testkit/qdrant/grpc-values.ts';
import { QdrantStore, type RecordOut } from '../../testkit/qdrant/store.ts';

const def = protoLoader.loadSync('qdrant.proto', {
  keepCase: true, longs: String, enums: String, defaults: false, arrays: true, objects: true, oneofs: true, includeDirs: [protoDir()],
});
const points = (grpc.loadPackageDefinition(def).qdrant as grpc.GrpcObject).Points as grpc.ServiceClientConstructor;
const scrollDef = points.service.Scroll!;
const requestType = scrollDef;

/** The generic path of grpc-handlers.ts, message for message. */
function generic(res: { points: RecordOut[]; next_page_offset: RecordOut['id'] | null }): Msg {
  const out: Msg = {
    result: res.points.map((p) => {
      const m: Msg = { id: idToGrpc(p.id), payload: structToGrpc(p.payload) };
      const vectors = vectorsToGrpc(p.vector);
      if (vectors) m.vectors = vectors;
      return m;
    }),
    time: 0.25,
  };
  if (res.next_page_offset !== null) out.next_page_offset = idToGrpc(res.next_page_offset);
  return out;
}

const store = new QdrantStore();
for (const name of DATASET_NAMES) store.seed(dataset(name, Math.min(60, dataset(name).count)));

for (const name of DATASET_NAMES) {
  const collection = dataset(name, 1).collection;
  test(`${name}: direct Scroll encoding = generic encoding; our decoder = official decoder + convert`, () => {
    for (const [withVector, withPayload] of [[true, true], [false, false], [true, false]] as const) {
      const res = store.scroll(collection, { limit: 25, offset: null, with_vector: withVector, with_payload: withPayload });
      const fast = encodeScrollResponse(res).withTime(0.25);
      const slow = scrollDef.responseSerialize(generic(res));
      assert.deepStrictEqual(scrollDef.responseDeserialize(fast), scrollDef.responseDeserialize(slow));

      const official = fromBinary(ScrollResponseSchema, slow);
      const ours = decodeScrollResponse(Buffer.from(slow));
      assert.deepStrictEqual(ours.points, official.result.map(fromGrpcPoint));
      assert.deepStrictEqual(ours.next, official.nextPageOffset ? fromGrpcId(official.nextPageOffset) : null);
      assert.deepStrictEqual(decodeScrollResponse(fast), ours);
    }
  });
}

test('our Scroll request encoding decodes to the request we meant', () => {
  const decode = (b: Buffer) => {
    const m = requestType.requestDeserialize(b) as Msg;
    // proto3 `optional` fields come with synthetic `_name` oneof markers: not part of the request.
    return Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('_')));
  };
  assert.deepStrictEqual(decode(encodeScrollRequest({ collection: 'c', offset: 2n ** 64n - 1n, limit: 500, withData: true })), {
    collection_name: 'c', offset: { num: '18446744073709551615', point_id_options: 'num' }, limit: 500,
    with_payload: { enable: true, selector_options: 'enable' }, with_vectors: { enable: true, selector_options: 'enable' },
  });
  const uuid = '00000000-0000-0000-0000-00000000000a';
  assert.deepStrictEqual(decode(encodeScrollRequest({ collection: 'ü', offset: uuid, limit: 1, withData: false })), {
    collection_name: 'ü', offset: { uuid, point_id_options: 'uuid' }, limit: 1,
    with_payload: { enable: false, selector_options: 'enable' }, with_vectors: { enable: false, selector_options: 'enable' },
  });
});
