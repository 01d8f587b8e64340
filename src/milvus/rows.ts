/**
 * Row ⇄ Milvus column data (schema.proto FieldData), built by hand instead of through the SDK's
 * row API, because that API loses data we must keep:
 *  - it deep-copies every row with JSON.parse(JSON.stringify(row)) (utils/Data.js buildDynamicRow),
 *    which throws on a bigint anywhere in the row and rounds payload integers above 2^53;
 *  - it encodes `$meta` with JSON.stringify and decodes query results with JSON.parse (lossy).
 * Here the payload is encoded with lossless-json (bigint → exact integer literal) and decoded with
 * integers outside the safe range as bigint; Int64 keys travel as decimal strings, which
 * protobufjs turns into exact int64 (results come back as strings: the SDK's loader uses longs: String).
 */
import { DataType, sparseToBytes, f32ArrayToF16Bytes, f16BytesToF32Array } from '@zilliz/milvus2-sdk-node';
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';
import type { CollectionPlan, DenseVector, JsonObject, Row, SparseVector, VectorFieldPlan } from '../core/types.ts';
import { systemError } from '../core/errors.ts';
import { setOwn } from '../core/own.ts';
import { packedPayloadOf } from '../core/packed-payload.ts';
import { decodeScalarColumn } from './decode-scalars.ts';
import { promotedFields, scalarBytes } from './encode-scalars.ts';

export const DYNAMIC_FIELD = '$meta';

/** One column of an Insert/Upsert request, in the shape the SDK's proto loader encodes. */
export type FieldData = Record<string, unknown> & { field_name: string };

/** A row with its payload already serialised (encoding once serves both size estimate and request). */
export interface EncodedRow {
  row: Row;
  /** The `$meta` JSON: the transcoder's own view of its page's buffer (a Uint8Array), else a Buffer made here. */
  meta: Uint8Array;
  /** Bytes this row adds to a request, roughly (protobuf framing is a few bytes per value). */
  bytes: number;
}

const perValueOverhead = 8;

/**
 * Payload JSON, exact for bigints, at native JSON.stringify speed: bigints are swapped for marked
 * strings (copying only the containers that hold one), stringified natively, then unquoted.
 * lossless-json's stringify gives the same text but walks every value in JS: it was the largest
 * single CPU cost of writing the `rich` payloads. A payload whose own strings or keys start with
 * the marker's NUL character takes that exact slow path, so no user text can be mistaken for one.
 */
const MARK = '\u0000q2m-bigint:';
const MARKED = /"\\u0000q2m-bigint:(-?\d+)"/g;

interface MarkState {
  bigints: boolean;
  clash: boolean;
}

function mark(value: unknown, state: MarkState): unknown {
  if (typeof value === 'bigint') {
    state.bigints = true;
    return MARK + value.toString();
  }
  if (typeof value === 'string') {
    if (value.charCodeAt(0) === 0) state.clash = true;
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const m = mark(value[i], state);
      if (m !== value[i]) (copy ??= value.slice())[i] = m;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | null = null;
  for (const key in value) {
    if (key.charCodeAt(0) === 0) state.clash = true;
    const item = (value as Record<string, unknown>)[key];
    const m = mark(item, state);
    if (m !== item) setOwn((copy ??= { ...(value as Record<string, unknown>) }), key, m);
  }
  return copy ?? value;
}

export function payloadJson(payload: JsonObject): string | undefined {
  const state: MarkState = { bigints: false, clash: false };
  const marked = mark(payload, state);
  if (state.clash) return stringify(payload);
  const text = JSON.stringify(marked);
  return state.bigints ? text.replace(MARKED, '$1') : text;
}

/** The row's `$meta` bytes: the transcoder's, where mapping kept them (src/core/packed-payload.ts), else serialised here. */
function metaBytes(row: Row): Uint8Array {
  const packed = packedPayloadOf(row);
  if (packed) return packed.json;
  const json = payloadJson(row.dynamic);
  if (json === undefined) throw systemError('SINK_PAYLOAD_ENCODING', `Payload of id ${String(row.id)} cannot be serialised.`);
  return Buffer.from(json, 'utf8');
}

export function encodeRow(plan: CollectionPlan, row: Row): EncodedRow {
  const meta = metaBytes(row);
  let bytes = meta.length + perValueOverhead + (typeof row.id === 'string' ? Buffer.byteLength(row.id) : 8) + perValueOverhead + scalarBytes(row.scalars);
  for (const v of plan.vectors) {
    const value = row.vectors[v.field];
    if (value == null) continue;
    if (v.type === 'SparseFloatVector') bytes += 8 * (value as SparseVector).indices.length + perValueOverhead;
    else if (v.type === 'Float16Vector') bytes += 2 * (value as DenseVector).length + perValueOverhead;
    else bytes += 4 * (value as DenseVector).length + perValueOverhead;
  }
  return { row, meta, bytes };
}

/** The Upsert request's `fields_data`: primary key, each vector field, `$meta`. */
export function buildColumns(plan: CollectionPlan, rows: EncodedRow[]): FieldData[] {
  const pk = plan.primaryKey;
  const ids = rows.map((r) => idValue(plan, r.row.id));
  const columns: FieldData[] = [
    pk.type === 'Int64'
      ? { type: DataType.Int64, field_name: pk.field, is_dynamic: false, scalars: { long_data: { data: ids } }, valid_data: [] }
      : { type: DataType.VarChar, field_name: pk.field, is_dynamic: false, scalars: { string_data: { data: ids } }, valid_data: [] },
  ];
  for (const v of plan.vectors) columns.push(vectorColumn(v, rows.map((r) => r.row.vectors[v.field] ?? null)));
  columns.push({
    type: DataType.JSON,
    field_name: DYNAMIC_FIELD,
    is_dynamic: true,
    scalars: { json_data: { data: rows.map((r) => r.meta) } },
    valid_data: [],
  });
  return columns;
}

function idValue(plan: CollectionPlan, id: bigint | string): string {
  if (plan.primaryKey.type === 'Int64') {
    if (typeof id !== 'bigint') throw systemError('SINK_ID_TYPE', `Int64 collection ${plan.target} got a non-integer id ${id}.`);
    return id.toString();
  }
  return typeof id === 'string' ? id : id.toString();
}

function vectorColumn(v: VectorFieldPlan, values: Array<unknown>): FieldData {
  // Nullable fields: valid_data marks each row, and the data holds only the present vectors.
  const present = values.filter((x) => x !== null);
  if (!v.nullable && present.length !== values.length) {
    throw systemError('SINK_MISSING_VECTOR', `A row lacks vector ${v.field}, which is not nullable in the plan.`);
  }
  const valid_data = v.nullable ? values.map((x) => x !== null) : [];
  const base = { field_name: v.field, is_dynamic: false, valid_data };
  switch (v.type) {
    case 'FloatVector':
      return { ...base, type: DataType.FloatVector, vectors: { dim: v.dim, float_vector: { data: (present as DenseVector[]).flatMap((x) => Array.from(x)) } } };
    case 'Float16Vector':
      return {
        ...base,
        type: DataType.Float16Vector,
        vectors: { dim: v.dim, float16_vector: Buffer.concat((present as DenseVector[]).map((x) => f32ArrayToF16Bytes(Array.from(x)))) },
      };
    case 'SparseFloatVector': {
      const sparse = present as SparseVector[];
      let dim = 0;
      for (const s of sparse) for (const i of s.indices) if (i + 1 > dim) dim = i + 1;
      const contents = sparse.map((s) => Buffer.from(sparseToBytes(sortedSparse(s))));
      return { ...base, type: DataType.SparseFloatVector, vectors: { dim, sparse_float_vector: { dim, contents } } };
    }
    default:
      throw systemError('SINK_UNSUPPORTED_TYPE', `Vector type ${v.type} of field ${v.field} is not supported by the sink.`);
  }
}

/** Milvus wants indices ascending; Qdrant returns them so, but a replayed or edited row may not. */
export function sortedSparse(s: SparseVector): SparseVector {
  let sorted = true;
  for (let i = 1; i < s.indices.length && sorted; i++) sorted = s.indices[i - 1]! < s.indices[i]!;
  if (sorted) return s;
  const order = s.indices.map((_, i) => i).sort((a, b) => s.indices[a]! - s.indices[b]!);
  return { indices: order.map((i) => s.indices[i]!), values: order.map((i) => s.values[i]!) };
}

/** A run of 16 digits: the only way a JSON text can hold an integer beyond 2^53 (in a string too: then the exact parser decides). */
const LONG_DIGITS = /\d{16}/;

/** Parses a `$meta` value: integers outside Number's safe range become bigint, the rest numbers. */
export function parsePayload(bytes: Buffer | Uint8Array | string): JsonObject {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.length === 0) return {};
  // Without such a run every number is one JSON.parse reads exactly (integers below 2^53, decimals
  // rounded the same way), at a third of lossless-json's cost per row (verify reads every row).
  if (!LONG_DIGITS.test(text)) return JSON.parse(text) as JsonObject;
  const value = parse(text, null, (s: string) => (isSafeNumber(s) || !isInteger(s) ? Number(s) : BigInt(s)));
  return value as JsonObject;
}

/** A raw query result column (loader options: longs as strings, enums as names, oneofs named). */
interface RawField {
  field_name: string;
  valid_data?: boolean[];
  scalars?: Record<string, unknown> & { data?: string };
  vectors?: Record<string, unknown> & { data?: string; dim?: string | number };
}

/** Query `fields_data` → Rows. `count` is the number of rows the server returned. */
export function decodeRows(plan: CollectionPlan, fields: RawField[]): Row[] {
  const byName = new Map(fields.map((f) => [f.field_name, f]));
  const pkField = byName.get(plan.primaryKey.field);
  if (!pkField?.scalars) return [];
  const pkKey = plan.primaryKey.type === 'Int64' ? 'long_data' : 'string_data';
  const ids = ((pkField.scalars[pkKey] as { data?: string[] } | undefined)?.data ?? []).map((s) =>
    plan.primaryKey.type === 'Int64' ? BigInt(s) : s,
  );
  const vectors = new Map(plan.vectors.map((v) => [v.field, decodeVectors(v, byName.get(v.field), ids.length)]));
  const metaField = byName.get(DYNAMIC_FIELD);
  const metas = ((metaField?.scalars?.json_data as { data?: Buffer[] } | undefined)?.data ?? []).map(parsePayload);
  const promoted = promotedFields(plan);
  const scalars = promoted.map((f) => decodeScalarColumn(f, byName.get(f.name), ids.length));
  return ids.map((id, i) => {
    const row: Row = {
      id,
      vectors: Object.fromEntries(plan.vectors.map((v) => [v.field, vectors.get(v.field)![i] ?? null])),
      dynamic: metas[i] ?? {},
    };
    if (promoted.length > 0) row.scalars = Object.fromEntries(promoted.map((f, k) => [f.name, scalars[k]![i] ?? null]));
    return row;
  });
}

function decodeVectors(v: VectorFieldPlan, f: RawField | undefined, n: number): Array<DenseVector | SparseVector | null> {
  if (!f?.vectors) return new Array<null>(n).fill(null);
  let physical: Array<DenseVector | SparseVector>;
  if (v.type === 'SparseFloatVector') {
    const contents = (f.vectors.sparse_float_vector as { contents?: Buffer[] } | undefined)?.contents ?? [];
    physical = contents.map(decodeSparse);
  } else if (v.type === 'Float16Vector') {
    const buf = f.vectors.float16_vector as Buffer;
    const dim = Number(f.vectors.dim);
    physical = [];
    for (let i = 0; i < buf.length; i += dim * 2) physical.push(Array.from(f16BytesToF32Array(buf.subarray(i, i + dim * 2))));
  } else {
    // One Float32Array copy from query-codec.ts (numbers from the SDK's loader): each row is a view
    // of it, never a JS number per float, so verify compares it with the source's packed float32
    // byte for byte (core/verify.ts compareNumbers). Callers read it as ArrayLike<number>.
    const data = (f.vectors.float_vector as { data?: number[] | Float32Array } | undefined)?.data ?? [];
    const flat = data instanceof Float32Array ? data : Float32Array.from(data);
    const dim = Number(f.vectors.dim);
    physical = [];
    for (let i = 0; i < flat.length; i += dim) physical.push(flat.subarray(i, i + dim));
  }
  const valid = f.valid_data ?? [];
  if (valid.length === 0 || valid.every(Boolean)) return physical;
  // Compact (only present vectors) or row-dense; Milvus has sent both.
  const dense = physical.length === valid.length;
  let k = 0;
  return valid.map((ok, i) => (ok ? (physical[dense ? i : k++] ?? null) : null));
}

/** Milvus sparse row bytes: (uint32 index, float32 value) little-endian pairs, sorted by index. */
export function decodeSparse(buf: Buffer | Uint8Array): SparseVector {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const indices: number[] = [];
  const values: number[] = [];
  for (let o = 0; o + 8 <= b.length; o += 8) {
    indices.push(b.readUInt32LE(o));
    values.push(b.readFloatLE(o + 4));
  }
  return { indices, values };
}
