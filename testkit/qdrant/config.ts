/**
 * Collection configuration: the REST body of `PUT /collections/{name}` (CreateCollectionBody), its
 * validation, and the `config` object Qdrant 1.19 reports back in collection info, with Qdrant's
 * defaults filled in.
 */
import type { JsonObject } from '../../src/core/types.ts';
import { formatError, wrongInput } from './errors.ts';

export type Distance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';
export type Datatype = 'float32' | 'float16' | 'uint8';

export interface VectorParams {
  size: number;
  distance: Distance;
  hnsw_config?: Record<string, unknown> | null;
  quantization_config?: Record<string, unknown> | null;
  on_disk?: boolean | null;
  datatype?: Datatype | null;
  multivector_config?: { comparator: 'max_sim' } | null;
}

export interface SparseVectorParams {
  index?: Record<string, unknown> | null;
  modifier?: 'none' | 'idf' | null;
}

/** REST JSON of `PUT /collections/{name}`; fields the test server does not model are kept as given. */
export interface CreateCollectionBody {
  vectors?: VectorParams | Record<string, VectorParams>;
  sparse_vectors?: Record<string, SparseVectorParams> | null;
  hnsw_config?: Record<string, unknown> | null;
  optimizers_config?: Record<string, unknown> | null;
  wal_config?: Record<string, unknown> | null;
  quantization_config?: Record<string, unknown> | null;
  on_disk_payload?: boolean | null;
  shard_number?: number | null;
  replication_factor?: number | null;
  write_consistency_factor?: number | null;
  metadata?: JsonObject | null;
  [extra: string]: unknown;
}

/** One vector of a collection, as the store uses it. `name` is '' for the unnamed vector. */
export type VectorConfig =
  | { kind: 'dense' | 'multi'; name: string; size: number; distance: Distance; datatype: Datatype }
  | { kind: 'sparse'; name: string };

export interface CollectionConfig {
  /** True when `vectors` is a single VectorParams: points carry `vector` as a bare array. */
  unnamedOnly: boolean;
  vectors: Map<string, VectorConfig>;
  body: CreateCollectionBody;
}

const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
const DATATYPES = ['float32', 'float16', 'uint8'];

function isVectorParams(v: unknown): v is VectorParams {
  return typeof v === 'object' && v !== null && 'size' in v;
}

/**
 * `vectors` is an untagged enum in Qdrant (one VectorParams, or a map of them) whose `size` is a
 * non-zero integer: serde reports any bad member (size 0, unknown distance or datatype, a missing
 * field) as the enum as a whole, with no detail (probed on Qdrant 1.19).
 */
function checkVectorParams(p: unknown): VectorParams {
  const bad = () => formatError('data did not match any variant of untagged enum VectorsConfig');
  if (typeof p !== 'object' || p === null) throw bad();
  const params = p as VectorParams;
  const size = params.size as unknown;
  if (!DISTANCES.includes(params.distance) || typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw bad();
  if (params.datatype != null && !DATATYPES.includes(params.datatype)) throw bad();
  return { ...params, size };
}

/** Validates a create body and derives the store's view of its vectors. */
export function parseCollectionConfig(body: CreateCollectionBody): CollectionConfig {
  const vectors = new Map<string, VectorConfig>();
  const dense = body.vectors ?? {};
  const unnamedOnly = isVectorParams(dense);
  const entries: Array<[string, unknown]> = unnamedOnly ? [['', dense]] : Object.entries(dense);
  for (const [name, raw] of entries) {
    const p = checkVectorParams(raw);
    const kind = p.multivector_config ? 'multi' : 'dense';
    vectors.set(name, { kind, name, size: p.size, distance: p.distance, datatype: p.datatype ?? 'float32' });
  }
  for (const name of Object.keys(body.sparse_vectors ?? {})) {
    if (vectors.has(name)) throw wrongInput(`Vector name \`${name}\` is used for both dense and sparse vectors`);
    vectors.set(name, { kind: 'sparse', name });
  }
  return { unnamedOnly, vectors, body };
}

/** Drops null and undefined members, as Qdrant's serializer skips unset options. */
function compact(obj: object): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v as JsonObject[string];
  return out;
}

function vectorParamsOut(p: VectorParams): JsonObject {
  const { size, distance, hnsw_config, quantization_config, on_disk, datatype, multivector_config } = p;
  return compact({ size, distance, hnsw_config, quantization_config, on_disk, datatype, multivector_config });
}

const HNSW_DEFAULTS = { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false };
const OPTIMIZER_DEFAULTS = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  memmap_threshold: null,
  indexing_threshold: 10000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
  prevent_unoptimized: null,
};
const WAL_DEFAULTS = { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 };

export const DEFAULT_INDEXING_THRESHOLD_KB = OPTIMIZER_DEFAULTS.indexing_threshold;

/** The `config` member of REST CollectionInfo. */
export function collectionConfigOut(config: CollectionConfig): JsonObject {
  const { body } = config;
  const vectorsOut = config.unnamedOnly
    ? vectorParamsOut(body.vectors as VectorParams)
    : Object.fromEntries(Object.entries(body.vectors ?? {}).map(([n, p]) => [n, vectorParamsOut(p as VectorParams)]));
  const params: JsonObject = {
    vectors: vectorsOut,
    shard_number: body.shard_number ?? 1,
    replication_factor: body.replication_factor ?? 1,
    write_consistency_factor: body.write_consistency_factor ?? 1,
    on_disk_payload: body.on_disk_payload ?? true,
  };
  if (body.sparse_vectors) {
    params.sparse_vectors = Object.fromEntries(
      Object.entries(body.sparse_vectors).map(([n, p]) => [n, compact(p ?? {})]),
    );
  }
  const out: JsonObject = {
    params,
    hnsw_config: { ...HNSW_DEFAULTS, ...compact(body.hnsw_config ?? {}) },
    optimizer_config: { ...OPTIMIZER_DEFAULTS, ...compact(body.optimizers_config ?? {}) },
    wal_config: { ...WAL_DEFAULTS, ...compact(body.wal_config ?? {}) },
    quantization_config: (body.quantization_config as JsonObject | undefined) ?? null,
  };
  // Qdrant 1.19 reports strict_mode_config only when the collection was created with one.
  if (body.strict_mode_config) out.strict_mode_config = body.strict_mode_config as JsonObject;
  if (body.metadata) out.metadata = body.metadata;
  return out;
}
