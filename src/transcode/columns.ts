/**
 * Vector columns of an Upsert request (schema.proto VectorField) as bytes, from vectors that are
 * either JS numbers (REST reads, replays, tests) or Float32Array views of the bytes Qdrant sent
 * (arena.ts); sparse rows likewise either numbers or the pairs the decoder wrote (sparse.ts). For the latter nothing is converted: the column is the same bytes, handed over as
 * one slice of the arena when the rows' vectors lie one after another there (a page with no
 * rejected point), else copied vector by vector with memcpy.
 */
import { endianness } from 'node:os';
import { systemError } from '../core/errors.ts';
import type { DenseVector, SparseVector } from '../core/types.ts';
import { PackedSparse } from './sparse.ts';

const littleEndian = endianness() === 'LE';

/** The packed float field of a FloatVector column: dim × rows little-endian float32. */
export function float32Column(vectors: readonly DenseVector[], dim: number): Uint8Array {
  const slice = contiguous(vectors, dim);
  if (slice) return slice;
  const f = new Float32Array(vectors.length * dim);
  for (let i = 0; i < vectors.length; i++) f.set(vectors[i]!, i * dim);
  if (littleEndian) return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  const out = Buffer.allocUnsafe(f.length * 4);
  for (let i = 0; i < f.length; i++) out.writeFloatLE(f[i]!, i * 4);
  return out;
}

/** The bytes of all `vectors` when they are consecutive views of one buffer; else undefined. */
function contiguous(vectors: readonly DenseVector[], dim: number): Uint8Array | undefined {
  const first = vectors[0];
  if (!littleEndian || !(first instanceof Float32Array)) return undefined;
  let at = first.byteOffset;
  for (const v of vectors) {
    if (!(v instanceof Float32Array) || v.buffer !== first.buffer || v.byteOffset !== at || v.length !== dim) return undefined;
    at += dim * 4;
  }
  return new Uint8Array(first.buffer, first.byteOffset, at - first.byteOffset);
}

/**
 * One row of a SparseFloatVector column: (uint32 index, float32 value) little-endian pairs,
 * indices ascending (Milvus's layout; the SDK's sparseToBytes writes the same for sorted input).
 */
export function sparseRow(s: SparseVector): Uint8Array {
  // Decoded straight into these bytes (sparse.ts): checked there for order and range.
  const packed = PackedSparse.rowOf(s);
  if (packed) return packed;
  const out = Buffer.allocUnsafe(s.indices.length * 8);
  for (let i = 0; i < s.indices.length; i++) {
    const index = s.indices[i]!;
    // Milvus takes indices below 2^32 - 1 (the SDK's sparseToBytes refuses the rest too).
    if (!(index >= 0 && index < 0xffffffff)) throw systemError('SINK_SPARSE_INDEX', `Sparse index ${index} is outside what Milvus holds (0 to 2^32-2).`);
    out.writeUInt32LE(index, i * 8);
    out.writeFloatLE(s.values[i]!, i * 8 + 4);
  }
  return out;
}
