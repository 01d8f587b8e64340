/**
 * Qdrant gRPC messages → the glossary types. Pure. Produces the same Points and CollectionConfig as
 * rest-convert.ts, except that vector components are the float32 values themselves (gRPC sends
 * binary float32; REST prints the shortest decimal): both denote the same float32.
 */
import {
  Datatype,
  Distance as GrpcDistance,
  Modifier,
  PayloadSchemaType,
  getVectorType,
  toDenseVector,
  toMultiDenseVector,
  toSparseVector,
  type CollectionInfo,
  type HnswConfigDiff,
  type PointId as GrpcPointId,
  type RetrievedPoint,
  type Value,
  type VectorOutput,
  type VectorParams,
} from '@qdrant/js-client-grpc';
import { toPointId } from '../core/ids.ts';
import { setOwn } from '../core/own.ts';
import {
  UNNAMED_VECTOR,
  type Distance,
  type JsonObject,
  type JsonValue,
  type PayloadFieldSchema,
  type Point,
  type PointId,
  type QdrantDatatype,
  type VectorValue,
} from '../core/types.ts';
import type { CollectionConfig } from './transport.ts';

export function fromGrpcId(id: GrpcPointId | undefined): PointId {
  return toPointId(id?.pointIdOptions.value);
}

export function toGrpcId(id: PointId): { pointIdOptions: { case: 'num'; value: bigint } | { case: 'uuid'; value: string } } {
  return typeof id === 'bigint' ? { pointIdOptions: { case: 'num', value: id } } : { pointIdOptions: { case: 'uuid', value: id } };
}

/** Payload integers arrive as int64 bigint: keep them as number when that is exact. */
export function fromGrpcValue(v: Value): JsonValue {
  const k = v.kind;
  switch (k.case) {
    case 'integerValue':
      return k.value >= BigInt(Number.MIN_SAFE_INTEGER) && k.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(k.value) : k.value;
    case 'doubleValue':
    case 'stringValue':
    case 'boolValue':
      return k.value;
    case 'structValue':
      return fromGrpcStruct(k.value.fields);
    case 'listValue':
      return k.value.values.map(fromGrpcValue);
    default:
      return null;
  }
}

export function fromGrpcStruct(fields: { [key: string]: Value }): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) setOwn(out, key, fromGrpcValue(value));
  return out;
}

/** VectorOutput's `vector` oneof, falling back to the deprecated data/indices/vectors_count fields
 *  (the client's helpers do both) for servers that still fill only those. */
export function fromGrpcVector(v: VectorOutput): VectorValue {
  switch (getVectorType(v)) {
    case 'dense':
      return [...(toDenseVector(v)?.data ?? [])];
    case 'sparse': {
      const s = toSparseVector(v);
      return { indices: [...(s?.indices ?? [])], values: [...(s?.values ?? [])] };
    }
    case 'multiDense':
      return (toMultiDenseVector(v)?.vectors ?? []).map((d) => [...d.data]);
    default:
      // An empty dense vector carries no data at all on the wire.
      return [];
  }
}

export function fromGrpcPoint(p: RetrievedPoint): Point {
  const vectors: Record<string, VectorValue> = {};
  const opts = p.vectors?.vectorsOptions;
  if (opts?.case === 'vector') vectors[UNNAMED_VECTOR] = fromGrpcVector(opts.value);
  else if (opts?.case === 'vectors') {
    for (const [name, v] of Object.entries(opts.value.vectors)) setOwn(vectors, name, fromGrpcVector(v));
  }
  return { id: fromGrpcId(p.id), vectors, payload: fromGrpcStruct(p.payload) };
}

const DISTANCE: Partial<Record<GrpcDistance, Distance>> = {
  [GrpcDistance.Cosine]: 'Cosine',
  [GrpcDistance.Dot]: 'Dot',
  [GrpcDistance.Euclid]: 'Euclid',
  [GrpcDistance.Manhattan]: 'Manhattan',
};
const DATATYPE: Record<Datatype, QdrantDatatype> = {
  [Datatype.Default]: 'float32',
  [Datatype.Float32]: 'float32',
  [Datatype.Float16]: 'float16',
  [Datatype.Uint8]: 'uint8',
  [Datatype.Turbo4]: 'turbo4',
};

function hnswOf(own: HnswConfigDiff | undefined, collection: HnswConfigDiff | undefined): { m?: number; efConstruct?: number } {
  const m = own?.m ?? collection?.m;
  const ef = own?.efConstruct ?? collection?.efConstruct;
  return { ...(m !== undefined ? { m: Number(m) } : {}), ...(ef !== undefined ? { efConstruct: Number(ef) } : {}) };
}

function denseVector(name: string, p: VectorParams, collectionHnsw: HnswConfigDiff | undefined): CollectionConfig['vectors'][number] {
  const distance = DISTANCE[p.distance];
  if (!distance) throw new TypeError(`Unknown distance ${p.distance} for vector "${name}"`);
  const datatype = DATATYPE[p.datatype ?? Datatype.Default];
  if (!datatype) throw new TypeError(`Unknown datatype ${String(p.datatype)} for vector "${name}"`);
  return {
    name,
    kind: p.multivectorConfig ? 'multi' : 'dense',
    dim: Number(p.size),
    datatype,
    distance,
    hnsw: hnswOf(p.hnswConfig, collectionHnsw),
  };
}

/** PayloadSchemaType enum → REST's lowercase name, so both transports report the same strings. */
const payloadTypeName = (t: PayloadSchemaType): string => (PayloadSchemaType[t] ?? 'unknown').toLowerCase();

export function grpcCollectionConfig(info: CollectionInfo): CollectionConfig {
  const params = info.config?.params;
  const collectionHnsw = info.config?.hnswConfig;
  const vectors: CollectionConfig['vectors'] = [];
  const cfg = params?.vectorsConfig?.config;
  if (cfg?.case === 'params') vectors.push(denseVector(UNNAMED_VECTOR, cfg.value, collectionHnsw));
  else if (cfg?.case === 'paramsMap') {
    for (const [name, p] of Object.entries(cfg.value.map)) vectors.push(denseVector(name, p, collectionHnsw));
  }
  for (const [name, p] of Object.entries(params?.sparseVectorsConfig?.map ?? {})) {
    vectors.push({
      name,
      kind: 'sparse',
      datatype: DATATYPE[p.index?.datatype ?? Datatype.Default] ?? 'float32',
      sparseModifier: p.modifier === Modifier.Idf ? 'idf' : 'none',
    });
  }
  vectors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const payloadSchema: Record<string, PayloadFieldSchema> = {};
  for (const [key, s] of Object.entries(info.payloadSchema)) {
    const params = s.params?.indexParams.value as { isTenant?: boolean; isPrincipal?: boolean } | undefined;
    setOwn(payloadSchema, key, {
      dataType: payloadTypeName(s.dataType),
      ...(s.points !== undefined ? { points: Number(s.points) } : {}),
      ...(params?.isTenant === true && { isTenant: true }),
      ...(params?.isPrincipal === true && { isPrincipal: true }),
    });
  }
  return { vectors, payloadSchema };
}
