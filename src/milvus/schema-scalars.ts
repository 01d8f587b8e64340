/**
 * The payload side of the DDL (issue 10): promoted payload keys as typed scalar fields, the
 * partition key, scalar indexes, and JSON path indexes on the dynamic field for keys that stay
 * dynamic. schema.ts puts these into CreateCollection / CreateIndex; plan() has already checked
 * them against ScalarCapabilities, so a refusal here is a target that changed or lied to the probe,
 * reported as a config error that names the field and the way out.
 */
import type { CreateIndexSimpleReq, FieldType } from '@zilliz/milvus2-sdk-node';
import type { PayloadKeyPlan, PromotedFieldPlan } from '../core/payload-schema.ts';
import type { CollectionPlan } from '../core/types.ts';
import { configError, MigrationError } from '../core/errors.ts';
import { promotedFields, SCALAR_DATA_TYPE } from './encode-scalars.ts';
import { DYNAMIC_FIELD } from './rows.ts';

/** One promoted field as CreateCollection wants it (the SDK turns these keys into type_params). */
export function scalarFieldSchema(f: PromotedFieldPlan, plan: CollectionPlan): FieldType {
  const field: FieldType = { name: f.name, data_type: SCALAR_DATA_TYPE[f.type], description: `payload key` };
  const key = plan.payload?.find((k) => k.field === f)?.key;
  if (key !== undefined && key !== f.name) field.description = `payload key ${key}`;
  // Only when true: Milvus 2.3 has no nullable scalars, and plan() never promotes there.
  if (f.nullable) field.nullable = true;
  if (f.type === 'VarChar' || (f.type === 'Array' && f.elementType === 'VarChar')) field.max_length = f.maxLength ?? 65_535;
  if (f.type === 'Array') {
    field.element_type = SCALAR_DATA_TYPE[f.elementType ?? 'VarChar'];
    field.max_capacity = f.maxCapacity ?? 4096;
  }
  if (f.analyzer) {
    field.enable_analyzer = true;
    field.analyzer_params = f.analyzer.params;
  }
  if (f.enableMatch) field.enable_match = true;
  if (plan.partitionKey?.field === f.name) field.is_partition_key = true;
  return field;
}

export function scalarFieldSchemas(plan: CollectionPlan): FieldType[] {
  return promotedFields(plan).map((f) => scalarFieldSchema(f, plan));
}

/** The index of a JSON path index on `$meta["key"]` (one per key; Milvus wants a unique name per index). */
export function jsonIndexName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 200);
  return `q2m_json_${safe}`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where a JSON path index on a dynamic key points. Milvus (2.5.11+) documents it as the key's name
 * both as `field_name` and as `json_path` ("Index keys in the dynamic field"); a key that is not a
 * plain name cannot be written that way, so it gets `$meta["key"]` on the `$meta` field (a target
 * that refuses it says so at CreateIndex, naming the key).
 */
export function jsonIndexTarget(key: string): { field_name: string; json_path: string } {
  if (PLAIN_KEY.test(key)) return { field_name: key, json_path: key };
  return { field_name: DYNAMIC_FIELD, json_path: `${DYNAMIC_FIELD}[${JSON.stringify(key)}]` };
}

/** CreateIndex of each promoted field that has an index in the plan. */
export function scalarIndexRequests(plan: CollectionPlan, dbName: string): CreateIndexSimpleReq[] {
  return promotedFields(plan)
    .filter((f) => f.index)
    .map((f) => ({
      collection_name: plan.target,
      db_name: dbName,
      field_name: f.name,
      index_name: f.name,
      index_type: f.index!.type,
      params: { ...f.index!.params },
    }));
}

/** CreateIndex of each dynamic key with a JSON path index (`json_path` / `json_cast_type`). */
export function jsonIndexRequests(plan: CollectionPlan, dbName: string): Array<CreateIndexSimpleReq & { key: string }> {
  return (plan.payload ?? [])
    .filter((k): k is PayloadKeyPlan & { jsonIndex: NonNullable<PayloadKeyPlan['jsonIndex']> } => k.mode === 'dynamic' && !!k.jsonIndex)
    .map((k) => ({
      key: k.key,
      collection_name: plan.target,
      db_name: dbName,
      field_name: jsonIndexTarget(k.key).field_name,
      index_name: jsonIndexName(k.key),
      index_type: k.jsonIndex.indexType,
      params: { json_path: jsonIndexTarget(k.key).json_path, json_cast_type: k.jsonIndex.castType },
    }));
}

/** A config error from the target's refusal of a promoted field's schema or index. */
export function scalarRefused(plan: CollectionPlan, what: string, fix: string, cause: unknown): MigrationError {
  const reason = cause instanceof MigrationError ? cause.message : String(cause);
  return configError('TARGET_PAYLOAD_REFUSED', `Collection ${plan.target}: the target refused ${what}. ${reason}`, fix, cause);
}

/** Why CreateCollection may have failed, when the plan has promoted fields: names them. */
export function describePromoted(plan: CollectionPlan): string {
  const fields = promotedFields(plan).map((f) => {
    const type = f.type === 'Array' ? `Array<${f.elementType}>` : f.type;
    const extra = [f.nullable ? 'nullable' : '', f.enableMatch ? 'enable_match' : '', plan.partitionKey?.field === f.name ? `partition key, ${plan.partitionKey.numPartitions} partitions` : '']
      .filter(Boolean)
      .join(', ');
    return `${f.name} (${type}${extra ? `, ${extra}` : ''})`;
  });
  return fields.join('; ');
}

/** What DescribeCollection says of a field, as far as appending into it matters. */
export interface DescribedScalar {
  name: string;
  data_type: string;
  element_type?: string;
  nullable?: boolean;
  is_partition_key?: boolean;
  max_length?: string | number;
  max_capacity?: string | number;
}

/** Differences between the plan's promoted fields and an existing collection (append). */
export function scalarSchemaDiff(plan: CollectionPlan, existing: DescribedScalar[]): string[] {
  const diff: string[] = [];
  const byName = new Map(existing.map((f) => [f.name, f]));
  for (const f of promotedFields(plan)) {
    const e = byName.get(f.name);
    if (!e) {
      diff.push(`payload field \`${f.name}\`: missing in the existing collection`);
      continue;
    }
    if (e.data_type !== f.type) diff.push(`payload field \`${f.name}\`: existing ${e.data_type}, plan ${f.type}`);
    if (f.type === 'Array' && e.element_type !== f.elementType) diff.push(`payload field \`${f.name}\`: existing elements ${e.element_type}, plan ${f.elementType}`);
    if (f.nullable && !e.nullable) diff.push(`payload field \`${f.name}\`: plan writes nulls, existing field is not nullable`);
    if (f.maxLength !== undefined && e.max_length !== undefined && Number(e.max_length) < f.maxLength) {
      diff.push(`payload field \`${f.name}\`: existing max_length ${e.max_length}, plan needs ${f.maxLength}`);
    }
    if (f.maxCapacity !== undefined && e.max_capacity !== undefined && Number(e.max_capacity) < f.maxCapacity) {
      diff.push(`payload field \`${f.name}\`: existing max_capacity ${e.max_capacity}, plan needs ${f.maxCapacity}`);
    }
  }
  const pk = existing.find((f) => f.is_partition_key);
  if ((pk?.name ?? null) !== (plan.partitionKey?.field ?? null)) {
    diff.push(`partition key: existing ${pk ? `\`${pk.name}\`` : 'none'}, plan ${plan.partitionKey ? `\`${plan.partitionKey.field}\`` : 'none'}`);
  }
  return diff;
}
