/**
 * CollectionPlan → Milvus DDL (CreateCollection + CreateIndex), and the compatibility check that
 * `--if-exists append` needs before it writes into a collection someone else created.
 */
import { DataType, type CreateCollectionReq, type CreateIndexSimpleReq, type FieldType } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan, MilvusVectorType, VectorFieldPlan } from '../core/types.ts';
import { configError, MigrationError } from '../core/errors.ts';
import type { MilvusConnection } from './client.ts';
import { call, fromThrown } from './errors.ts';
import { promotedFields } from './encode-scalars.ts';
import { collectionExists } from './exists.ts';
import { describePromoted, jsonIndexRequests, scalarFieldSchemas, scalarIndexRequests, scalarRefused, scalarSchemaDiff } from './schema-scalars.ts';

const vectorDataType: Record<Exclude<MilvusVectorType, 'ArrayOfStructFloatVector'>, DataType> = {
  FloatVector: DataType.FloatVector,
  Float16Vector: DataType.Float16Vector,
  SparseFloatVector: DataType.SparseFloatVector,
};

/** The SDK's (and DescribeCollection's) type name of a plan's vector field. */
export function vectorTypeName(v: VectorFieldPlan): string {
  return v.type === 'ArrayOfStructFloatVector' ? 'ArrayOfStruct' : v.type;
}

export function assertSupported(plan: CollectionPlan): void {
  const unset = plan.vectors.find((v) => v.metric === null);
  if (unset) {
    throw configError(
      'PLAN_METRIC_MISSING',
      `Collection ${plan.target}: vector field ${unset.field} has no metric.`,
      'Pick COSINE, IP or L2 for it in the plan.',
    );
  }
  const multi = plan.vectors.find((v) => v.type === 'ArrayOfStructFloatVector');
  if (multi) {
    throw configError(
      'SINK_UNSUPPORTED_TYPE',
      `Collection ${plan.target}: field ${multi.field} is a multivector (Array of Struct), which this sink cannot write yet.`,
      'Drop that vector from the plan, or map it to one dense vector before migrating.',
    );
  }
}

export function collectionFields(plan: CollectionPlan): FieldType[] {
  const pk = plan.primaryKey;
  const fields: FieldType[] = [
    pk.type === 'Int64'
      ? { name: pk.field, data_type: DataType.Int64, is_primary_key: true, autoID: false }
      : { name: pk.field, data_type: DataType.VarChar, is_primary_key: true, autoID: false, max_length: pk.maxLength ?? 36 },
  ];
  for (const v of plan.vectors) {
    const type = vectorDataType[v.type as keyof typeof vectorDataType];
    const field: FieldType = { name: v.field, data_type: type, description: v.note ?? '' };
    if (v.type !== 'SparseFloatVector') field.dim = v.dim;
    // Only when the plan asks: older servers reject the attribute on vector fields altogether.
    if (v.nullable) field.nullable = true;
    fields.push(field);
  }
  // Promoted payload keys (issue 10), after the vectors: schema-scalars.ts.
  fields.push(...scalarFieldSchemas(plan));
  return fields;
}

export function createCollectionRequest(plan: CollectionPlan, dbName: string): CreateCollectionReq {
  return {
    collection_name: plan.target,
    db_name: dbName,
    description: plan.description,
    fields: collectionFields(plan),
    enable_dynamic_field: true,
    // Strong: count() and fetch() right after the last write must see every row (verify depends on it).
    consistency_level: 'Strong',
    ...(plan.partitionKey ? { num_partitions: plan.partitionKey.numPartitions } : {}),
  };
}

/** One CreateIndex per vector field, as the plan says (plan() already chose what the target accepts). */
export function indexRequests(plan: CollectionPlan, dbName: string): CreateIndexSimpleReq[] {
  return plan.vectors.map((v) => ({
    collection_name: plan.target,
    db_name: dbName,
    field_name: v.field,
    index_name: v.field,
    index_type: v.index.type,
    metric_type: v.metric ?? '',
    params: { ...v.index.params },
  }));
}

/** What DescribeCollection tells about one field (the SDK flattens type_params onto the field). */
export interface DescribedField {
  name: string;
  data_type: string;
  is_primary_key?: boolean;
  autoID?: boolean;
  nullable?: boolean;
  dim?: string | number;
  max_length?: string | number;
  is_dynamic?: boolean;
}

export interface DescribedSchema {
  fields: DescribedField[];
  enable_dynamic_field?: boolean;
}

/** Differences that make appending unsafe, as lines a person can act on; empty = compatible. */
export function schemaDiff(plan: CollectionPlan, existing: DescribedSchema): string[] {
  const diff: string[] = [];
  const byName = new Map(existing.fields.map((f) => [f.name, f]));
  const pk = existing.fields.find((f) => f.is_primary_key);
  const want = plan.primaryKey;
  if (!pk) diff.push('existing collection has no primary key');
  else {
    if (pk.name !== want.field) diff.push(`primary key: existing \`${pk.name}\`, plan \`${want.field}\``);
    if (pk.data_type !== want.type) diff.push(`primary key type: existing ${pk.data_type}, plan ${want.type}`);
    if (pk.autoID) diff.push('primary key: existing has autoID on, so original ids would be replaced');
    if (want.type === 'VarChar' && Number(pk.max_length) < (want.maxLength ?? 36)) {
      diff.push(`primary key max_length: existing ${pk.max_length}, plan needs ${want.maxLength ?? 36}`);
    }
  }
  if (!existing.enable_dynamic_field) diff.push('dynamic field: existing has it off, the payload needs it on');
  for (const v of plan.vectors) {
    const f = byName.get(v.field);
    if (!f) {
      diff.push(`vector field \`${v.field}\`: missing in the existing collection`);
      continue;
    }
    if (f.data_type !== vectorTypeName(v)) diff.push(`vector field \`${v.field}\`: existing ${f.data_type}, plan ${vectorTypeName(v)}`);
    if (v.dim !== undefined && Number(f.dim) !== v.dim) diff.push(`vector field \`${v.field}\`: existing dim ${f.dim}, plan dim ${v.dim}`);
    if (v.nullable && !f.nullable) diff.push(`vector field \`${v.field}\`: plan writes nulls, existing field is not nullable`);
  }
  diff.push(...scalarSchemaDiff(plan, existing.fields));
  const planned = new Set([want.field, ...plan.vectors.map((v) => v.field), ...promotedFields(plan).map((f) => f.name)]);
  for (const f of existing.fields) {
    if (f.is_dynamic || f.is_primary_key || f.name === '$meta') continue;
    // An extra field we do not write must accept absence, or every upsert would be rejected.
    if (!planned.has(f.name) && !f.nullable && !f.autoID) diff.push(`field \`${f.name}\`: exists, not in the plan and not nullable`);
  }
  return diff;
}

/**
 * Makes the target collection ready for writes, per `plan.ifExists`.
 *
 * Indexes are created here, before any data, not in finish(): an index plan the target rejects
 * (Milvus Lite only takes SPARSE_INVERTED_INDEX/IP on sparse fields) then fails before any data
 * moves, as config errors must; and Milvus builds the index as segments seal instead of all at the
 * end. An existing collection (append) gets the indexes it lacks; its own indexes are kept.
 * `created`: the collection was made here, so it is new and empty (the sink may load it now).
 */
export async function prepareCollection(conn: MilvusConnection, plan: CollectionPlan): Promise<{ created: boolean }> {
  assertSupported(plan);
  const { client, database } = conn;
  const name = plan.target;
  const has = { value: await collectionExists(conn, name) };
  if (has.value && plan.ifExists === 'fail') {
    throw configError(
      'TARGET_EXISTS',
      `Target ${conn.describe(name)} already exists.`,
      'Pass `--if-exists append` to write into it (its schema must match the plan), or `--if-exists drop` to replace it, or rename the target in the plan.',
    );
  }
  if (has.value && plan.ifExists === 'drop') {
    await call(conn.ctx('DropCollection', name), () => client.dropCollection({ collection_name: name, db_name: database }));
  }
  if (has.value && plan.ifExists === 'append') {
    const described = await call(conn.ctx('DescribeCollection', name), () =>
      client.describeCollection({ collection_name: name, db_name: database, cache: false }),
    );
    const diff = schemaDiff(plan, described.schema as unknown as DescribedSchema);
    if (diff.length > 0) {
      throw configError(
        'TARGET_SCHEMA_MISMATCH',
        `Cannot append to ${conn.describe(name)}: its schema differs from the plan:\n  - ${diff.join('\n  - ')}`,
        'Use `--if-exists drop` to recreate it, or edit the plan (field names, types, dims) to match the existing collection.',
      );
    }
    await ensureIndexes(conn, plan);
    return { created: false };
  }
  await call(conn.ctx('CreateCollection', name), () => client.createCollection(createCollectionRequest(plan, database))).catch((e: unknown) => {
    // A refusal of a plan with promoted payload fields is most likely about them (plan() checked
    // the rest long ago): name them, and the way back to what worked before.
    if (!(e instanceof MigrationError) || e.kind !== 'config' || promotedFields(plan).length === 0) throw e;
    throw scalarRefused(plan, `the collection schema with the promoted payload fields ${describePromoted(plan)}`,
      'Keep those keys dynamic (mode "dynamic") in the plan, or change their type, length or partition key to what this target accepts (`inspect --target-uri` lists its capabilities).', e);
  });
  try {
    await ensureIndexes(conn, plan);
  } catch (e) {
    // Do not leave an index-less collection behind: a rerun with a fixed plan and the same
    // `--if-exists fail` would otherwise stop at TARGET_EXISTS.
    await client.dropCollection({ collection_name: name, db_name: database }).catch(() => undefined);
    throw e;
  }
  return { created: true };
}

/** Creates the plan's index on every vector field that has none. */
export async function ensureIndexes(conn: MilvusConnection, plan: CollectionPlan): Promise<void> {
  const { client, database } = conn;
  const existing = await client.describeIndex({ collection_name: plan.target, db_name: database }).catch((e: unknown) => {
    // No index yet is an answer; an unreachable target is not (we would then create an index that
    // exists, which the target refuses as a config error instead of the retry the outage deserves).
    const error = fromThrown(e, conn.ctx('DescribeIndex', plan.target));
    if (error.kind === 'transient') throw error;
    return undefined;
  });
  const indexed = new Set((existing?.index_descriptions ?? []).map((d) => d.field_name));
  const names = new Set((existing?.index_descriptions ?? []).map((d) => d.index_name));
  for (const req of indexRequests(plan, database)) {
    if (indexed.has(req.field_name)) continue;
    await call(conn.ctx(`CreateIndex ${req.index_type}/${req.metric_type} of field ${req.field_name}`, plan.target), () =>
      client.createIndex(req),
    );
  }
  for (const req of scalarIndexRequests(plan, database)) {
    if (indexed.has(req.field_name)) continue;
    await call(conn.ctx(`CreateIndex ${req.index_type} of field ${req.field_name}`, plan.target), () => client.createIndex(req)).catch((e: unknown) => {
      throw configOnly(e, () => scalarRefused(plan, `a ${req.index_type} index on the payload field ${req.field_name}`,
        `Set that field's index to null or to another type this target accepts (INVERTED is the widest) in the plan.`, e));
    });
  }
  for (const { key, ...req } of jsonIndexRequests(plan, database)) {
    if (names.has(req.index_name ?? '')) continue;
    await call(conn.ctx(`CreateIndex ${req.index_type} on ${req.params?.json_path as string}`, plan.target), () => client.createIndex(req)).catch((e: unknown) => {
      throw configOnly(e, () => scalarRefused(plan, `a JSON path index (${req.params?.json_cast_type as string}) on the dynamic key ${JSON.stringify(key)}`,
        `Drop that key's jsonIndex from the plan (the key stays in $meta, unindexed), or promote it to a field.`, e));
    });
  }
}

/** Config errors get the payload-specific message; transient ones stay as they are (retried). */
function configOnly(e: unknown, wrap: () => MigrationError): unknown {
  return e instanceof MigrationError && e.kind === 'config' ? wrap() : e;
}
