/**
 * The payload part of plan() (issue 10): one PayloadKeyPlan per key, the carried Qdrant indexes
 * (JSON path index in `$meta`, or the index of a promoted field), the tenant key proposal and the
 * partition key. Pure; every refusal is a problem with the plan-file edit that fixes it.
 */
import type {
  PartitionKeyPlan, PayloadKeyPlan, PayloadKeyStats, PromotedFieldPlan, ScalarCapabilities,
} from '../core/payload-schema.ts';
import type { SourceCollection, TargetCapabilities } from '../core/types.ts';
import { nameError, sanitizeName } from './names.ts';
import type { CollectionOverrides, PayloadOverride } from './overrides.ts';
import { DEFAULT_ANALYZER, castTypeFor, chooseIndex, fieldTypeFor, sourceShape, MAX_CAPACITY, MAX_VARCHAR, type FieldType } from './promote.ts';
import type { Report } from './vectors.ts';

/** Milvus's default `num_partitions` since 2.4, and its bound (`rootCoord.maxPartitionNum` is 1024 by default). */
export const DEFAULT_NUM_PARTITIONS = 16;
export const MAX_NUM_PARTITIONS = 1024;

export interface PayloadPlanResult {
  payload: PayloadKeyPlan[];
  partitionKey: PartitionKeyPlan | null;
}

/** `payload.tenant`; keys that are not plain names are quoted: `payload["a b"]`. */
export const payloadPath = (key: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `payload.${key}` : `payload[${JSON.stringify(key)}]`);

/** Stats of every key: sampled ones, else the payload_schema alone (nothing sampled). */
export function keyStats(source: SourceCollection): PayloadKeyStats[] {
  if (source.payloadKeys) return source.payloadKeys;
  return Object.entries(source.payloadSchema).map(([key, s]) => ({
    key, present: 0, sampled: 0, kinds: {},
    ...(isIndexType(s.dataType) && { index: { type: s.dataType, ...(s.isTenant && { isTenant: true }), ...(s.points !== undefined && { points: s.points }) } }),
  }));
}
const isIndexType = (t: string): t is NonNullable<PayloadKeyStats['index']>['type'] =>
  ['keyword', 'integer', 'float', 'bool', 'datetime', 'uuid', 'text', 'geo'].includes(t);

/**
 * Plans every payload key. `taken` maps the schema's field names (primary key, vectors, `$meta`)
 * to what uses them, for clash checks. `at(path)` reports a problem at that plan path.
 */
export function planPayload(
  source: SourceCollection,
  caps: TargetCapabilities,
  ov: CollectionOverrides,
  taken: Map<string, string>,
  at: (path: string) => Report,
): PayloadPlanResult {
  const stats = [...keyStats(source)]; // a copy: plan() never changes its input
  const overrides = new Map<string, PayloadOverride>();
  for (const o of ov.payload ?? []) {
    if (overrides.has(o.key)) at(payloadPath(o.key))('error', 'DUPLICATE_PAYLOAD_KEY', `The plan lists payload key "${o.key}" more than once.`, 'Keep one entry per key under "payload".');
    overrides.set(o.key, o);
  }
  const known = new Set(stats.map((s) => s.key));
  // A key the sample missed may still be promoted when the user says its type.
  for (const o of overrides.values()) if (!known.has(o.key)) stats.push({ key: o.key, present: 0, sampled: stats[0]?.sampled ?? 0, kinds: {} });
  const pkRequest = ov.partitionKey ?? null;
  const payload = stats.map((s) => planKey(s, caps.scalar, overrides.get(s.key), pkRequest?.field, at(payloadPath(s.key))));
  checkFieldNames(payload, taken, at);
  const partitionKey = planPartitionKey(payload, caps.scalar, pkRequest, at('partitionKey'));
  if (!pkRequest) proposeTenantKeys(payload, caps.scalar, at);
  return { payload, partitionKey };
}

function planKey(stats: PayloadKeyStats, scalar: ScalarCapabilities | undefined, ov: PayloadOverride | undefined, pkField: string | undefined, report: Report): PayloadKeyPlan {
  const shape = sourceShape(stats);
  if (ov?.mode === 'field') {
    const promoted = promoteKey(stats, scalar, ov, pkField, report);
    if (typeof promoted !== 'string') return { key: stats.key, mode: 'field', field: promoted.field, stats, ...(promoted.note && { note: promoted.note }) };
    return { key: stats.key, mode: 'dynamic', jsonIndex: null, stats, note: `Not promoted: ${promoted}.` };
  }
  const plan: PayloadKeyPlan = { key: stats.key, mode: 'dynamic', stats, ...proposeJsonIndex(stats, shape, scalar) };
  if (ov?.jsonIndex === undefined || JSON.stringify(ov.jsonIndex) === JSON.stringify(plan.jsonIndex ?? null)) return plan;
  plan.jsonIndex = ov.jsonIndex;
  delete plan.note;
  if (ov.jsonIndex && !scalar?.jsonPathIndex) report('error', 'JSON_INDEX_UNSUPPORTED', `The target does not take a JSON path index${scalar ? '' : ' (its scalar capabilities were not probed)'}, so $meta["${stats.key}"] cannot be indexed.`, `Set "jsonIndex": null for key "${stats.key}", or promote it ("mode": "field").`);
  return plan;
}

/** The carried Qdrant index of a dynamic key: a JSON path index, or a note saying why none. */
function proposeJsonIndex(stats: PayloadKeyStats, shape: ReturnType<typeof sourceShape>, scalar: ScalarCapabilities | undefined): Pick<PayloadKeyPlan, 'jsonIndex' | 'note'> {
  if (!stats.index) return {};
  const cast = castTypeFor(shape);
  if (cast && scalar?.jsonPathIndex) {
    return { jsonIndex: { castType: cast, indexType: 'INVERTED' }, note: `Carries Qdrant's ${stats.index.type} index as a JSON path index (cast ${cast}).` };
  }
  return {
    jsonIndex: null,
    note: cast
      ? `Qdrant's ${stats.index.type} index is not carried: the target has no JSON path index. Promote the key ("mode": "field") to index it.`
      : `Qdrant's ${stats.index.type} index has no JSON path index equivalent; ${scalar?.types.includes('Geometry') ? 'promote the key to a Geometry field to index it' : 'the target has no Geometry field, so it stays unindexed in $meta'}.`,
  };
}

/** A field plan for a key the user promoted, or why it cannot be one (it then stays dynamic). */
function promoteKey(stats: PayloadKeyStats, scalar: ScalarCapabilities | undefined, ov: PayloadOverride, pkField: string | undefined, report: Report): { field: PromotedFieldPlan; note?: string } | string {
  const f = ov.field ?? {};
  const unsupported = (what: string, fix: string): string => {
    report('error', 'PROMOTE_UNSUPPORTED', `Payload key "${stats.key}" cannot be promoted: ${what}.`, fix);
    return what;
  };
  const keepDynamic = `Keep it dynamic: remove "mode": "field" for key "${stats.key}".`;
  if (!scalar) return unsupported('the target\'s scalar field capabilities are unknown (not probed)', `${keepDynamic} Or plan against a reachable target (--target-uri).`);
  // The partition key field is never nullable (Milvus refuses that): it holds its default instead.
  if (!scalar.nullable && pkField !== (f.name ?? sanitizeName(stats.key))) {
    return unsupported('the target refused nullable scalar fields when probed (Milvus < 2.5), and points without the key must stay valid', `${keepDynamic} Only a partition key field can be promoted there (it is never null).`);
  }
  let ft: FieldType | string = fieldTypeFor(sourceShape(stats), stats, scalar);
  if (f.type !== undefined) ft = { ...(typeof ft === 'string' ? {} : ft), type: f.type, ...(f.type === 'Array' && { elementType: f.elementType ?? (typeof ft === 'string' ? undefined : ft.elementType) }) } as FieldType;
  if (typeof ft === 'string') {
    if (/Geometry/.test(ft)) {
      report('warning', 'PROMOTE_FALLBACK', `Payload key "${stats.key}" stays in the dynamic field: ${ft}.`, `Remove "mode": "field" for key "${stats.key}", or migrate to Milvus 2.6+.`);
      return ft;
    }
    return unsupported(ft, keepDynamic);
  }
  if (!scalar.types.includes(ft.type)) return unsupported(`the target has no ${ft.type} fields`, `Pick another "field.type" for key "${stats.key}", or keep it dynamic.`);
  if (ft.type === 'Array') {
    if (!ft.elementType) return unsupported('an Array field needs "field.elementType"', `Set "field.elementType" (Bool, Int64, Double or VarChar) for key "${stats.key}".`);
    if (!scalar.arrayElementTypes.includes(ft.elementType)) return unsupported(`the target has no Array of ${ft.elementType}`, keepDynamic);
  }
  const name = f.name ?? sanitizeName(stats.key);
  const bad = f.name !== undefined ? nameError(name) : null;
  if (bad) report('error', 'INVALID_NAME', `Field name "${name}" for payload key "${stats.key}" is not a valid Milvus name: ${bad}.`, 'Use letters, digits and _ only, not starting with a digit.');
  const isPk = pkField === name;
  const maxLength = f.maxLength ?? ft.maxLength;
  const maxCapacity = f.maxCapacity ?? ft.maxCapacity;
  checkLimits(stats, ft, maxLength, maxCapacity, report);
  let index = f.index === undefined ? chooseIndex(ft, stats, scalar, isPk) : f.index;
  if (index && !(scalar.indexTypes[ft.type] ?? []).includes(index.type)) {
    report('error', 'INDEX_UNSUPPORTED', `Index ${index.type} is not accepted on a ${ft.type} field by the target (probed: ${(scalar.indexTypes[ft.type] ?? []).join(', ') || 'none'}).`,
      `Set "field.index" of key "${stats.key}" to one of those, or null.`);
    index = null;
  }
  const textMatch = (f.enableMatch ?? ft.textMatch === true) && ft.type === 'VarChar';
  if (textMatch && !scalar.textMatch) report('error', 'TEXT_MATCH_UNSUPPORTED', 'The target has no analyzer / enable_match.', `Remove "enableMatch" for key "${stats.key}".`);
  const field: PromotedFieldPlan = {
    name,
    type: ft.type,
    ...(ft.type === 'Array' && { elementType: ft.elementType }),
    ...((ft.type === 'VarChar' || ft.elementType === 'VarChar') && maxLength !== undefined && { maxLength }),
    ...(ft.type === 'Array' && maxCapacity !== undefined && { maxCapacity }),
    nullable: !isPk,
    ...(isPk && { defaultValue: ft.type === 'Int64' ? 0 : '' }),
    index,
    ...(textMatch && { analyzer: DEFAULT_ANALYZER, enableMatch: true }),
    onMismatch: f.onMismatch ?? 'reject',
  };
  // A type the user named for a key the sample never saw: Milvus needs the lengths all the same.
  if ((ft.type === 'VarChar' || ft.elementType === 'VarChar') && field.maxLength === undefined) field.maxLength = 256;
  if (ft.type === 'Array' && field.maxCapacity === undefined) field.maxCapacity = 64;
  return { field, ...(ft.note && { note: ft.note }) };
}

function checkLimits(stats: PayloadKeyStats, ft: FieldType, maxLength: number | undefined, maxCapacity: number | undefined, report: Report): void {
  if (maxLength !== undefined && (maxLength < 1 || maxLength > MAX_VARCHAR)) report('error', 'FIELD_MAX_LENGTH', `maxLength ${maxLength} of key "${stats.key}" is out of range: Milvus allows 1 to ${MAX_VARCHAR}.`, `Set "field.maxLength" between 1 and ${MAX_VARCHAR}.`);
  if (maxCapacity !== undefined && (maxCapacity < 1 || maxCapacity > MAX_CAPACITY)) report('error', 'FIELD_MAX_CAPACITY', `maxCapacity ${maxCapacity} of key "${stats.key}" is out of range: Milvus allows 1 to ${MAX_CAPACITY}.`, `Set "field.maxCapacity" between 1 and ${MAX_CAPACITY}.`);
  const varchar = ft.type === 'VarChar' || ft.elementType === 'VarChar';
  if (varchar && maxLength !== undefined && (stats.maxStringBytes ?? 0) > maxLength) report('warning', 'VALUES_TOO_LONG', `The sample holds ${stats.maxStringBytes}-byte strings under "${stats.key}", longer than maxLength ${maxLength}: those points meet the mismatch policy.`, `Raise "field.maxLength" (at most ${MAX_VARCHAR}), or keep the key dynamic.`);
  const misfits = misfitCount(stats, ft);
  if (misfits > 0) report('warning', 'VALUES_MISMATCH', `${misfits} of ${stats.present} sampled values under "${stats.key}" are not ${ft.type === 'Array' ? `arrays of ${ft.elementType}` : ft.type} values: those points meet the mismatch policy.`, `Choose "field.onMismatch" ("reject", "null" or "fail") or another "field.type" for key "${stats.key}", or keep it dynamic.`);
  if (ft.type === 'Array' && maxCapacity !== undefined && (stats.maxArrayLength ?? 0) > maxCapacity) report('warning', 'ARRAYS_TOO_LONG', `The sample holds ${stats.maxArrayLength}-element arrays under "${stats.key}", more than maxCapacity ${maxCapacity}: those points meet the mismatch policy.`, `Raise "field.maxCapacity" (at most ${MAX_CAPACITY}), or keep the key dynamic.`);
}

/** Sampled values whose JSON kind the field cannot hold (nulls are fine: the field is nullable). */
function misfitCount(stats: PayloadKeyStats, ft: FieldType): number {
  const fits: Record<string, readonly string[]> = {
    Int64: ['integer'], Double: ['integer', 'float'], Bool: ['bool'], VarChar: ['string'], Timestamptz: ['string'], Geometry: ['object'], Array: ['array'],
  };
  const ok = fits[ft.type] ?? [];
  let n = 0;
  for (const [kind, count] of Object.entries(stats.kinds)) if (kind !== 'null' && !ok.includes(kind)) n += count ?? 0;
  if (ft.type === 'Array' && ft.elementType) {
    const el = fits[ft.elementType] ?? [];
    // Elements are counted over all arrays: at least one array per bad element kind misfits.
    if (Object.entries(stats.elementKinds ?? {}).some(([k, c]) => (c ?? 0) > 0 && !el.includes(k))) n = Math.max(n, 1);
  }
  return n;
}

/** Promoted names must not clash with the schema's fields or with each other. */
function checkFieldNames(payload: PayloadKeyPlan[], taken: Map<string, string>, at: (path: string) => Report): void {
  const seen = new Map(taken);
  for (const p of payload) {
    if (!p.field) continue;
    const first = seen.get(p.field.name);
    if (first !== undefined) {
      at(payloadPath(p.key))('error', 'DUPLICATE_FIELD', `Field name "${p.field.name}" of payload key "${p.key}" is already used by ${first}.`, `Rename it ("field": {"name": ...} of key "${p.key}" in the plan file).`);
    } else seen.set(p.field.name, `payload key "${p.key}"`);
  }
}

function planPartitionKey(payload: PayloadKeyPlan[], scalar: ScalarCapabilities | undefined, req: CollectionOverrides['partitionKey'], report: Report): PartitionKeyPlan | null {
  if (!req) return null;
  const numPartitions = req.numPartitions ?? DEFAULT_NUM_PARTITIONS;
  if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > MAX_NUM_PARTITIONS) {
    report('error', 'NUM_PARTITIONS', `partitionKey.numPartitions ${numPartitions} is out of range: Milvus allows 1 to ${MAX_NUM_PARTITIONS}.`, `Set "numPartitions" between 1 and ${MAX_NUM_PARTITIONS} (default ${DEFAULT_NUM_PARTITIONS}).`);
  }
  if (!scalar?.partitionKey) report('error', 'PARTITION_KEY_UNSUPPORTED', 'The target does not take a partition key.', 'Set "partitionKey": null.');
  const owner = payload.find((p) => p.field?.name === req.field);
  if (!owner?.field) {
    const dyn = payload.find((p) => p.key === req.field);
    report('error', 'PARTITION_KEY_NOT_FIELD', `Partition key "${req.field}" is not a promoted field${dyn ? `: payload key "${dyn.key}" is dynamic` : ''}.`,
      dyn ? `Set "mode": "field" on payload key "${dyn.key}".` : 'Name the field of a promoted payload key (its "field.name").');
  } else if (owner.field.type !== 'VarChar' && owner.field.type !== 'Int64') {
    report('error', 'PARTITION_KEY_TYPE', `Partition key "${req.field}" is a ${owner.field.type} field; Milvus takes VarChar or Int64 only.`, 'Pick a VarChar or Int64 field, or set "partitionKey": null.');
  }
  const tenant = owner?.stats?.index?.isTenant ? owner.key : undefined;
  return { field: req.field, numPartitions, ...(tenant !== undefined && { fromTenantKey: tenant }) };
}

/** Qdrant's `is_tenant` says how the user splits the data: propose Milvus's own multi-tenancy. */
function proposeTenantKeys(payload: PayloadKeyPlan[], scalar: ScalarCapabilities | undefined, at: (path: string) => Report): void {
  for (const p of payload) {
    const idx = p.stats?.index;
    if (!idx?.isTenant || (idx.type !== 'keyword' && idx.type !== 'uuid')) continue;
    if (!scalar?.partitionKey) {
      at(payloadPath(p.key))('warning', 'TENANT_KEY', `Payload key "${p.key}" is Qdrant's tenant key (is_tenant); the target cannot take it as a partition key, so it stays ${p.mode === 'field' ? 'a plain field' : 'in the dynamic field'}.`);
      continue;
    }
    const name = p.field?.name ?? sanitizeName(p.key);
    const edit = `${p.mode === 'field' ? '' : `set "mode": "field" on payload key "${p.key}" and `}set "partitionKey": {"field": "${name}", "numPartitions": ${DEFAULT_NUM_PARTITIONS}}`;
    at(payloadPath(p.key))('warning', 'TENANT_KEY', `Payload key "${p.key}" is Qdrant's tenant key (is_tenant): it could become a partition key, Milvus's own multi-tenancy.`,
      `In the plan file, ${edit}. Points without the key then get "" there (a partition key cannot be null).`);
  }
}
