/**
 * Qdrant REST JSON (already parsed losslessly, see rest-json.ts) → the glossary types. Pure.
 */
import { toPointId } from '../core/ids.ts';
import { setOwn } from '../core/own.ts';
import {
  UNNAMED_VECTOR,
  type Distance,
  type JsonObject,
  type PayloadFieldSchema,
  type Point,
  type QdrantDatatype,
  type VectorValue,
} from '../core/types.ts';
import type { CollectionConfig } from './transport.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Vector components are floats; a bigint could only come from a non-float token, keep it numeric. */
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const nums = (v: unknown): number[] => (v as unknown[]).map(num);

/** One REST vector value: dense array, multivector (array of arrays) or sparse {indices, values}. */
export function restVectorValue(v: unknown): VectorValue {
  if (Array.isArray(v)) {
    return v.length > 0 && Array.isArray(v[0]) ? v.map(nums) : nums(v);
  }
  if (isObj(v) && Array.isArray(v.indices) && Array.isArray(v.values)) {
    return { indices: nums(v.indices), values: nums(v.values) };
  }
  throw new TypeError(`Unrecognised vector value: ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))?.slice(0, 80)}`);
}

/** REST `vector` field: absent/null → none, bare array → unnamed, object → named vectors. */
export function restVectors(vector: unknown): Record<string, VectorValue> {
  if (vector === undefined || vector === null) return {};
  if (Array.isArray(vector)) return { [UNNAMED_VECTOR]: restVectorValue(vector) };
  if (!isObj(vector)) throw new TypeError('Point vector is neither an array nor an object');
  const out: Record<string, VectorValue> = {};
  for (const [name, value] of Object.entries(vector)) {
    if (value !== null && value !== undefined) setOwn(out, name, restVectorValue(value));
  }
  return out;
}

/** One REST Record → Point. Ids become bigint or lowercase UUID. */
export function restPoint(record: unknown): Point {
  if (!isObj(record)) throw new TypeError('Point record is not an object');
  return {
    id: toPointId(record.id),
    vectors: restVectors(record.vector),
    payload: isObj(record.payload) ? (record.payload as JsonObject) : {},
  };
}

const DISTANCES: readonly Distance[] = ['Cosine', 'Dot', 'Euclid', 'Manhattan'];
const DATATYPES: readonly QdrantDatatype[] = ['float32', 'float16', 'uint8', 'turbo4'];

function datatypeOf(v: unknown): QdrantDatatype {
  if (v === undefined || v === null) return 'float32';
  if (DATATYPES.includes(v as QdrantDatatype)) return v as QdrantDatatype;
  throw new TypeError(`Unknown vector datatype ${String(v)}`);
}

function distanceOf(v: unknown): Distance {
  if (DISTANCES.includes(v as Distance)) return v as Distance;
  throw new TypeError(`Unknown distance ${String(v)}`);
}

const optNum = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : num(v));

function hnswOf(own: unknown, collection: unknown): { m?: number; efConstruct?: number } {
  const o = isObj(own) ? own : {};
  const c = isObj(collection) ? collection : {};
  const m = optNum(o.m) ?? optNum(c.m);
  const efConstruct = optNum(o.ef_construct) ?? optNum(c.ef_construct);
  return { ...(m !== undefined ? { m } : {}), ...(efConstruct !== undefined ? { efConstruct } : {}) };
}

function denseVector(name: string, p: Obj, collectionHnsw: unknown): CollectionConfig['vectors'][number] {
  return {
    name,
    kind: isObj(p.multivector_config) ? 'multi' : 'dense',
    dim: num(p.size),
    datatype: datatypeOf(p.datatype),
    distance: distanceOf(p.distance),
    hnsw: hnswOf(p.hnsw_config, collectionHnsw),
  };
}

/** `GET /collections/{name}` result → vectors (sorted by name) and payload schema. */
export function restCollectionConfig(info: unknown): CollectionConfig {
  const config = isObj(info) && isObj(info.config) ? info.config : {};
  const params = isObj(config.params) ? config.params : {};
  const vectors: CollectionConfig['vectors'] = [];
  const dense = params.vectors;
  // A single VectorParams (the unnamed vector) has a numeric `size`; a map has objects as values.
  if (isObj(dense) && dense.size !== undefined && !isObj(dense.size)) {
    vectors.push(denseVector(UNNAMED_VECTOR, dense, config.hnsw_config));
  } else if (isObj(dense)) {
    for (const [name, p] of Object.entries(dense)) if (isObj(p)) vectors.push(denseVector(name, p, config.hnsw_config));
  }
  const sparse = isObj(params.sparse_vectors) ? params.sparse_vectors : {};
  for (const [name, p] of Object.entries(sparse)) {
    const sp = isObj(p) ? p : {};
    const index = isObj(sp.index) ? sp.index : {};
    vectors.push({
      name,
      kind: 'sparse',
      datatype: datatypeOf(index.datatype),
      sparseModifier: sp.modifier === 'idf' ? 'idf' : 'none',
    });
  }
  vectors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const payloadSchema: Record<string, PayloadFieldSchema> = {};
  const schema = isObj(info) && isObj(info.payload_schema) ? info.payload_schema : {};
  for (const [key, s] of Object.entries(schema)) {
    if (!isObj(s)) continue;
    const points = optNum(s.points);
    // `params` is absent for an index created by its bare type name, and null in some versions.
    const params = isObj(s.params) ? s.params : {};
    setOwn(payloadSchema, key, {
      dataType: String(s.data_type),
      ...(points !== undefined ? { points } : {}),
      ...(params.is_tenant === true && { isTenant: true }),
      ...(params.is_principal === true && { isPrincipal: true }),
    });
  }
  return { vectors, payloadSchema };
}
