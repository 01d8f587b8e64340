/**
 * Scalar capabilities (issue 10) from behaviour: what a promoted payload key may become on this
 * target. Like probe.ts, on throwaway `_q2m_probe_*` collections, always dropped, and through the
 * very code that migrations use (schema.ts DDL, encode.ts rows), so a "yes" here is a "yes" there.
 *
 * Kept to one collection on a target that takes everything (Milvus ≥ 2.6, Milvus Lite 3):
 *  1. CreateCollection with every field group at once: Bool, Int64, Double, VarChar and the four
 *     Array element types (nullable), Timestamptz, Geometry, a VarChar with analyzer + enable_match,
 *     a VarChar partition key with num_partitions; DescribeCollection must say nullable / partition
 *     key back (Milvus 2.3 ignores attributes it does not know), and two rows (one with values, one
 *     all null) must be inserted.
 *     If that fails, each group gets its own collection (nullable first, then not), and a last
 *     collection holds the groups that passed.
 *  2. On that collection, every candidate index type per scalar type (one field per candidate, so
 *     no DropIndex), and a JSON path index on the dynamic key `k` (as jsonIndexTarget() writes it).
 *  3. Load, then read the null row back (a null must come back as null, not as a zero value), run
 *     TEXT_MATCH (Milvus Lite 2.5 creates enable_match fields but matches nothing) and a filter on
 *     the partition key (Milvus 2.3.5 upserts ignore it; Milvus Lite 2.5 refuses every filter on a
 *     collection that has one).
 */
import type { ArrayElementType, PayloadKeyPlan, PromotedFieldPlan, ScalarCapabilities, ScalarFieldType } from '../core/payload-schema.ts';
import type { CollectionPlan, Row } from '../core/types.ts';
import type { MilvusConnection } from './client.ts';
import { encodeWriteRequest } from './encode.ts';
import { ok, probeCollectionName } from './probe-answer.ts';
import { queryFast } from './query-codec.ts';
import { rawUnary } from './raw-call.ts';
import { decodeRows, encodeRow } from './rows.ts';
import { createCollectionRequest } from './schema.ts';
import { jsonIndexTarget } from './schema-scalars.ts';

/** Index types tried per scalar type, in probe order (plan() picks among the accepted ones). */
export const PROBED_SCALAR_INDEXES: Record<ScalarFieldType, string[]> = {
  Bool: ['INVERTED', 'BITMAP'],
  Int64: ['INVERTED', 'STL_SORT', 'BITMAP'],
  Double: ['INVERTED', 'STL_SORT'],
  // `Trie` is Milvus 2.3's spelling (2.4+ also takes TRIE).
  VarChar: ['INVERTED', 'BITMAP', 'TRIE', 'Trie'],
  Timestamptz: ['INVERTED', 'STL_SORT'],
  Geometry: ['RTREE'],
  Array: ['INVERTED', 'BITMAP'],
};

type Group = 'basic' | 'timestamptz' | 'geometry' | 'text' | 'partitionKey';
const GROUPS: Group[] = ['basic', 'timestamptz', 'geometry', 'text', 'partitionKey'];
const ELEMENTS: ArrayElementType[] = ['Bool', 'Int64', 'Double', 'VarChar'];

/** One probe field: its plan, a value for row 1, and the type whose index candidates run on it. */
interface ProbeField {
  plan: PromotedFieldPlan;
  value: Row['dynamic'][string];
  indexAs?: ScalarFieldType;
  /** The one index type tried on this field (set by withCandidates). */
  candidate?: string;
}

/**
 * One copy of each indexable field per candidate index type (`i`, `i_1`, `i_2`, …), so every
 * candidate gets its own CreateIndex and none needs a DropIndex (plus, on Milvus Lite 3, a release):
 * that halved the probe's time there.
 */
function withCandidates(fields: ProbeField[]): ProbeField[] {
  return fields.flatMap((f) => {
    if (!f.indexAs) return [f];
    return PROBED_SCALAR_INDEXES[f.indexAs].map((candidate, j) => ({
      ...f,
      candidate,
      plan: j === 0 ? f.plan : { ...f.plan, name: `${f.plan.name}_${j}` },
    }));
  });
}

function field(name: string, type: ScalarFieldType, nullable: boolean, extra: Partial<PromotedFieldPlan> = {}): PromotedFieldPlan {
  // `nullable` is a literal `true` in older vocabularies; the partition key field is the exception.
  return { name, type, nullable: nullable as true, index: null, onMismatch: 'reject', ...extra };
}

function groupFields(group: Group, nullable: boolean): ProbeField[] {
  switch (group) {
    case 'basic':
      return [
        { plan: field('b', 'Bool', nullable), value: true, indexAs: 'Bool' },
        { plan: field('i', 'Int64', nullable), value: -7, indexAs: 'Int64' },
        { plan: field('d', 'Double', nullable), value: 0.5, indexAs: 'Double' },
        { plan: field('s', 'VarChar', nullable, { maxLength: 16 }), value: 'v', indexAs: 'VarChar' },
        ...ELEMENTS.map((e, k) => ({
          plan: field(`a${k}`, 'Array', nullable, { elementType: e, maxCapacity: 4, ...(e === 'VarChar' ? { maxLength: 8 } : {}) }),
          value: [e === 'Bool' ? true : e === 'VarChar' ? 'x' : 1],
          ...(e === 'Int64' ? { indexAs: 'Array' as const } : {}),
        })),
      ];
    case 'timestamptz':
      return [{ plan: field('t', 'Timestamptz', nullable), value: '2024-01-02T03:04:05+02:00', indexAs: 'Timestamptz' }];
    case 'geometry':
      return [{ plan: field('g', 'Geometry', nullable), value: 'POINT(1.5 2)', indexAs: 'Geometry' }];
    case 'text':
      return [{ plan: field('tx', 'VarChar', nullable, { maxLength: 64, analyzer: { params: { type: 'standard' } }, enableMatch: true }), value: 'quick brown fox' }];
    case 'partitionKey':
      // Never nullable: Milvus refuses a nullable partition key (plan() writes a default instead).
      return [{ plan: field('tenant', 'VarChar', false, { maxLength: 16 }), value: 'acme' }];
  }
}

function probePlan(name: string, fields: ProbeField[], groups: Group[], vectorIndex: string): CollectionPlan {
  const payload: PayloadKeyPlan[] = fields.map((f) => ({ key: f.plan.name, mode: 'field', field: f.plan }));
  return {
    source: name,
    target: name,
    description: '',
    primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [{ source: 'v', field: 'v', type: 'FloatVector', dim: 2, metric: 'COSINE', index: { type: vectorIndex, params: {} }, nullable: false }],
    dynamicField: true,
    payload,
    partitionKey: groups.includes('partitionKey') ? { field: 'tenant', numPartitions: 16 } : null,
    policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
    ifExists: 'fail',
    sourceCount: 2,
  };
}

interface Trial {
  created: boolean;
  wrote: boolean;
  /** Described back as nullable (b or the group's first field). */
  nullable: boolean;
  partitionKey: boolean;
}

/**
 * Creates a probe collection with these groups, describes it and inserts two rows (row 2: nulls,
 * or row 1's values again when not nullable); `use` runs on it when that all worked. Always dropped.
 */
async function trial(conn: MilvusConnection, groups: Group[], nullable: boolean, use?: (plan: CollectionPlan, fields: ProbeField[]) => Promise<void>): Promise<Trial> {
  const name = probeCollectionName();
  const fields = withCandidates(groups.flatMap((g) => groupFields(g, nullable)));
  const plan = probePlan(name, fields, groups, 'FLAT');
  const out: Trial = { created: false, wrote: false, nullable: false, partitionKey: false };
  const { client, database } = conn;
  try {
    out.created = await ok(conn, 'CreateCollection', () => client.createCollection(createCollectionRequest(plan, database)));
    if (!out.created) return out;
    const described = await client.describeCollection({ collection_name: name, db_name: database, cache: false }).catch(() => undefined);
    const schema = (described?.schema?.fields ?? []) as Array<{ name: string; nullable?: boolean; is_partition_key?: boolean }>;
    const first = fields.find((f) => f.plan.nullable)?.plan.name;
    out.nullable = schema.find((f) => f.name === first)?.nullable === true;
    // Milvus Lite 2.5.1 describes the partition key back but made no partitions (num_partitions 0),
    // and then refuses every filtered query on the collection ("Invalid expr"): not a partition key.
    out.partitionKey = schema.find((f) => f.name === 'tenant')?.is_partition_key === true && Number(described?.num_partitions ?? 0) > 0;
    // Asked nullable, described not: a server older than 2.5 that drops attributes it does not
    // know. It must get no row: Milvus 2.3.5 also creates Timestamptz and Geometry fields it does
    // not know, and an insert into them kills the server (probed).
    if (nullable && !out.nullable) return out;
    const nulls = nullable;
    // Eight rows, row 2 all null; the partition key alternates acme / globex.
    const row = (id: number): Row => ({
      id: BigInt(id),
      vectors: { v: [0.5, id / 8] },
      dynamic: { k: 'x' },
      scalars: Object.fromEntries(fields.map((f) => {
        if (f.plan.name === 'tenant') return [f.plan.name, id % 2 ? 'acme' : 'globex'];
        return [f.plan.name, id === 2 && nulls ? null : f.value];
      })),
    });
    const rows = Array.from({ length: 8 }, (_, i) => encodeRow(plan, row(i + 1)));
    // Upsert, as the sink writes: Milvus 2.3.5 upserts ignore the partition key (rows land in any
    // partition, and a filter on the key misses them), while its inserts route them right.
    out.wrote = await ok(conn, 'Upsert', () => rawUnary(conn, 'Upsert', encodeWriteRequest(database, plan, rows)));
    if (out.wrote && use) await use(plan, fields);
    return out;
  } finally {
    await client.dropCollection({ collection_name: name, db_name: database }).catch(() => undefined);
  }
}

/** Each field's candidate index (withCandidates), in PROBED_SCALAR_INDEXES order per type. */
async function probeIndexes(conn: MilvusConnection, plan: CollectionPlan, fields: ProbeField[]): Promise<ScalarCapabilities['indexTypes']> {
  const { client, database } = conn;
  const accepted: ScalarCapabilities['indexTypes'] = {};
  const tried = fields.filter((f) => f.indexAs && f.candidate);
  for (const f of tried) accepted[f.indexAs!] ??= [];
  // Concurrently: each is its own field, and one round trip each was most of this probe's time.
  const answers = await Promise.all(tried.map((f) =>
    ok(conn, 'CreateIndex', () => client.createIndex({ collection_name: plan.target, db_name: database, field_name: f.plan.name, index_name: f.plan.name, index_type: f.candidate! }))));
  tried.forEach((f, i) => {
    if (answers[i]) accepted[f.indexAs!]!.push(f.candidate!);
  });
  return accepted;
}

/** What a load and queries tell: nulls read back as null; TEXT_MATCH and the partition key find row 1. */
async function probeReads(conn: MilvusConnection, plan: CollectionPlan, text: boolean, nulls: boolean): Promise<{ nullsBack: boolean; textMatch: boolean; partitionFilter: boolean }> {
  const { client, database } = conn;
  const base = { collection_name: plan.target, db_name: database };
  let indexed = false;
  for (const index_type of ['FLAT', 'AUTOINDEX']) {
    indexed = await ok(conn, 'CreateIndex', () => client.createIndex({ ...base, field_name: 'v', index_name: 'v', index_type, metric_type: 'COSINE' }));
    if (indexed) break;
  }
  if (!indexed || !(await loaded(conn, base))) return { nullsBack: false, textMatch: false, partitionFilter: false };
  const query = (expr: string) =>
    queryFast(conn, { ...base, expr, output_fields: ['id', ...(plan.payload ?? []).map((k) => k.key)], consistency_level: 'Strong', query_params: [{ key: 'limit', value: '16' }] })
      .then((res) => decodeRows(plan, res.fields_data as never))
      .catch(() => [] as Row[]);
  const two = nulls ? (await query('id == 2'))[0] : undefined;
  const nullsBack = two !== undefined && two.scalars?.b === null;
  const matched = text ? await query('TEXT_MATCH(tx, "fox")') : [];
  const acme = plan.partitionKey ? await query('tenant == "acme"') : [];
  return { nullsBack, textMatch: matched.length === (nulls ? 7 : 8), partitionFilter: acme.length === 4 };
}

/**
 * LoadCollection, then its progress every 20 ms: the SDK's loadCollectionSync sleeps 400 ms after
 * every progress answer, the first one included, which was half of this probe's time on Milvus Lite.
 */
async function loaded(conn: MilvusConnection, base: { collection_name: string; db_name: string }): Promise<boolean> {
  if (!(await ok(conn, 'LoadCollection', () => conn.client.loadCollectionAsync(base)))) return false;
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const res = await conn.client.getLoadingProgress(base).catch(() => undefined);
    if (!res || Number(res.status?.code ?? 0) !== 0) return false;
    if (Number(res.progress) >= 100) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function jsonIndex(conn: MilvusConnection, plan: CollectionPlan): Promise<boolean> {
  const req = {
    collection_name: plan.target, db_name: conn.database, field_name: jsonIndexTarget('k').field_name, index_name: 'q2m_json_k', index_type: 'INVERTED',
    params: { json_path: jsonIndexTarget('k').json_path, json_cast_type: 'VARCHAR' },
  };
  return ok(conn, 'CreateIndex', () => conn.client.createIndex(req));
}

/** Runs the scalar probes. Throws only what probe.ts's ok() throws (unreachable, auth). */
export async function probeScalars(conn: MilvusConnection): Promise<ScalarCapabilities> {
  const caps: ScalarCapabilities = { types: [], arrayElementTypes: [], nullable: false, indexTypes: {}, jsonPathIndex: false, textMatch: false, partitionKey: false };
  let reads = { nullsBack: false, textMatch: false, partitionFilter: false };
  const inspect = (groups: Group[], nullable: boolean) => async (plan: CollectionPlan, fields: ProbeField[]) => {
    caps.indexTypes = await probeIndexes(conn, plan, fields);
    caps.jsonPathIndex = await jsonIndex(conn, plan);
    // Only nulls, text match and the partition key filter need a load.
    if (nullable) reads = await probeReads(conn, plan, groups.includes('text'), nullable);
  };
  let passed: Group[] = GROUPS;
  let nullable = true;
  const all = await trial(conn, GROUPS, true, inspect(GROUPS, true));
  if (all.created && all.wrote && all.nullable) caps.partitionKey = all.partitionKey;
  else {
    // Which groups does this target lack? Created but not nullable: a server older than 2.5 that
    // ignores what it does not know; else a basic collection tells whether nullable is the problem.
    if (all.created && !all.nullable) nullable = false;
    else {
      const basic = await trial(conn, ['basic'], true);
      nullable = basic.created && basic.wrote && basic.nullable;
    }
    passed = ['basic'];
    // Timestamptz, Geometry (2.6) and text match (2.5) are tried only where nullable scalars (2.5)
    // are: Milvus 2.3.5 creates Timestamptz fields, acknowledges rows, then dies loading them.
    if (nullable) {
      for (const g of ['timestamptz', 'geometry', 'text'] as const) {
        const t = await trial(conn, [g], true);
        if (t.created && t.wrote) passed.push(g);
      }
    }
    // No partition key without nullable scalars: both such targets probed were wrong about it
    // (Milvus Lite 2.5.1 then refuses every filter; Milvus 2.3.5 upserts ignore it), telling right
    // from wrong takes a load (~3 s on Milvus 2.3.5, in every process that plans), and there only
    // the tenant key could be promoted at all. Conservative: a user loses an index, never rows.
    const groups: Group[] = nullable ? [...passed, 'partitionKey'] : passed;
    let last = await trial(conn, groups, nullable, inspect(groups, nullable));
    if (last.created && last.wrote) {
      caps.partitionKey = last.partitionKey;
      passed = groups;
    } else if (nullable) last = await trial(conn, passed, nullable, inspect(passed, nullable));
    if (!last.created || !last.wrote) return { ...caps, indexTypes: {} };
  }
  caps.types = ['Bool', 'Int64', 'Double', 'VarChar', 'Array'];
  if (passed.includes('timestamptz')) caps.types.push('Timestamptz');
  if (passed.includes('geometry')) caps.types.push('Geometry');
  caps.arrayElementTypes = [...ELEMENTS];
  // Nullable only if a null also comes back as null (Milvus Lite 3 once lost nullable vectors so).
  caps.nullable = nullable && reads.nullsBack;
  caps.textMatch = passed.includes('text') && reads.textMatch;
  // A filter on the partition key must find every row written with it (see trial()).
  caps.partitionKey &&= reads.partitionFilter;
  return caps;
}
