/**
 * Sparse vectors decoded straight into Milvus's row bytes (src/transcode/sparse.ts), held byte for
 * byte to the SDK's own sparseToBytes (what the SDK path writes for the same vector) over random
 * vectors, and to the general decoder's numbers. Vectors the row bytes cannot describe as they
 * stand go the general way (encode.ts then sorts them or refuses them as before).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sparseToBytes } from '@zilliz/milvus2-sdk-node';
import type { SparseVector } from '../../src/core/types.ts';
import { decodeScrollResponse } from '../../src/qdrant/grpc-scroll.ts';
import { PackedSparse, sparseRow } from '../../src/transcode/index.ts';
import { encodeScrollResponse } from '../../testkit/qdrant/grpc-fast.ts';
import { mulberry32 } from '../../testkit/datasets/prng.ts';

type R = () => number;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Any float32 but NaN (Qdrant refuses NaN): random bits, with zeros, subnormals and infinities mixed in. */
function float(r: R): number {
  if (r() < 0.1) return [0, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38][int(r, 0, 5)]!;
  do u32[0] = Math.floor(r() * 2 ** 32);
  while (Number.isNaN(f32[0]));
  return f32[0]!;
}

/** Sorted distinct indices over the whole range Milvus holds (0 to 2^32 - 2), every varint length. */
function sparse(r: R): SparseVector {
  const top = [127, 16383, 2097151, 2 ** 28 - 1, 0xfffffffe][int(r, 0, 4)]!;
  const set = new Set(Array.from({ length: int(r, 1, 40) }, () => (r() < 0.05 ? top : int(r, 0, top))));
  const indices = [...set].sort((a, b) => a - b);
  return { indices, values: indices.map(() => float(r)) };
}

/** One page of points whose named vectors `s0`, `s1` are the given sparse vectors, decoded both ways. */
function decodeBoth(vectors: SparseVector[]) {
  const records = vectors.map((v, i) => ({ id: BigInt(i + 1), payload: {}, vector: { s0: v, s1: v } }));
  const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0);
  const packed = decodeScrollResponse(wire, { packedVectors: true }).points;
  const plain = decodeScrollResponse(wire).points;
  return { packed: packed.map((p) => p.vectors.s0 as SparseVector), plain: plain.map((p) => p.vectors.s0 as SparseVector), both: packed };
}

test('sparse rows decoded from the wire are byte for byte the SDK\'s sparseToBytes, and read as the same numbers', () => {
  const r = mulberry32(2024);
  for (let round = 0; round < 200; round++) {
    const vectors = Array.from({ length: int(r, 1, 8) }, () => sparse(r));
    const { packed, plain, both } = decodeBoth(vectors);
    packed.forEach((v, i) => {
      assert.ok(v instanceof PackedSparse, `round ${round}: vector ${i} is packed`);
      assert.deepEqual({ indices: v.indices, values: v.values }, plain[i], `round ${round}: vector ${i} reads as the general decoder's`);
      const sdk = Buffer.from(sparseToBytes(plain[i]!));
      assert.ok(Buffer.from(sparseRow(v)).equals(sdk), `round ${round}: vector ${i} differs from the SDK's bytes`);
      assert.ok(Buffer.from(sparseRow(v)).equals(Buffer.from(sparseRow(plain[i]!))), `round ${round}: vector ${i} differs from the number path`);
    });
    // Two sparse fields of one point get rows of their own.
    assert.notEqual(PackedSparse.rowOf(both[0]!.vectors.s0 as SparseVector), PackedSparse.rowOf(both[0]!.vectors.s1 as SparseVector));
  }
});

test('sparse vectors the row bytes cannot hold as they stand are decoded the general way', () => {
  const cases: SparseVector[] = [
    { indices: [5, 2, 9], values: [1, 2, 3] }, // unsorted: the encoder sorts it
    { indices: [4, 4], values: [1, 2] }, // repeated index
    { indices: [0xffffffff], values: [1] }, // beyond what Milvus holds: the encoder refuses it
    { indices: [1, 2], values: [1] }, // lengths differ: mapping rejects the point
    { indices: [1], values: [1, 2] },
    { indices: [], values: [] },
  ];
  const { packed, plain } = decodeBoth(cases);
  packed.forEach((v, i) => {
    assert.ok(!(v instanceof PackedSparse), `case ${i}`);
    assert.deepEqual(v, plain[i], `case ${i}`);
  });
  assert.throws(() => sparseRow(packed[2]!), /outside what Milvus holds/);
});
