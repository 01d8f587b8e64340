/**
 * Shapes shared by the dataset generator and the Qdrant test server (store, REST, gRPC).
 * Everything here is in Qdrant's REST JSON shape, because that is the shape the store speaks.
 */
import type { JsonObject } from '../../src/core/types.ts';

/** A point id as REST JSON carries it: unsigned integer (bigint above 2^53) or UUID string. */
export type RestPointId = number | bigint | string;

/** One point in the body shape of `PUT /collections/{name}/points`. */
export interface RestPoint {
  id: RestPointId;
  /** number[] (unnamed), or { name: number[] | {indices, values} | number[][] } (named). */
  vector?: unknown;
  payload?: JsonObject | null;
}

export interface RestVectorParams {
  size: number;
  distance: 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';
  datatype?: 'float32' | 'float16' | 'uint8';
  multivector_config?: { comparator: 'max_sim' };
  hnsw_config?: { m?: number; ef_construct?: number };
  on_disk?: boolean;
}

export interface RestSparseVectorParams {
  modifier?: 'none' | 'idf';
  index?: { on_disk?: boolean; datatype?: 'float32' | 'float16' | 'uint8' };
}

/** Body of `PUT /collections/{name}` (the subset the generator and the test server use). */
export interface CreateCollectionBody {
  /** One RestVectorParams (the unnamed vector) or a map of named vectors. */
  vectors?: RestVectorParams | Record<string, RestVectorParams>;
  sparse_vectors?: Record<string, RestSparseVectorParams>;
  shard_number?: number;
  replication_factor?: number;
  on_disk_payload?: boolean;
  hnsw_config?: { m?: number; ef_construct?: number; full_scan_threshold?: number };
  [key: string]: unknown;
}

export interface PayloadIndexSpec {
  field_name: string;
  /** REST `field_schema`: a type name like "keyword", or an object with `type` and params. */
  field_schema: unknown;
}

export interface Dataset {
  /** Collection name the dataset is meant to be loaded into. */
  collection: string;
  config: CreateCollectionBody;
  payloadIndexes?: PayloadIndexSpec[];
  count: number;
  /** Generates the points afresh on every call (lazily: nothing is kept in memory). */
  points(): Iterable<RestPoint>;
}
