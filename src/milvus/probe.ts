/**
 * Probes: what the target really accepts, learnt by trying it on throwaway collections named
 * `_q2m_probe_<time>_<random>`, each dropped right after (also on failure). A version string is a
 * guess (Milvus Lite 2.5 reports none; Milvus 2.3 reports a version whose limits depend on its
 * config); a refused CreateCollection on an empty probe costs milliseconds, and is far cheaper than
 * a job that fails at CreateCollection after other collections have moved.
 *
 * The set is kept small (measured per engine in the issue note; a few ms to ~0.3 s):
 *  1. vector fields per collection: CreateCollection with 10, then a binary search (failures are
 *     refused up front by the proxy, so they cost one round trip each);
 *  2. types: one collection with FloatVector + Float16Vector + SparseFloatVector when the target
 *     takes 3 vector fields, else one collection per type; on each field, every probed index type
 *     (CreateIndex, then DropIndex), then one row. Milvus 2.3 creates and describes a sparse field
 *     but refuses to index or write it: creation alone proves nothing;
 *     a second row with an empty sparse vector tells whether absent sparse vectors can be kept;
 *  3. a nullable FloatVector field, read back with DescribeCollection (2.3 ignores the attribute);
 *  4. the SDK's hasCollection on a name that does not exist (Milvus Lite 2.5 says "exists");
 *  5. scalar fields for promoted payload keys, their indexes, JSON path index, text match,
 *     partition key (probe-scalar.ts).
 */
import { DataType, type FieldType, type RowData } from '@zilliz/milvus2-sdk-node';
import type { MilvusVectorType } from '../core/types.ts';
import type { ProbeResults } from './capabilities.ts';
import type { MilvusConnection } from './client.ts';
import { type MilvusStatus } from './errors.ts';
import { collectionExists } from './exists.ts';
import { ok, probeCollectionName } from './probe-answer.ts';
import { probeScalars } from './probe-scalar.ts';

type ProbedType = Exclude<MilvusVectorType, 'ArrayOfStructFloatVector'>;

/** Index types tried per vector type, in plan()'s order of preference; params valid on every Milvus. */
export const PROBED_INDEX_TYPES: Record<ProbedType, Array<{ type: string; metric: string; params: Record<string, number> }>> = {
  FloatVector: [
    { type: 'AUTOINDEX', metric: 'COSINE', params: {} },
    { type: 'HNSW', metric: 'COSINE', params: { M: 16, efConstruction: 100 } },
    { type: 'FLAT', metric: 'COSINE', params: {} },
  ],
  Float16Vector: [
    { type: 'AUTOINDEX', metric: 'COSINE', params: {} },
    { type: 'HNSW', metric: 'COSINE', params: { M: 16, efConstruction: 100 } },
    { type: 'FLAT', metric: 'COSINE', params: {} },
  ],
  SparseFloatVector: [
    { type: 'SPARSE_INVERTED_INDEX', metric: 'IP', params: {} },
    { type: 'AUTOINDEX', metric: 'IP', params: {} },
  ],
};

/** Milvus's hard ceiling of `proxy.maxVectorFieldNum`. */
const MAX_PROBED_VECTOR_FIELDS = 10;
const PROBE_PREFIX = '_q2m_probe_';
/** Probe collections older than this are leftovers of a killed process: dropped before probing. */
const STALE_PROBE_MS = 10 * 60_000;

const FIELD: Record<ProbedType, { name: string; field: FieldType; value: unknown }> = {
  FloatVector: { name: 'f32', field: { name: 'f32', data_type: DataType.FloatVector, dim: 2 }, value: [0.5, 0.25] },
  Float16Vector: { name: 'f16', field: { name: 'f16', data_type: DataType.Float16Vector, dim: 2 }, value: [0.5, 0.25] },
  SparseFloatVector: { name: 'sparse', field: { name: 'sparse', data_type: DataType.SparseFloatVector }, value: { 1: 0.5 } },
};

const ID_FIELD: FieldType = { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false };

/** Runs every probe. Throws only what the caller must see (unreachable, auth); a refusal is an answer. */
export async function probeTarget(conn: MilvusConnection): Promise<ProbeResults> {
  const started = Date.now();
  await dropStaleProbes(conn);
  const maxVectorFields = await probeVectorFieldCount(conn);
  const { types, indexTypes, emptySparse } = await probeTypes(conn, maxVectorFields);
  const nullableVector = await probeNullable(conn);
  const sdkHasCollection = await probeSdkHas(conn);
  const listDatabases = Boolean(((await conn.client.listDatabases().catch(() => ({}))) as { status?: MilvusStatus }).status);
  const scalarStarted = Date.now();
  const scalar = await probeScalars(conn);
  return {
    scalar,
    scalarMs: Date.now() - scalarStarted,
    maxVectorFields,
    types,
    indexTypes,
    emptySparse: emptySparse ?? false,
    nullableVector,
    truthful: { getVersion: conn.version !== undefined, listDatabases, sdkHasCollection },
    ms: Date.now() - started,
  };
}

/** Creates a probe collection with these fields; `use` runs on it when created; always dropped. */
async function withProbe<T>(conn: MilvusConnection, fields: FieldType[], use: (name: string) => Promise<T>): Promise<T | undefined> {
  const name = probeCollectionName();
  const created = await ok(conn, 'CreateCollection', () =>
    conn.client.createCollection({ collection_name: name, db_name: conn.database, fields: [ID_FIELD, ...fields] }),
  );
  try {
    return created ? await use(name) : undefined;
  } finally {
    // Dropped whatever the answer said: a server that reported a failure may still have created it.
    await conn.client.dropCollection({ collection_name: name, db_name: conn.database }).catch(() => undefined);
  }
}

function floatFields(n: number): FieldType[] {
  return Array.from({ length: n }, (_, i) => ({ name: `v${i}`, data_type: DataType.FloatVector, dim: 2 }));
}

async function probeVectorFieldCount(conn: MilvusConnection): Promise<number> {
  const fits = async (n: number) => (await withProbe(conn, floatFields(n), async () => true)) === true;
  if (await fits(MAX_PROBED_VECTOR_FIELDS)) return MAX_PROBED_VECTOR_FIELDS;
  // Invariant: hi refused; lo accepted (1 is assumed until tried: a target that refuses one vector
  // field refuses every plan, and CreateCollection will say why).
  let lo = 1;
  let hi = MAX_PROBED_VECTOR_FIELDS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

async function probeTypes(conn: MilvusConnection, maxVectorFields: number) {
  const all: ProbedType[] = ['FloatVector', 'Float16Vector', 'SparseFloatVector'];
  const indexTypes: Partial<Record<MilvusVectorType, string[]>> = {};
  const types = { Float16Vector: false, SparseFloatVector: false };
  let emptySparse: boolean | undefined;
  const record = (accepted: Partial<Record<ProbedType, string[]>>, wrote: boolean, empty: boolean | undefined) => {
    emptySparse ??= empty;
    for (const [type, list] of Object.entries(accepted) as Array<[ProbedType, string[]]>) {
      indexTypes[type] = list;
      if (type !== 'FloatVector') types[type] = wrote;
    }
  };
  // All three in one collection when the target takes three vector fields: one create, one drop.
  if (maxVectorFields >= all.length) {
    const together = await withProbe(conn, all.map((t) => FIELD[t].field), (name) => tryCollection(conn, name, all));
    if (together?.wrote) {
      record(together.accepted, true, together.emptySparse);
      return { types, indexTypes, emptySparse };
    }
  }
  for (const type of all) {
    const alone = await withProbe(conn, [FIELD[type].field], (name) => tryCollection(conn, name, [type]));
    record(alone?.accepted ?? { [type]: [] }, alone?.wrote ?? false, alone?.emptySparse);
  }
  return { types, indexTypes, emptySparse };
}

/** Every probed index type on each field (dropping each accepted one), then one row. */
async function tryCollection(conn: MilvusConnection, name: string, types: ProbedType[]) {
  const { client, database } = conn;
  const accepted: Partial<Record<ProbedType, string[]>> = {};
  for (const type of types) {
    const field = FIELD[type].name;
    accepted[type] = [];
    for (const candidate of PROBED_INDEX_TYPES[type]) {
      const took = await ok(conn, 'CreateIndex', () =>
        client.createIndex({ collection_name: name, db_name: database, field_name: field, index_name: field,
          index_type: candidate.type, metric_type: candidate.metric, params: candidate.params }),
      );
      if (!took) continue;
      accepted[type].push(candidate.type);
      // Milvus Lite 3 loads a collection at creation and drops an index only when released.
      await client.releaseCollection({ collection_name: name, db_name: database }).catch(() => undefined);
      await client.dropIndex({ collection_name: name, db_name: database, field_name: field, index_name: field }).catch(() => undefined);
    }
  }
  const row: RowData = { id: 1 };
  for (const type of types) row[FIELD[type].name] = FIELD[type].value as RowData[string];
  const wrote = await ok(conn, 'Insert', () => client.insert({ collection_name: name, db_name: database, data: [row] }));
  // An empty sparse row (what a point lacking its sparse vector can be written as): Milvus ≥ 2.4.12
  // takes it, Milvus Lite 3.2.2 refuses it. One more insert on the same probe collection.
  let emptySparse: boolean | undefined;
  if (wrote && types.includes('SparseFloatVector')) {
    const empty: RowData = { ...row, id: 2, [FIELD.SparseFloatVector.name]: {} };
    emptySparse = await ok(conn, 'Insert', () => client.insert({ collection_name: name, db_name: database, data: [empty] }));
  }
  return { accepted, wrote, emptySparse };
}

async function probeNullable(conn: MilvusConnection): Promise<boolean> {
  const field: FieldType = { name: 'v', data_type: DataType.FloatVector, dim: 2, nullable: true };
  const described = await withProbe(conn, [field], async (name) => {
    const res = await conn.client.describeCollection({ collection_name: name, db_name: conn.database, cache: false }).catch(() => undefined);
    return res?.schema?.fields?.find((f) => f.name === 'v')?.nullable === true;
  });
  return described === true;
}

/** The SDK's hasCollection (a DescribeCollection) against the raw HasCollection RPC, on a name that does not exist. */
async function probeSdkHas(conn: MilvusConnection): Promise<boolean> {
  const name = `${PROBE_PREFIX}absent_${Math.random().toString(36).slice(2, 10)}`;
  const sdk = await conn.client.hasCollection({ collection_name: name, db_name: conn.database }).catch(() => undefined);
  return sdk?.value === (await collectionExists(conn, name));
}

async function dropStaleProbes(conn: MilvusConnection): Promise<void> {
  const res = await conn.client.showCollections({ db_name: conn.database }).catch(() => undefined);
  for (const { name } of res?.data ?? []) {
    const born = /^_q2m_probe_([0-9a-z]+)_/.exec(name)?.[1];
    if (born && Date.now() - parseInt(born, 36) > STALE_PROBE_MS) {
      await conn.client.dropCollection({ collection_name: name, db_name: conn.database }).catch(() => undefined);
    }
  }
}
