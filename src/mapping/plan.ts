/**
 * plan(): how Qdrant collections become Milvus collections. Pure: the same source description,
 * target capabilities and overrides always give the same plan and the same problems. Every
 * default and every refusal is a row of the mapping table in DESIGN.md.
 */
import { getOwn } from '../core/own.ts';
import type { PayloadKeyPlan } from '../core/payload-schema.ts';
import type {
  CollectionPlan,
  IdKinds,
  PrimaryKeyPlan,
  Problem,
  SourceCollection,
  TargetCapabilities,
  VectorFieldPlan,
} from '../core/types.ts';
import { planAliases, type AliasOptions } from './aliases.ts';
import { DYNAMIC_FIELD, clashFreeKey, nameError, sanitizeName } from './names.ts';
import type { CollectionOverrides } from './overrides.ts';
import { planPayload } from './payload-plan.ts';
import { planVectorField, targetName, vectorPath, type Report } from './vectors.ts';

export type { CollectionOverrides, VectorOverride } from './overrides.ts';

export interface PlanOptions {
  /** Most vector fields the target allows (its `proxy.maxVectorFieldNum`). Default 4; at most 10. */
  maxVectorFields?: number;
  /** Collection names already in the target database (a clash needs ifExists append or drop). */
  existingTargets?: string[];
  /** Which aliases to carry and what the target has (mapping/aliases.ts). */
  aliases?: Omit<AliasOptions, 'existingTargets'>;
}

export const DEFAULT_MAX_VECTOR_FIELDS = 4;
export const MAX_MAX_VECTOR_FIELDS = 10;
/** Longest integer id as a decimal string: 2^64−1 has 20 digits. A UUID has 36 characters. */
const INT_ID_CHARS = 20;
const UUID_CHARS = 36;
const MAX_VARCHAR = 65535;
const INT64_MAX = 2n ** 63n - 1n;

export interface PlannedCollection {
  plan: CollectionPlan;
  /** Errors stop the migration before any data moves; warnings are shown and it goes on. */
  problems: Problem[];
}

/**
 * Plans one collection. Called by the CLI `plan` / `migrate` commands and the HTTP API (console
 * preview), through planMigration() when there are several collections. Always returns a complete
 * plan, even with errors, so the user sees the whole mapping next to what must change; the engine
 * runs a plan only when `problems` holds no error.
 */
export function planCollection(
  source: SourceCollection,
  caps: TargetCapabilities,
  overrides: CollectionOverrides = {},
  options: PlanOptions = {},
): PlannedCollection {
  const problems: Problem[] = [];
  const at = (path: string): Report => (severity, code, message, fix) =>
    problems.push({ severity, collection: source.name, path, code, message, ...(fix !== undefined && { fix }) });

  const target = planTarget(source, overrides, options, at('target'));
  const primaryKey = planPrimaryKey(source.idKinds, overrides.primaryKey, at('primaryKey'));
  const missingVector = overrides.policies?.missingVector ?? 'fail';
  checkVectorCount(source, caps, options, at('vectors'));
  for (const ov of overrides.vectors ?? []) {
    if (!source.vectors.some((v) => v.name === ov.source))
      at(vectorPath(ov.source))('error', 'UNKNOWN_VECTOR', `The plan names vector "${ov.source}", which "${source.name}" does not have.`,
        `Remove it from the plan; the collection's vectors are: ${source.vectors.map((v) => JSON.stringify(v.name)).join(', ') || 'none'}.`);
  }
  const vectors = source.vectors.map((v) =>
    planVectorField(v, caps, overrides.vectors?.find((o) => o.source === v.name), missingVector, at(vectorPath(v.name))),
  );
  checkDuplicateFields(primaryKey, vectors, at);
  const taken = new Map<string, string>([[primaryKey.field, 'the primary key'], [DYNAMIC_FIELD, 'the dynamic field'], ...vectors.map((v): [string, string] => [v.field, vectorPath(v.source)])]);
  const { payload, partitionKey } = planPayload(source, caps, overrides, taken, at);
  const promoted = payload.flatMap((p) => (p.field ? [p.field.name] : []));
  checkPayloadClashes(source, primaryKey, vectors, promoted, payload, at('payload'));

  const plan: CollectionPlan = {
    source: source.name,
    target,
    description: overrides.description ?? `Migrated from Qdrant collection "${source.name}" by qdrant2milvus`,
    primaryKey,
    vectors,
    dynamicField: true,
    payload,
    partitionKey,
    policies: { nullPayloadValues: 'drop', missingVector },
    ifExists: overrides.ifExists ?? 'fail',
    sourceCount: source.pointsCount,
  };
  return { plan, problems };
}

function planTarget(source: SourceCollection, ov: CollectionOverrides, options: PlanOptions, report: Report): string {
  const target = ov.target ?? sanitizeName(source.name);
  const bad = ov.target !== undefined ? nameError(target) : null;
  if (bad) report('error', 'INVALID_NAME', `Target name "${target}" is not a valid Milvus name: ${bad}.`,
    'Use letters, digits and _ only, not starting with a digit.');
  if (!(options.existingTargets ?? []).includes(target)) return target;
  const ifExists = ov.ifExists ?? 'fail';
  if (ifExists === 'fail') {
    report('error', 'TARGET_EXISTS', `Collection "${target}" already exists in the target database.`,
      `Pass --if-exists append (add to it; its schema must match) or --if-exists drop (replace it), or rename the target.`);
  } else if (ifExists === 'drop') {
    report('warning', 'TARGET_DROP', `Collection "${target}" exists in the target and will be dropped with all its data.`);
  } else {
    report('warning', 'TARGET_APPEND', `Collection "${target}" exists in the target; rows will be added to it (its schema must match the plan).`);
  }
  return target;
}

/** INT64 when every id fits; else VARCHAR(36) holding UUIDs as they are and integers in decimal. */
function planPrimaryKey(ids: IdKinds, ov: CollectionOverrides['primaryKey'], report: Report): PrimaryKeyPlan {
  const field = ov?.field ?? 'id';
  const bad = ov?.field !== undefined ? nameError(field) : null;
  if (bad) report('error', 'INVALID_NAME', `Primary key name "${field}" is not a valid Milvus name: ${bad}.`,
    'Use letters, digits and _ only, not starting with a digit.');
  const int64Fits = !ids.uuid && !ids.intAbove63;
  const type = ov?.type ?? (int64Fits ? 'Int64' : 'VarChar');
  if (type === 'Int64') {
    if (!int64Fits) report('error', 'PK_TYPE_UNFIT',
      `The primary key cannot be Int64: the collection has ${ids.uuid ? 'UUID ids' : `integer ids above ${INT64_MAX}`}.`,
      'Remove primaryKey.type or set it to "VarChar".');
    return { field, type, autoId: false };
  }
  const needed = ids.uuid ? UUID_CHARS : INT_ID_CHARS;
  const maxLength = ov?.maxLength ?? UUID_CHARS;
  if (maxLength < needed || maxLength > MAX_VARCHAR) report('error', 'PK_MAX_LENGTH',
    `primaryKey.maxLength ${maxLength} cannot hold the ids: they need ${needed} characters, and Milvus allows at most ${MAX_VARCHAR}.`,
    `Set primaryKey.maxLength between ${needed} and ${MAX_VARCHAR}, or remove it (default ${UUID_CHARS}).`);
  return { field, type, maxLength, autoId: false };
}

function checkVectorCount(source: SourceCollection, caps: TargetCapabilities, options: PlanOptions, report: Report): void {
  const requested = options.maxVectorFields ?? DEFAULT_MAX_VECTOR_FIELDS;
  let max = Math.min(Math.max(Math.trunc(requested), 1), MAX_MAX_VECTOR_FIELDS);
  if (max !== requested) report('error', 'INVALID_OPTION',
    `--max-vector-fields ${requested} is out of range: Milvus allows 1 to ${MAX_MAX_VECTOR_FIELDS} vector fields per collection.`,
    `Pass --max-vector-fields between 1 and ${MAX_MAX_VECTOR_FIELDS} (the target's proxy.maxVectorFieldNum).`);
  const n = source.vectors.length;
  if (n === 0) {
    report('error', 'NO_VECTORS', `Collection "${source.name}" has no vectors; a Milvus collection needs at least one vector field.`,
      'Leave this collection out.');
    return;
  }
  // A probed limit is what the target showed; the flag only stands in for it when nothing was probed.
  const probed = caps.maxVectorFields;
  if (probed !== undefined) max = options.maxVectorFields === undefined ? probed : Math.min(max, probed);
  if (n <= max) return;
  if (probed !== undefined && max === probed) {
    report('error', 'TOO_MANY_VECTORS',
      `Collection "${source.name}" has ${n} vectors; the target (${targetName(caps)}) accepts ${probed} vector field${probed === 1 ? '' : 's'} per collection (probed).`,
      `Leave this collection out, or migrate it to a target that accepts ${n} (Milvus ≥ 2.4 accepts 4 by default, up to ${MAX_MAX_VECTOR_FIELDS} with proxy.maxVectorFieldNum).`);
    return;
  }
  report('error', 'TOO_MANY_VECTORS',
    `Collection "${source.name}" has ${n} vectors; the target allows ${max} vector fields per collection.`,
    `If the target's proxy.maxVectorFieldNum is higher, pass --max-vector-fields ${Math.min(n, MAX_MAX_VECTOR_FIELDS)} (at most ${MAX_MAX_VECTOR_FIELDS}); else leave this collection out.`);
}

function checkDuplicateFields(pk: PrimaryKeyPlan, vectors: VectorFieldPlan[], at: (path: string) => Report): void {
  const seen = new Map<string, string>([[pk.field, 'the primary key']]);
  for (const v of vectors) {
    const path = vectorPath(v.source);
    const first = seen.get(v.field);
    if (first !== undefined) {
      at(path)('error', 'DUPLICATE_FIELD', `Field name "${v.field}" of ${path} is already used by ${first}.`,
        `Rename one of them ("field" in the plan file).`);
    } else seen.set(v.field, path);
  }
}

/**
 * Payload keys Qdrant has indexed are known before any data moves; the ones that equal a schema
 * field name are renamed by toRows(). Unindexed keys are only seen per point (toRows reports them).
 */
function checkPayloadClashes(
  source: SourceCollection, pk: PrimaryKeyPlan, vectors: VectorFieldPlan[], promoted: string[], payload: PayloadKeyPlan[], report: Report,
): void {
  const fields = new Set([pk.field, DYNAMIC_FIELD, ...vectors.map((v) => v.field), ...promoted]);
  // Sampled keys are known too; a promoted key leaves the dynamic field, so it cannot clash there.
  const keys = [...new Set([...Object.keys(source.payloadSchema), ...payload.map((p) => p.key)])];
  const moved = new Set(payload.filter((p) => p.mode === 'field').map((p) => p.key));
  for (const key of keys) {
    if (!fields.has(key) || moved.has(key)) continue;
    const renamed = clashFreeKey(key, (name) => fields.has(name) || keys.includes(name));
    report('warning', 'PAYLOAD_KEY_CLASH', `Payload key "${key}" has the name of a schema field; it will be stored as "${renamed}".`,
      'Rename the schema field in the plan file if you want to keep the payload key as it is.');
  }
}

export interface PlannedMigration {
  /** One plan per source, in the order given (MigrationPlan.collections). */
  collections: CollectionPlan[];
  problems: Problem[];
}

/**
 * Plans every collection of a job. Called by the CLI and the HTTP API with the collections the user
 * picked and the overrides from parsePlanFile(). Adds the cross-collection checks: two sources on
 * one target name (DUPLICATE_TARGET) and overrides for a collection that is not being migrated.
 */
export function planMigration(
  sources: SourceCollection[],
  caps: TargetCapabilities,
  overrides: Record<string, CollectionOverrides> = {},
  options: PlanOptions = {},
): PlannedMigration {
  const collections: CollectionPlan[] = [];
  const problems: Problem[] = [];
  const byTarget = new Map<string, string>();
  for (const source of sources) {
    const planned = planCollection(source, caps, getOwn(overrides, source.name), options);
    collections.push(planned.plan);
    problems.push(...planned.problems);
    const other = byTarget.get(planned.plan.target);
    if (other !== undefined) {
      problems.push({ severity: 'error', collection: source.name, path: 'target', code: 'DUPLICATE_TARGET',
        message: `Collections "${other}" and "${source.name}" both map to target "${planned.plan.target}".`,
        fix: `Give one of them another "target" in the plan file.` });
    } else byTarget.set(planned.plan.target, source.name);
  }
  for (const name of Object.keys(overrides)) {
    if (!sources.some((s) => s.name === name)) problems.push({ severity: 'error', collection: name, code: 'UNKNOWN_COLLECTION',
      message: `The plan has an entry for collection "${name}", which is not among the collections being migrated.`,
      fix: 'Remove that entry, or add the collection to the migration.' });
  }
  problems.push(...planAliases(sources, collections, overrides, { ...options.aliases, existingTargets: options.existingTargets }));
  return { collections, problems };
}
