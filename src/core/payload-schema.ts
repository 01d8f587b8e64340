/**
 * Payload keys as typed Milvus fields (issue 10): the shared vocabulary of discovery (src/qdrant),
 * planning (src/mapping), schema DDL and encoding (src/milvus), verify (src/core) and the console.
 *
 * - PayloadKeyStats: what the source tells about one top-level payload key: its Qdrant payload
 *   index (payload_schema) and what a spread sample of points holds under it.
 * - PayloadKeyPlan: what the plan does with that key: keep it in the dynamic field (`$meta`),
 *   optionally with a JSON path index, or promote it to a typed, nullable scalar field.
 * - ScalarCapabilities: what the target accepted when probed (types, index types per type, JSON
 *   path index, analyzers/match, partition key). plan() reads only this, never a version string.
 */
/** Qdrant payload index types (payload_schema[key].data_type). */
export type QdrantPayloadIndex = 'keyword' | 'integer' | 'float' | 'bool' | 'datetime' | 'uuid' | 'text' | 'geo';

/** JSON kinds as observed in sampled payload values. `integer` = a JSON number without fraction. */
export type JsonKind = 'string' | 'integer' | 'float' | 'bool' | 'object' | 'array' | 'null';

export interface PayloadKeyStats {
  /** Top-level payload key, as Qdrant holds it (not sanitised). */
  key: string;
  /** Qdrant payload index on this key, from payload_schema; absent: not indexed. */
  index?: {
    type: QdrantPayloadIndex;
    /** keyword/uuid index with `is_tenant: true`: the collection is partitioned by this key. */
    isTenant?: boolean;
    /** integer/float/datetime index with `is_principal: true`. */
    isPrincipal?: boolean;
    /** Points Qdrant counts as indexed under this key (payload_schema[key].points). */
    points?: number;
  };
  /** Points of the sample that have the key (a null value counts as present, kind `null`). */
  present: number;
  /** Points sampled (same for every key of a collection). */
  sampled: number;
  /** Count of values per JSON kind in the sample. */
  kinds: Partial<Record<JsonKind, number>>;
  /** Arrays only: count of elements per JSON kind, over all sampled arrays. */
  elementKinds?: Partial<Record<JsonKind, number>>;
  /** Longest string value (or string array element) seen, in UTF-8 bytes. */
  maxStringBytes?: number;
  /** Longest array seen. */
  maxArrayLength?: number;
  /** Distinct scalar values (strings, numbers, bools; array elements count singly) in the sample,
   *  counted up to DISTINCT_CAP (src/mapping/payload-keys.ts) and not beyond: picks BITMAP for
   *  low-cardinality keys. Absent: not counted. */
  distinct?: number;
}

/** Milvus scalar field types a payload key can become. */
export type ScalarFieldType = 'Bool' | 'Int64' | 'Double' | 'VarChar' | 'Timestamptz' | 'Geometry' | 'Array';
/** Element types of a promoted Array field. */
export type ArrayElementType = 'Bool' | 'Int64' | 'Double' | 'VarChar';

/** Cast types of a Milvus JSON path index (`json_cast_type`). */
export type JsonCastType = 'VARCHAR' | 'DOUBLE' | 'BOOL' | 'ARRAY_VARCHAR' | 'ARRAY_DOUBLE' | 'ARRAY_BOOL';

/** What to do with a value that does not fit the promoted field's type (issue 10 §4). */
export type MismatchPolicy =
  /** The point is not written; logged by id with the value's type and the field. Default. */
  | 'reject'
  /** The field is null; the original value is kept in `$meta` under `<key>__raw`; counted. */
  | 'null'
  /** The job fails on the first such value. */
  | 'fail';

export interface ScalarIndexPlan {
  /** INVERTED, STL_SORT, BITMAP, … (docs/mapping.md says which and why). */
  type: string;
  params?: Record<string, number | string>;
}

export interface PromotedFieldPlan {
  /** Milvus field name (sanitised key; renamable). */
  name: string;
  type: ScalarFieldType;
  /** Array only. */
  elementType?: ArrayElementType;
  /** VarChar, and Array of VarChar (per element): from the sample with headroom, ≤ 65,535. */
  maxLength?: number;
  /** Array only: from the sample with headroom, ≤ 4096. */
  maxCapacity?: number;
  /** True: points without the key stay valid (null). False only for the partition key field:
   *  Milvus refuses a nullable partition key, so a point without the key gets `defaultValue`. */
  nullable: boolean;
  /** Non-nullable (partition key) fields only: the value written for a point that lacks the key
   *  (or whose value the `null` policy set aside): '' for VarChar, 0 for Int64. toRows() writes it
   *  into Row.scalars itself, so the sink never has to fill it in. */
  defaultValue?: string | number;
  /** Null: no index on this field. */
  index: ScalarIndexPlan | null;
  /** VarChar from a Qdrant `text` index, where the target has analyzers / text match. */
  analyzer?: { params: Record<string, string | number | boolean | string[]> };
  enableMatch?: boolean;
  onMismatch: MismatchPolicy;
}

export interface PayloadKeyPlan {
  /** Top-level payload key as the source holds it. */
  key: string;
  mode: 'dynamic' | 'field';
  /** mode `dynamic` only: a JSON path index on `$meta["key"]` (carries a Qdrant payload index). */
  jsonIndex?: { castType: JsonCastType; indexType: string } | null;
  /** mode `field` only. */
  field?: PromotedFieldPlan;
  /** What the source told (informative; plan() proposes from it). */
  stats?: PayloadKeyStats;
  /** Why the proposal is what it is (fallbacks, what the target lacks). */
  note?: string;
}

export interface PartitionKeyPlan {
  /** A promoted field's name (VarChar or Int64). */
  field: string;
  /** Milvus `num_partitions`; default 16 (Milvus's own default is 16 since 2.4, 64 before). */
  numPartitions: number;
  /** The Qdrant key was an `is_tenant` index (the proposal's reason). */
  fromTenantKey?: string;
}

/** What the target accepted when probed; part of TargetCapabilities (`scalar`). */
export interface ScalarCapabilities {
  /** Scalar field types a collection could be created with (and written). */
  types: ScalarFieldType[];
  /** Array element types accepted. */
  arrayElementTypes: ArrayElementType[];
  /** Scalar fields may be nullable (Milvus >= 2.5). Without it, promotion is refused. */
  nullable: boolean;
  /** Index types accepted per scalar type (a probed type missing from a list was refused). */
  indexTypes: Partial<Record<ScalarFieldType, string[]>>;
  /** JSON path index on the dynamic field (`json_path` / `json_cast_type` params). */
  jsonPathIndex: boolean;
  /** VarChar analyzer + enable_match (text match). */
  textMatch: boolean;
  /** Partition key on a scalar field. */
  partitionKey: boolean;
}
