/**
 * The vectors of a RetrievedPoint (points.proto VectorsOutput / VectorOutput), for grpc-scroll.ts.
 * With `arenas` (packed reads, src/transcode) a dense vector of 128+ components is a Float32Array
 * of the bytes Qdrant sent and a sparse vector is Milvus's row bytes; without, JS numbers, as the
 * official client's helpers read them.
 */
import type { ProtoReader, WireType } from '../core/protobuf.ts';
import { setOwn } from '../core/own.ts';
import { UNNAMED_VECTOR, type DenseVector, type VectorValue } from '../core/types.ts';
import type { FloatArena } from '../transcode/arena.ts';
import { packedSparse } from '../transcode/sparse.ts';

/** Where one response's packed vectors go: apart, so a page's dense vectors stay one contiguous column. */
export interface Arenas {
  dense: FloatArena;
  sparse: FloatArena;
}

/** Below this many components a Float32Array view costs more than the JS numbers it saves (rich's 16-64-d vectors measured slower). */
const PACKED_MIN_FLOATS = 128;

/** VectorsOutput: vector 1 (unnamed), vectors 2 (NamedVectorsOutput: map<string, VectorOutput> 1). */
export function readVectors(r: ProtoReader, arenas: Arenas | undefined): Record<string, VectorValue> {
  let out: Record<string, VectorValue> | undefined;
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) {
      const v = readVector(r.child(), arenas);
      // The unnamed vector, most often alone: a literal with its key is 32 B of heap, an object
      // grown from {} 56, kept as long as the page ('' is UNNAMED_VECTOR: `satisfies` checks it).
      if (out === undefined) out = { '': v } satisfies Record<typeof UNNAMED_VECTOR, VectorValue>;
      else out[UNNAMED_VECTOR] = v;
    } else if (field === 2 && wire === 2) {
      out ??= {};
      const named = r.child();
      while (named.next()) {
        if (named.field === 1 && named.wire === 2) readNamedVector(named.child(), out, arenas);
        else named.skip(named.wire);
      }
    } else r.skip(wire);
  }
  return out ?? {};
}

function readNamedVector(r: ProtoReader, into: Record<string, VectorValue>, arenas: Arenas | undefined): void {
  let name = '';
  let value: VectorValue = [];
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 2) value = readVector(r.child(), arenas);
    else r.skip(wire);
  }
  setOwn(into, name, value);
}

/**
 * VectorOutput: the `vector` oneof (dense 101, sparse 102, multi_dense 103) wins; otherwise the
 * deprecated data 1 / indices 2 / vectors_count 3, read the way the official client's helpers do.
 */
function readVector(r: ProtoReader, arenas: Arenas | undefined): VectorValue {
  // The deprecated fields' places, made only when there are some (most vectors are one oneof field).
  let legacy: Array<[number, WireType]> | undefined;
  let indices: number[] | undefined;
  let count = 0;
  while (r.next()) {
    const { field, wire } = r;
    const at = r.pos;
    if (field === 101 && wire === 2) return arenas ? packedDense(r.child(), arenas.dense) : repeatedFloats(r.child(), 1);
    if (field === 102 && wire === 2) return arenas ? packedOrPlainSparse(r.child(), arenas.sparse) : readSparse(r.child());
    if (field === 103 && wire === 2) return readMulti(r.child());
    if (field === 1) (legacy ??= []).push([at, wire]);
    else if (field === 2 && wire === 2) indices = repeatedUints(r.child(), 1);
    else if (field === 3 && wire === 0) count = r.varint();
    r.pos = at;
    r.skip(wire);
  }
  let data: number[] = [];
  for (const [at, wire] of legacy ?? []) {
    r.pos = at;
    data = r.floats(wire, data);
  }
  if (data.length === 0) return [];
  if (indices) return { indices, values: data };
  if (count > 0) {
    const size = data.length / count;
    return Array.from({ length: count }, (_, i) => data.slice(i * size, (i + 1) * size));
  }
  return data;
}

/** Every occurrence of repeated float field `n` (packed or not) of one message. */
function repeatedFloats(r: ProtoReader, n: number): number[] {
  let out: number[] = [];
  while (r.next()) {
    const { field, wire } = r;
    if (field === n) out = r.floats(wire, out);
    else r.skip(wire);
  }
  return out;
}

/**
 * DenseVector (data 1) as a Float32Array of its packed bytes: one memcpy, no per-float work. A
 * short vector, or a sender that splits the field or writes it unpacked (legal protobuf, not what
 * Qdrant does), gets the general reader (number[]).
 */
function packedDense(r: ProtoReader, into: FloatArena): DenseVector {
  const start = r.pos;
  const bytes = r.sole(1) ? r.to - r.from : -1;
  if (bytes % 4 !== 0 || bytes < PACKED_MIN_FLOATS * 4) {
    r.pos = start;
    return repeatedFloats(r, 1);
  }
  return into.take(r.buf, r.from, r.to, r.buf.length - r.from);
}

function repeatedUints(r: ProtoReader, n: number): number[] {
  const out: number[] = [];
  while (r.next()) {
    const { field, wire } = r;
    if (field === n) r.uints(wire, out);
    else r.skip(wire);
  }
  return out;
}

/** Sparse as Milvus's row bytes where it can be (src/transcode/sparse.ts), else as numbers. */
function packedOrPlainSparse(r: ProtoReader, into: FloatArena): VectorValue {
  const start = r.pos;
  const packed = packedSparse(r, into);
  if (packed) return packed;
  r.pos = start;
  return readSparse(r);
}

/** SparseVector: values 1 (float), indices 2 (uint32). */
function readSparse(r: ProtoReader): VectorValue {
  let values: number[] = [];
  const indices: number[] = [];
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1) values = r.floats(wire, values);
    else if (field === 2) r.uints(wire, indices);
    else r.skip(wire);
  }
  return { indices, values };
}

/** MultiDenseVector: vectors 1 (DenseVector: data 1). */
function readMulti(r: ProtoReader): VectorValue {
  const out: number[][] = [];
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) out.push(repeatedFloats(r.child(), 1));
    else r.skip(wire);
  }
  return out;
}
