/**
 * gRPC ↔ REST-JSON conversions for the values every RPC carries: point ids, payload `Value`s,
 * vectors and selectors. Messages are plain objects as @grpc/proto-loader gives and takes them
 * (keepCase, longs as decimal strings, enums as names, `oneofs: true` naming the set member).
 */
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import { setOwn } from '../../src/core/own.ts';
import type { RestPointId } from '../datasets/types.ts';
import { formatError } from './errors.ts';

/** A message as proto-loader decodes it: any field may be missing. */
export type Msg = Record<string, unknown>;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

export function asMsg(v: unknown): Msg | undefined {
  return v !== null && typeof v === 'object' ? (v as Msg) : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** uint64/int64 fields arrive as decimal strings (longs: String); null when unset. */
export function toBigint(v: unknown): bigint | null {
  if (typeof v === 'string' && v !== '') return BigInt(v);
  if (typeof v === 'number') return BigInt(v);
  return null;
}

export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return undefined;
}

/** A JSON integer as the store keeps it: a number when safe, else a bigint. */
function jsonInteger(big: bigint): number | bigint {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

// ---- point ids ----

/** gRPC PointId → the store's request shape (bigint for integers, string for UUIDs). */
export function idFromGrpc(id: unknown): bigint | string {
  const m = asMsg(id);
  if (m?.point_id_options === 'num') return toBigint(m.num) ?? 0n;
  if (m?.point_id_options === 'uuid' && typeof m.uuid === 'string') return m.uuid;
  throw formatError('point id is missing: set `num` or `uuid`');
}

export function idToGrpc(id: RestPointId): Msg {
  return typeof id === 'string' ? { uuid: id } : { num: BigInt(id).toString() };
}

// ---- payload values ----

export function valueFromGrpc(v: unknown): JsonValue {
  const m = asMsg(v) ?? {};
  switch (m.kind) {
    case 'integer_value':
      return jsonInteger(toBigint(m.integer_value) ?? 0n);
    case 'double_value':
      return toNumber(m.double_value) ?? 0;
    case 'string_value':
      return String(m.string_value);
    case 'bool_value':
      return m.bool_value === true;
    case 'struct_value':
      return structFromGrpc(asMsg(m.struct_value)?.fields);
    case 'list_value':
      return asArray(asMsg(m.list_value)?.values).map(valueFromGrpc);
    default:
      // null_value, and an empty Value (Qdrant reads a Value with no kind as null too).
      return null;
  }
}

/** A `map<string, Value>` (payload, Struct.fields) → JSON object. */
export function structFromGrpc(fields: unknown): JsonObject {
  const out: JsonObject = {};
  // setOwn: a payload key `__proto__` is data, as in Qdrant (plain assignment would drop it).
  for (const [k, v] of Object.entries(asMsg(fields) ?? {})) setOwn(out, k, valueFromGrpc(v));
  return out;
}

/**
 * JSON → Value, as Qdrant's serde_json conversion does it: integers that fit i64 become
 * integer_value; other numbers (floats, integers in 2^63..2^64-1) become double_value.
 */
export function valueToGrpc(v: JsonValue | undefined): Msg {
  if (v === null || v === undefined) return { null_value: 'NULL_VALUE' };
  if (typeof v === 'boolean') return { bool_value: v };
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'bigint') {
    return v >= I64_MIN && v <= I64_MAX ? { integer_value: v.toString() } : { double_value: Number(v) };
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) && Number.isSafeInteger(v) ? { integer_value: String(v) } : { double_value: v };
  }
  if (Array.isArray(v)) return { list_value: { values: v.map(valueToGrpc) } };
  return { struct_value: { fields: structToGrpc(v) } };
}

export function structToGrpc(obj: JsonObject | null | undefined): Record<string, Msg> {
  const out: Record<string, Msg> = {};
  for (const [k, v] of Object.entries(obj ?? {})) setOwn(out, k, valueToGrpc(v));
  return out;
}

// ---- vectors ----

function floats(v: unknown): number[] {
  return asArray(v).map((x) => Number(x));
}

/** gRPC `Vector` (new oneof or the deprecated data/indices/vectors_count) → REST vector. */
export function vectorFromGrpc(v: unknown): unknown {
  const m = asMsg(v) ?? {};
  switch (m.vector) {
    case 'dense':
      return floats(asMsg(m.dense)?.data);
    case 'sparse':
      return { indices: floats(asMsg(m.sparse)?.indices), values: floats(asMsg(m.sparse)?.values) };
    case 'multi_dense':
      return asArray(asMsg(m.multi_dense)?.vectors).map((d) => floats(asMsg(d)?.data));
    case 'document':
    case 'image':
    case 'object':
      throw formatError('inference objects are not supported by the test server');
  }
  const data = floats(m.data);
  const indices = asMsg(m.indices);
  if (indices) return { indices: floats(indices.data), values: data };
  const rows = toNumber(m.vectors_count);
  if (rows && rows > 0) {
    const dim = data.length / rows;
    return Array.from({ length: rows }, (_, i) => data.slice(i * dim, (i + 1) * dim));
  }
  return data;
}

/** gRPC `Vectors` (one unnamed vector or a map of named ones) → REST `vector` field. */
export function vectorsFromGrpc(v: unknown): unknown {
  const m = asMsg(v);
  if (!m) return undefined;
  if (m.vectors_options === 'vector') return vectorFromGrpc(m.vector);
  const named = asMsg(asMsg(m.vectors)?.vectors) ?? {};
  return Object.fromEntries(Object.entries(named).map(([k, x]) => [k, vectorFromGrpc(x)]));
}

function isSparse(v: unknown): v is { indices: number[]; values: number[] } {
  return asMsg(v) !== undefined && !Array.isArray(v) && Array.isArray((v as Msg).indices);
}

/**
 * REST vector → `VectorOutput`: only the 1.19 oneof (`dense` / `sparse` / `multi_dense`), as real
 * Qdrant 1.19 sends it (it leaves the deprecated `data` / `indices` / `vectors_count` empty), so a
 * client that reads only the deprecated fields fails here as it would against Qdrant.
 */
export function vectorToGrpc(v: unknown): Msg {
  if (isSparse(v)) {
    const { indices, values } = v;
    return { sparse: { values, indices } };
  }
  const arr = asArray(v);
  if (arr.length > 0 && Array.isArray(arr[0])) {
    const rows = arr as number[][];
    return { multi_dense: { vectors: rows.map((data) => ({ data })) } };
  }
  return { dense: { data: arr } };
}

/** REST point `vector` (array = unnamed, object = named) → `VectorsOutput`. */
export function vectorsToGrpc(v: unknown): Msg | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return { vector: vectorToGrpc(v) };
  const named = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, vectorToGrpc(x)]);
  return { vectors: { vectors: Object.fromEntries(named) } };
}

// ---- selectors ----

/** WithPayloadSelector → REST `with_payload` (true / false / [keys] / {exclude: [keys]}). */
export function withPayloadFromGrpc(sel: unknown, fallback: boolean): unknown {
  const m = asMsg(sel);
  switch (m?.selector_options) {
    case 'enable':
      return m.enable === true;
    case 'include':
      return asArray(asMsg(m.include)?.fields);
    case 'exclude':
      return { exclude: asArray(asMsg(m.exclude)?.fields) };
    default:
      return fallback;
  }
}

/** WithVectorsSelector → REST `with_vector` (true / false / [names]); absent means false. */
export function withVectorsFromGrpc(sel: unknown): unknown {
  const m = asMsg(sel);
  if (m?.selector_options === 'enable') return m.enable === true;
  if (m?.selector_options === 'include') return asArray(asMsg(m.include)?.names);
  return false;
}
