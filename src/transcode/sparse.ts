/**
 * Sparse vectors straight into Milvus's row bytes (issue 12 §1). Qdrant sends a SparseVector as
 * packed float32 values (field 1) and packed uint32 varint indices (field 2); Milvus takes a row as
 * (uint32 index, float32 value) little-endian pairs, indices ascending (the SDK's sparseToBytes
 * writes the same). The decoder writes those pairs once, from the wire, while it reads the indices
 * (a value's four bytes are moved as an integer, never made a float); the Upsert encoder hands
 * them over unchanged (columns.ts sparseRow).
 *
 * The vector still reads as a plain SparseVector (mapping checks its lengths and dim, verify and
 * the SDK path read the numbers): `values` are read back from the pairs, one aligned load each.
 * Only a vector the row bytes describe exactly is packed: indices strictly ascending and below
 * 2^32 - 1, as many as the values. Anything else (unsorted, out of range, mismatched lengths,
 * unpacked or split fields) is left to the general decoder, so mapping and the encoder treat it
 * exactly as before.
 */
import { endianness } from 'node:os';
import type { ProtoReader } from '../core/protobuf.ts';
import type { SparseVector } from '../core/types.ts';
import type { FloatArena } from './arena.ts';

const littleEndian = endianness() === 'LE';

/** Milvus takes indices below 2^32 - 1 (the SDK's sparseToBytes refuses the rest). */
const MAX_INDEX = 0xfffffffe;

export class PackedSparse implements SparseVector {
  readonly #row: Uint8Array;

  constructor(
    readonly indices: number[],
    readonly values: number[],
    row: Uint8Array,
  ) {
    this.#row = row;
  }

  /** The Milvus row bytes of `s` when it is a PackedSparse (its pairs, as decoded); else undefined. */
  static rowOf(s: SparseVector): Uint8Array | undefined {
    return s instanceof PackedSparse ? s.#row : undefined;
  }
}

/**
 * SparseVector (values 1, indices 2) as a PackedSparse whose pairs live in `arena`; undefined when
 * the message is not the one packed values field and one packed indices field of a vector Milvus
 * holds as it stands (the caller then decodes it the general way, from the same start).
 */
export function packedSparse(r: ProtoReader, arena: FloatArena): PackedSparse | undefined {
  if (!littleEndian) return undefined;
  let vs = -1;
  let ve = -1;
  let is = -1;
  let ie = -1;
  while (r.next()) {
    const { field, wire } = r;
    if ((field === 1 || field === 2) && wire !== 2) return undefined;
    if (field === 1 && vs < 0) {
      r.delimited();
      vs = r.from;
      ve = r.to;
    } else if (field === 2 && is < 0) {
      r.delimited();
      is = r.from;
      ie = r.to;
    }
    else if (field === 1 || field === 2) return undefined;
    else r.skip(wire);
  }
  if (vs < 0 || is < 0 || (ve - vs) % 4 !== 0) return undefined;
  const n = (ve - vs) >> 2;
  if (n === 0) return undefined;
  const buf = r.buf;
  // Sized by what is left of the response: a pair (8 bytes) comes from at least 5 bytes of it.
  const pairs = arena.alloc(2 * n, 2 * (buf.length - vs));
  const words = new Uint32Array(pairs.buffer, pairs.byteOffset, 2 * n);
  const indices = new Array<number>(n);
  const values = new Array<number>(n);
  let at = is;
  let previous = -1;
  for (let i = 0; i < n; i++) {
    if (at >= ie) return undefined; // fewer indices than values
    // uint32 varint: at most 5 bytes.
    let index = 0;
    let scale = 1;
    for (;;) {
      if (at >= ie) return undefined;
      const b = buf[at++]!;
      index += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 35) return undefined;
    }
    if (index <= previous || index > MAX_INDEX) return undefined;
    previous = index;
    const v = vs + 4 * i;
    words[2 * i] = index;
    words[2 * i + 1] = (buf[v]! | (buf[v + 1]! << 8) | (buf[v + 2]! << 16) | (buf[v + 3]! << 24)) >>> 0;
    indices[i] = index;
    values[i] = pairs[2 * i + 1]!;
  }
  if (at !== ie) return undefined; // more indices than values
  return new PackedSparse(indices, values, new Uint8Array(pairs.buffer, pairs.byteOffset, 8 * n));
}
