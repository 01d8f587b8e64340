/**
 * Upsert / Insert request bytes (milvus.proto UpsertRequest, schema.proto FieldData), encoded here
 * instead of by the SDK's protobufjs.
 *
 * Why: protobufjs turns a FloatVector column into protobuf one float at a time (fromObject copies
 * each element, then one writer call per float). Measured on 768-d rows that cost ~0.3-0.4 ms of
 * CPU per row, more than everything else in a migration together. Here a float column is one
 * Float32Array whose bytes are the packed field as they stand (for vectors read over gRPC, the very
 * bytes Qdrant sent: src/transcode); ids, strings and payload bytes are written once, into buffers
 * that are concatenated a single time.
 *
 * Same columns as rows.ts buildColumns (which stays the readable reference): tests decode these
 * bytes with the SDK's own deserializer and compare with the SDK's encoding of buildColumns.
 */
import { DataType } from '@zilliz/milvus2-sdk-node';
import { systemError } from '../core/errors.ts';
import { ProtoWriter as Message } from '../core/protobuf.ts';
import type { CollectionPlan, DenseVector, SparseVector, VectorFieldPlan } from '../core/types.ts';
import { float16Column, float32Column, sparseRow } from '../transcode/index.ts';
import { scalarColumns } from './encode-scalars.ts';
import { DYNAMIC_FIELD, sortedSparse, type EncodedRow } from './rows.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Packed int64 of the Int64 primary keys (bigints, 0 to 2^63 - 1), without a string per key. */
function packedInt64(values: readonly bigint[]): Uint8Array {
  const out = Buffer.allocUnsafe(values.length * 10);
  let o = 0;
  for (const id of values) {
    // Below 2^53 a double is exact and its arithmetic is cheap; beyond, bigint arithmetic.
    if (id >= 0n && id <= MAX_SAFE) {
      let v = Number(id);
      while (v >= 0x80) {
        out[o++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      out[o++] = v;
    } else {
      let v = BigInt.asUintN(64, id);
      while (v >= 0x80n) {
        out[o++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      out[o++] = Number(v);
    }
  }
  return out.subarray(0, o);
}

/**
 * A repeated bytes/string field (`field` 1 of StringArray, JSONArray, SparseFloatArray) as one
 * chunk: tag, length and bytes of every item written into one buffer, instead of three parts per
 * row for the message writer to lay out (a page's `$meta` column is hundreds of rows).
 */
function repeatedBytes(items: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const b of items) size += 1 + varintSize(b.length) + b.length;
  const out = scratch.take(size);
  let o = 0;
  for (const b of items) {
    out[o++] = 0x0a; // field 1, length-delimited
    let n = b.length;
    while (n >= 0x80) {
      out[o++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[o++] = n;
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/**
 * Where a request's intermediate chunks (the repeatedBytes above) live until the request is laid
 * out: one buffer reused by every encodeWriteRequest call (it is synchronous, and the request is
 * copied out before it returns). Made fresh per page, the `$meta` column alone was ~0.2 MB of
 * external memory per 768-d page for the GC to find: with the request itself, what made V8 run a
 * full mark-compact every second or two of a migrate (--trace-gc, "external memory pressure").
 */
class Scratch {
  private buf = Buffer.allocUnsafeSlow(SCRATCH_KEPT);
  private used = 0;

  reset(): void {
    this.used = 0;
    // A rare huge request (32k-dim rows, 64 KB payloads) must not stay resident.
    if (this.buf.length > SCRATCH_KEPT) this.buf = Buffer.allocUnsafeSlow(SCRATCH_KEPT);
  }

  take(n: number): Buffer {
    if (this.used + n > this.buf.length) {
      // Chunks already handed out keep the old buffer alive until the request is laid out.
      this.buf = Buffer.allocUnsafeSlow(Math.max(n, 2 * this.buf.length));
      this.used = 0;
    }
    const out = this.buf.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }
}

const SCRATCH_KEPT = 4 * 2 ** 20;
const scratch = new Scratch();

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

function packedBools(values: boolean[]): Uint8Array {
  return Uint8Array.from(values, (v) => (v ? 1 : 0));
}

/** FieldData header: type, name, dynamic flag, validity (fields 1, 2, 6, 7) around the data field. */
function fieldData(type: number, name: string, data: { field: 3 | 4; message: Message }, dynamic: boolean, valid: boolean[]): Message {
  const m = new Message().uint(1, type).string(2, name).message(data.field, data.message);
  if (dynamic) m.uint(6, 1);
  if (valid.length > 0) m.bytes(7, packedBools(valid));
  return m;
}

function primaryKeyField(plan: CollectionPlan, rows: EncodedRow[]): Message {
  const pk = plan.primaryKey;
  const scalars = new Message();
  if (pk.type === 'Int64') {
    const ids = rows.map((r) => {
      if (typeof r.row.id !== 'bigint') throw systemError('SINK_ID_TYPE', `Int64 collection ${plan.target} got a non-integer id ${r.row.id}.`);
      return r.row.id;
    });
    scalars.message(3, new Message().bytes(1, packedInt64(ids)));
    return fieldData(DataType.Int64, pk.field, { field: 3, message: scalars }, false, []);
  }
  const strings = rows.map((r) => Buffer.from(typeof r.row.id === 'string' ? r.row.id : r.row.id.toString(), 'utf8'));
  scalars.message(6, new Message().raw(repeatedBytes(strings)));
  return fieldData(DataType.VarChar, pk.field, { field: 3, message: scalars }, false, []);
}

function vectorField(v: VectorFieldPlan, rows: EncodedRow[]): Message {
  const values = rows.map((r) => r.row.vectors[v.field] ?? null);
  // Nullable fields: valid_data marks each row, and the data holds only the present vectors.
  const present = values.filter((x) => x !== null);
  if (!v.nullable && present.length !== values.length) {
    throw systemError('SINK_MISSING_VECTOR', `A row lacks vector ${v.field}, which is not nullable in the plan.`);
  }
  const valid = v.nullable ? values.map((x) => x !== null) : [];
  const vf = new Message();
  switch (v.type) {
    case 'FloatVector':
      // Float32Array views of the bytes Qdrant sent (src/transcode) go through as those bytes.
      vf.uint(1, v.dim ?? 0).message(2, new Message().bytes(1, float32Column(present as DenseVector[], v.dim ?? 0)));
      return fieldData(DataType.FloatVector, v.field, { field: 4, message: vf }, false, valid);
    case 'Float16Vector': {
      vf.uint(1, v.dim ?? 0).bytes(4, float16Column(present as DenseVector[], v.dim ?? 0));
      return fieldData(DataType.Float16Vector, v.field, { field: 4, message: vf }, false, valid);
    }
    case 'SparseFloatVector': {
      const sparse = present as SparseVector[];
      let dim = 0;
      for (const s of sparse) for (const i of s.indices) if (i + 1 > dim) dim = i + 1;
      const contents = new Message().raw(repeatedBytes(sparse.map((s) => sparseRow(sortedSparse(s)))));
      contents.uint(2, dim);
      vf.uint(1, dim).message(6, contents);
      return fieldData(DataType.SparseFloatVector, v.field, { field: 4, message: vf }, false, valid);
    }
    default:
      throw systemError('SINK_UNSUPPORTED_TYPE', `Vector type ${v.type} of field ${v.field} is not supported by the sink.`);
  }
}


function dynamicField(rows: EncodedRow[]): Message {
  const json = new Message().raw(repeatedBytes(rows.map((r) => r.meta)));
  return fieldData(DataType.JSON, DYNAMIC_FIELD, { field: 3, message: new Message().message(9, json) }, true, []);
}

/**
 * One Upsert (or Insert: the fields used here have the same numbers in both) request:
 * db_name (2), collection_name (3), fields_data (5), num_rows (7).
 *
 * `alloc` gives the buffer the request is laid out in (at least `size` bytes; the writer passes
 * reused ones, see writer.ts RequestBuffers); the result is its first `size` bytes. Default: a
 * fresh buffer.
 */
export function encodeWriteRequest(database: string, plan: CollectionPlan, rows: EncodedRow[], alloc?: (size: number) => Buffer): Buffer {
  scratch.reset();
  const req = new Message().string(2, database).string(3, plan.target);
  req.message(5, primaryKeyField(plan, rows));
  for (const v of plan.vectors) req.message(5, vectorField(v, rows));
  // Promoted payload keys (issue 10): encode-scalars.ts.
  for (const column of scalarColumns(plan, rows)) req.message(5, column);
  req.message(5, dynamicField(rows));
  req.uint(7, rows.length);
  if (!alloc) return req.toBuffer();
  const out = alloc(req.size).subarray(0, req.size);
  req.writeInto(out, 0);
  return out;
}
