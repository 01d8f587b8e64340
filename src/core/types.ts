/**
 * Glossary: the words the whole code base uses.
 *
 * - Point: one Qdrant record (id, vectors by name, payload), as read from the source.
 * - PointId: a Qdrant point id. `bigint` for unsigned integer ids (exact up to 2^64-1, never a JS
 *   number, because ids above 2^53 would round), `string` for UUIDs (lowercase, hyphenated).
 * - SourceCollection: everything `describe` learns about one Qdrant collection; input of plan().
 * - TargetCapabilities: what the target Milvus / Zilliz / Milvus Lite can hold; input of plan().
 * - CollectionPlan: how one Qdrant collection becomes one Milvus collection (JSON, user-editable).
 * - MigrationPlan: the plans of every collection of one job, plus where source and target are.
 * - Problem: something plan() found: an `error` stops the migration before any data moves, a
 *   `warning` is shown and the migration goes on.
 * - Row: one Milvus entity produced by toRows(): primary key, vector fields, dynamic (payload) keys.
 * - IdRange: a half-open slice [from, to) of a collection's id space, in Qdrant's scroll order
 *   (all integer ids, ascending, then all UUIDs, ascending). Unit of parallel reads and checkpoints.
 */

import type { PartitionKeyPlan, PayloadKeyPlan, PayloadKeyStats, ScalarCapabilities } from './payload-schema.ts';

export type PointId = bigint | string;

/** JSON as the source holds it: integers outside Number's safe range are kept as bigint. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Key of Qdrant's unnamed (default) vector in Point.vectors and SourceCollection.vectors. */
export const UNNAMED_VECTOR = '';

/**
 * A dense vector's components. A Float32Array when it was read over gRPC: a view of the packed
 * float32 bytes Qdrant sent, never turned into JS numbers (src/transcode); number[] otherwise
 * (REST, target reads, tests). Both hold the same float32 values; tell sparse from dense with
 * isSparseVector (src/core/vector-kind.ts), not Array.isArray.
 */
export type DenseVector = number[] | Float32Array;
export interface SparseVector {
  indices: number[];
  values: number[];
}
export type MultiVector = number[][];
export type VectorValue = DenseVector | SparseVector | MultiVector;

export interface Point {
  id: PointId;
  /** By vector name (UNNAMED_VECTOR for the unnamed one). An absent key: the point lacks it. */
  vectors: Record<string, VectorValue>;
  payload: JsonObject;
}

export type Distance = 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';
/** Qdrant's storage datatype (`float32` when the config omits it). `turbo4` (new in Qdrant 1.19) is a
 *  compressed, lossy storage; its vectors read back as floats, so plan() can treat it like float32 (and warn). */
export type QdrantDatatype = 'float32' | 'float16' | 'uint8' | 'turbo4';
export type VectorKind = 'dense' | 'sparse' | 'multi';

export interface SourceVector {
  /** Qdrant's name; UNNAMED_VECTOR for the unnamed vector. */
  name: string;
  kind: VectorKind;
  /** Dense and multi vectors only. */
  dim?: number;
  datatype: QdrantDatatype;
  /** Dense and multi vectors only (sparse vectors are always compared by dot product). */
  distance?: Distance;
  /** Sparse only: Qdrant's `modifier` (idf has no Milvus equivalent, plan() warns). */
  sparseModifier?: 'none' | 'idf';
  hnsw?: { m?: number; efConstruct?: number };
  /** Exact number of points that lack this vector (counted with a has_vector filter). */
  missingCount: number;
}

export interface IdKinds {
  /** Some ids are unsigned integers in 0..2^63-1. */
  int: boolean;
  /** Some ids are UUIDs. */
  uuid: boolean;
  /** Some ids are integers in 2^63..2^64-1 (they do not fit Milvus INT64). */
  intAbove63: boolean;
}

export interface PayloadFieldSchema {
  dataType: string;
  points?: number;
  /** keyword/uuid index params `is_tenant: true` (the collection is partitioned by this key). */
  isTenant?: boolean;
  /** integer/float/datetime index params `is_principal: true`. */
  isPrincipal?: boolean;
}

export interface SourceCollection {
  name: string;
  /** Exact point count. */
  pointsCount: number;
  vectors: SourceVector[];
  idKinds: IdKinds;
  payloadSchema: Record<string, PayloadFieldSchema>;
  /** Qdrant aliases that point at this collection, sorted (SourceReader.listAliases). Absent: not
   *  asked (`--no-aliases`) or the source cannot list them. */
  aliases?: string[];
  /** Top-level payload keys: Qdrant's payload_schema plus a spread sample of points
   *  (`--payload-sample`). Absent: not sampled (plans made before issue 10). */
  payloadKeys?: PayloadKeyStats[];
}

export type TargetKind = 'milvus' | 'milvus-lite' | 'zilliz';

/** TargetCapabilities.version of a server that does not implement GetVersion (Milvus Lite 2.5.1). */
export const UNKNOWN_VERSION = 'unknown';

export interface TargetCapabilities {
  kind: TargetKind;
  /** As GetVersion reports it, e.g. `v2.6.4` or `milvus_lite-3.2.2`; `unknown` when the server does
   *  not implement GetVersion (Milvus Lite 2.5): a fact to plan around, never a crash. */
  version: string;
  float16Vector: boolean;
  sparseVector: boolean;
  /** Vector fields that may hold null (Milvus >= 2.6). */
  nullableVector: boolean;
  /** A sparse row with no entries is accepted (Milvus >= 2.4.12, Milvus Lite 2.5; Milvus Lite 3.2.2
   *  refuses it: "sparse vector must contain at least one nonzero float32 weight"). Absent: false. */
  emptySparseVector?: boolean;
  /** Array of Struct with MAX_SIM, needed for Qdrant multivectors (Milvus >= 2.6.4). */
  arrayOfStruct: boolean;
  /** AUTOINDEX is accepted on FloatVector fields (else an explicit index type is planned). */
  autoIndex: boolean;
  /**
   * Most vector fields one collection may have, as the target showed when probed (1 on Milvus
   * 2.3, 4 by default on 2.4+, 10 at most). Absent: not probed; plan() assumes Milvus's default 4.
   */
  maxVectorFields?: number;
  /**
   * Index types the target accepted per vector type when probed, among those probed
   * (PROBED_INDEX_TYPES in src/milvus/probe.ts); a probed type missing from the list was refused.
   * Absent: not probed; plan() then relies on `autoIndex`.
   */
  indexTypes?: Partial<Record<MilvusVectorType, string[]>>;
  /** How these were learnt: `probed` (a throwaway collection on the target) or `assumed`. */
  source?: 'probed' | 'assumed';
  /** Which RPCs answer truthfully (probed): GetVersion, ListDatabases, and the SDK's hasCollection
   *  (a DescribeCollection that Milvus Lite 2.5 answers "Success" for a missing collection). */
  truthful?: { getVersion: boolean; listDatabases: boolean; sdkHasCollection: boolean };
  /** Wall time of the probes, ms. */
  probeMs?: number;
  /** Scalar fields, their indexes, JSON path index, text match, partition key (probed).
   *  Absent: not probed; plan() keeps every payload key dynamic. */
  scalar?: ScalarCapabilities;
}

export type MilvusVectorType = 'FloatVector' | 'Float16Vector' | 'SparseFloatVector' | 'ArrayOfStructFloatVector';
/**
 * Milvus metric types. The MAX_SIM_* family scores Array-of-Struct embedding lists (Qdrant
 * multivectors, max_sim comparator): MAX_SIM_<base> applies <base> between single vectors and sums
 * each query vector's best match, as Qdrant does.
 */
export type MilvusMetric = 'COSINE' | 'IP' | 'L2' | 'MAX_SIM_COSINE' | 'MAX_SIM_IP' | 'MAX_SIM_L2';
export type IfExists = 'fail' | 'append' | 'drop';

export interface IndexPlan {
  /** Milvus index type, e.g. HNSW, AUTOINDEX, SPARSE_INVERTED_INDEX, FLAT. */
  type: string;
  params: Record<string, number | string>;
}

export interface VectorFieldPlan {
  /** Qdrant vector name (UNNAMED_VECTOR for the unnamed one). Fixed. */
  source: string;
  /** Milvus field name. Renamable. */
  field: string;
  /** Fixed by the source's vector type and the target's capabilities. */
  type: MilvusVectorType;
  dim?: number;
  /**
   * Null only while the plan holds a MANHATTAN_METRIC error: Qdrant's Manhattan has no Milvus
   * metric, so the user must pick one. Keeping null (not a placeholder) means a plan file written
   * back unedited is refused again instead of silently migrating with a metric nobody chose. A plan
   * without errors (the only kind the engine runs) always has a metric.
   */
  metric: MilvusMetric | null;
  index: IndexPlan;
  /** Points lacking this vector are written with null (target supports nullable vectors). */
  nullable: boolean;
  /**
   * Sparse fields only: points lacking this vector are written with an empty sparse vector, which
   * no search on this field returns, exactly like an absent one; so they need neither a nullable
   * field nor a skip. Set by plan() when the target accepts empty sparse rows and has no nullable
   * vectors. Absent: false.
   */
  missingAsEmpty?: boolean;
  /** Why the type or metric is what it is, when it is not the obvious one (fallbacks). */
  note?: string;
}

export interface PrimaryKeyPlan {
  field: string;
  type: 'Int64' | 'VarChar';
  /** VarChar only. */
  maxLength?: number;
  /** Always false: original ids are kept. */
  autoId: false;
}

/**
 * One Milvus alias to point at a planned target collection (src/mapping/aliases.ts plans them; the
 * user may edit, add or remove entries in the plan file).
 */
export interface AliasPlan {
  /** Milvus alias name (a Qdrant alias is sanitised like a collection name; one a user typed is only checked). */
  name: string;
  /** The Qdrant alias it carries; absent for one the user added (`--switch-alias`, plan file). */
  source?: string;
  /**
   * When the alias already points at another target collection: `fail` (a plan error, default),
   * `move` (repoint it, AlterAlias), `skip` (leave it where it is; a warning).
   */
  onConflict: AliasConflict;
  /**
   * Cutover (`--switch-alias`): the alias must already exist on the target (it names the collection
   * applications read today) and is repointed at this collection as the job's very last step, after
   * every collection of the job is verified. Absent/false: created right after this collection verifies.
   */
  switch?: boolean;
}

export type AliasConflict = 'fail' | 'move' | 'skip';

export interface CollectionPlan {
  source: string;
  target: string;
  description: string;
  primaryKey: PrimaryKeyPlan;
  vectors: VectorFieldPlan[];
  /** Always true: payload keys that are not promoted go to the dynamic field. */
  dynamicField: true;
  /** One entry per payload key the plan knows (src/core/payload-schema.ts). Keys not listed (or
   *  absent: plans made before issue 10) stay dynamic, unindexed. */
  payload?: PayloadKeyPlan[];
  /** Off (null) by default; a promoted VarChar/Int64 field the user confirmed, e.g. a Qdrant
   *  `is_tenant` key. */
  partitionKey: PartitionKeyPlan | null;
  policies: {
    /** Null-valued payload keys are removed (Milvus JSON keeps no nulls we can query); counted. */
    nullPayloadValues: 'drop';
    /** What to do with points lacking a vector the target cannot hold as null. */
    missingVector: 'fail' | 'skip';
  };
  ifExists: IfExists;
  /** Exact source count when the plan was made (informative; verify recounts). */
  sourceCount: number;
  /** Aliases to point at `target` once its data is verified. Absent (plans made before aliases
   *  existed) or empty: none. */
  aliases?: AliasPlan[];
}

export interface MigrationPlan {
  version: 1;
  /** Source endpoint (no secret in here: keys are passed separately). */
  source: { url: string };
  target: { uri: string; database: string };
  collections: CollectionPlan[];
}

export interface Problem {
  severity: 'error' | 'warning';
  /** Source collection name. */
  collection: string;
  /** What it concerns inside the plan, e.g. `vectors.image`, `target`, `primaryKey`. */
  path?: string;
  code: string;
  message: string;
  fix?: string;
}

export interface Row {
  /** Int64 plans: bigint; VarChar plans: string. */
  id: bigint | string;
  /** By Milvus field name; null only for nullable vector fields. */
  vectors: Record<string, VectorValue | null>;
  /** Payload after the null and key-clash policies; goes to the dynamic field. */
  dynamic: JsonObject;
  /** Promoted payload keys by Milvus field name (null: the point lacks the key, or the `null`
   *  mismatch policy applied). Absent: the plan promotes nothing. */
  scalars?: Record<string, JsonValue>;
}

export interface RejectedPoint {
  id: string;
  code: string;
  message: string;
}

export interface IdRange {
  /** Inclusive; undefined = the start of the id space. */
  from?: PointId;
  /** Exclusive; undefined = the end of the id space. */
  to?: PointId;
}

export interface Page {
  points: Point[];
  /** Id to continue from (inclusive), or null when the range is exhausted. */
  next: PointId | null;
  /**
   * Lets the reader reuse the page's buffers (the bytes its packed vectors and payloads are views
   * of): call it once nothing refers to the points or the rows made from them (the pipeline: once
   * the page's rows are encoded by Sink.prepareWrite, else after its write is acknowledged).
   * Optional to call; after it, the points must not be read.
   */
  release?: () => void;
}
