/**
 * What a user may change in a plan, and how an edited plan file is read back.
 *
 * A plan file is a MigrationPlan as JSON. The user edits it; parsePlanFile() turns each collection
 * entry into CollectionOverrides, and plan() runs again with them, so an edited plan is validated
 * by exactly the rules that made it. Every override is optional (a minimal file that only renames
 * one field is fine). Fixed facts (vector type, dim, nullable, autoId…) may appear in the file, as
 * the plan wrote them; plan() refuses a changed value instead of ignoring it.
 */
import { setOwn } from '../core/own.ts';
import { z } from 'zod';
import type { IfExists, MilvusMetric, MilvusVectorType, Problem } from '../core/types.ts';
import type { ArrayElementType, JsonCastType, MismatchPolicy, ScalarFieldType, ScalarIndexPlan } from '../core/payload-schema.ts';

/** One vector field as the user edits it; matched to the source by `source` (Qdrant's name). */
export interface VectorOverride {
  source: string;
  /** New Milvus field name (must be valid: never sanitised silently). */
  field?: string;
  /** Fixed: a different value is a TYPE_FIXED error. */
  type?: MilvusVectorType;
  /** Fixed: a different value is a TYPE_FIXED error. */
  dim?: number;
  /** Needed for Manhattan vectors; null means "not chosen" (same as absent). */
  metric?: MilvusMetric | null;
  /** Index type and params; params absent → defaults for that type (HNSW: the source's m/ef_construct). */
  index?: { type?: string; params?: Record<string, number | string> };
  /** Fixed by the target's capabilities: a different value is a FIXED_FIELD error. */
  nullable?: boolean;
}

/** One payload key as the user edits it (issue 10); matched to the source by `key`. */
export interface PayloadOverride {
  key: string;
  /** `dynamic` (default) or `field` (promote to a typed, nullable scalar field). */
  mode?: 'dynamic' | 'field';
  /** Dynamic keys: the JSON path index on `$meta["key"]`; null: none. Absent: the proposal. */
  jsonIndex?: { castType: JsonCastType; indexType: string } | null;
  /** Field keys: every member optional; absent ones are proposed from the sample. */
  field?: {
    name?: string;
    type?: ScalarFieldType;
    elementType?: ArrayElementType;
    maxLength?: number;
    maxCapacity?: number;
    /** null: no index on the field. */
    index?: ScalarIndexPlan | null;
    enableMatch?: boolean;
    onMismatch?: MismatchPolicy;
  };
}

/** A deep-partial CollectionPlan: the parts of one collection's plan a user may edit. */
export interface CollectionOverrides {
  /** Milvus collection name (default: the sanitised source name). */
  target?: string;
  description?: string;
  primaryKey?: {
    field?: string;
    /** VarChar is always possible; Int64 only when every id fits. */
    type?: 'Int64' | 'VarChar';
    /** VarChar only; at least what the ids need (36 for UUIDs, 20 for integers). */
    maxLength?: number;
  };
  vectors?: VectorOverride[];
  policies?: { missingVector?: 'fail' | 'skip' };
  ifExists?: IfExists;
  /** Replaces the carried Qdrant aliases (mapping/aliases.ts); `[]` creates none for this collection. */
  aliases?: Array<{ name: string; source?: string; onConflict?: 'fail' | 'move' | 'skip'; switch?: boolean }>;
  /** Per payload key; keys not listed keep the proposal (dynamic). */
  payload?: PayloadOverride[];
  /** A promoted VarChar / Int64 field as partition key; null or absent: none. */
  partitionKey?: { field: string; numPartitions?: number } | null;
}

const scalarTypeSchema = z.enum(['Bool', 'Int64', 'Double', 'VarChar', 'Timestamptz', 'Geometry', 'Array']);
const elementTypeSchema = z.enum(['Bool', 'Int64', 'Double', 'VarChar']);
const castTypeSchema = z.enum(['VARCHAR', 'DOUBLE', 'BOOL', 'ARRAY_VARCHAR', 'ARRAY_DOUBLE', 'ARRAY_BOOL']);
const indexSchema = z.strictObject({ type: z.string().min(1), params: z.record(z.string(), z.union([z.number(), z.string()])).optional() });

/** A payload entry as plan() writes it; `stats`, `note`, and the derived field facts are ignored on the way back. */
const payloadEntrySchema = z.strictObject({
  key: z.string(),
  mode: z.enum(['dynamic', 'field']).optional(),
  jsonIndex: z.strictObject({ castType: castTypeSchema, indexType: z.string().min(1) }).nullable().optional(),
  field: z
    .strictObject({
      name: z.string().optional(),
      type: scalarTypeSchema.optional(),
      elementType: elementTypeSchema.optional(),
      maxLength: z.number().int().positive().optional(),
      maxCapacity: z.number().int().positive().optional(),
      nullable: z.boolean().optional(),
      defaultValue: z.union([z.string(), z.number()]).optional(),
      index: indexSchema.nullable().optional(),
      analyzer: z.unknown().optional(),
      enableMatch: z.boolean().optional(),
      onMismatch: z.enum(['reject', 'null', 'fail']).optional(),
    })
    .optional(),
  stats: z.unknown().optional(),
  note: z.string().optional(),
});

const metricSchema = z.enum(['COSINE', 'IP', 'L2', 'MAX_SIM_COSINE', 'MAX_SIM_IP', 'MAX_SIM_L2']);
const vectorTypeSchema = z.enum(['FloatVector', 'Float16Vector', 'SparseFloatVector', 'ArrayOfStructFloatVector']);

const vectorSchema = z.strictObject({
  source: z.string(),
  field: z.string().optional(),
  type: vectorTypeSchema.optional(),
  dim: z.number().int().optional(),
  metric: metricSchema.nullable().optional(),
  index: z
    .strictObject({
      type: z.string().min(1).optional(),
      params: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    })
    .optional(),
  nullable: z.boolean().optional(),
  // Written by plan() for people; ignored on the way back.
  note: z.string().optional(),
  // A fact plan() derives from the source and the target (like the type); ignored on the way back.
  missingAsEmpty: z.boolean().optional(),
});

/** One collection entry of a plan file; the HTTP API validates plan edits with it too. */
export const planFileCollectionSchema = z.strictObject({
  source: z.string(),
  target: z.string().optional(),
  description: z.string().optional(),
  primaryKey: z
    .strictObject({
      field: z.string().optional(),
      type: z.enum(['Int64', 'VarChar']).optional(),
      maxLength: z.number().int().positive().optional(),
      autoId: z.literal(false).optional(),
    })
    .optional(),
  vectors: z.array(vectorSchema).optional(),
  dynamicField: z.literal(true).optional(),
  payload: z.array(payloadEntrySchema).optional(),
  partitionKey: z
    .strictObject({ field: z.string(), numPartitions: z.number().int().optional(), fromTenantKey: z.string().optional() })
    .nullable()
    .optional(),
  policies: z
    .strictObject({ missingVector: z.enum(['fail', 'skip']).optional(), nullPayloadValues: z.literal('drop').optional() })
    .optional(),
  ifExists: z.enum(['fail', 'append', 'drop']).optional(),
  sourceCount: z.number().optional(),
  aliases: z
    .array(z.strictObject({ name: z.string(), source: z.string().optional(), onConflict: z.enum(['fail', 'move', 'skip']).optional(), switch: z.boolean().optional() }))
    .optional(),
});

const planFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  source: z.strictObject({ url: z.string() }).optional(),
  target: z.strictObject({ uri: z.string(), database: z.string() }).optional(),
  collections: z.array(planFileCollectionSchema),
  // The CLI may write the problems it found next to the plan, for the reader; ignored here.
  problems: z.array(z.unknown()).optional(),
});

export interface ParsedPlanFile {
  /** By source collection name; pass each to planCollection() / planMigration(). */
  overrides: Record<string, CollectionOverrides>;
  /** Errors (code PLAN_FILE_INVALID / DUPLICATE_SOURCE) with the JSON path; empty when valid. */
  problems: Problem[];
}

/**
 * Reads an edited plan file (already JSON-parsed). Called by the CLI (`--plan FILE`) and the HTTP
 * API (plan edits from the console). Never throws: shape errors come back as problems whose `path`
 * is the JSON path (`collections[0].vectors[1].metric`); with any problem, `overrides` is empty so
 * a half-read file cannot be migrated. Values are only shape-checked here: planCollection() judges
 * them against the source and the target.
 */
export function parsePlanFile(json: unknown): ParsedPlanFile {
  const parsed = planFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue): Problem => {
      const path = jsonPath(issue.path);
      return {
        severity: 'error',
        collection: collectionAt(json, issue.path),
        path,
        code: 'PLAN_FILE_INVALID',
        message: `Plan file: ${path || '(root)'}: ${issue.message}.`,
        fix: 'Correct that value in the plan file (or write the plan again with the plan command).',
      };
    });
    return { overrides: {}, problems };
  }
  const overrides: Record<string, CollectionOverrides> = {};
  const problems: Problem[] = [];
  parsed.data.collections.forEach((c, i) => {
    if (Object.hasOwn(overrides, c.source)) {
      problems.push({
        severity: 'error',
        collection: c.source,
        path: `collections[${i}].source`,
        code: 'DUPLICATE_SOURCE',
        message: `Plan file: source collection "${c.source}" appears more than once.`,
        fix: 'Keep one entry per source collection.',
      });
      return;
    }
    setOwn(overrides, c.source, toOverrides(c)); // a collection may be named __proto__
  });
  return problems.length > 0 ? { overrides: {}, problems } : { overrides, problems };
}

function toOverrides(c: z.infer<typeof planFileCollectionSchema>): CollectionOverrides {
  const o: CollectionOverrides = {};
  if (c.target !== undefined) o.target = c.target;
  if (c.description !== undefined) o.description = c.description;
  if (c.primaryKey) {
    const { field, type, maxLength } = c.primaryKey;
    o.primaryKey = { ...(field !== undefined && { field }), ...(type && { type }), ...(maxLength && { maxLength }) };
  }
  if (c.vectors) o.vectors = c.vectors.map(({ note: _note, missingAsEmpty: _empty, ...v }) => v);
  if (c.policies?.missingVector) o.policies = { missingVector: c.policies.missingVector };
  if (c.ifExists) o.ifExists = c.ifExists;
  if (c.aliases) o.aliases = c.aliases;
  if (c.payload) o.payload = c.payload.map(payloadOverride);
  if (c.partitionKey !== undefined) {
    o.partitionKey = c.partitionKey && { field: c.partitionKey.field, ...(c.partitionKey.numPartitions !== undefined && { numPartitions: c.partitionKey.numPartitions }) };
  }
  return o;
}

/** Keeps what a user may choose; `nullable`, `defaultValue`, `analyzer` follow from the plan. */
function payloadOverride(e: z.infer<typeof payloadEntrySchema>): PayloadOverride {
  const out: PayloadOverride = { key: e.key };
  if (e.mode) out.mode = e.mode;
  if (e.jsonIndex !== undefined) out.jsonIndex = e.jsonIndex;
  if (e.field) {
    const { nullable: _n, defaultValue: _d, analyzer: _a, ...field } = e.field;
    out.field = field;
  }
  return out;
}

function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The source name of the collection entry an issue is in, when the file says it ('' otherwise). */
function collectionAt(json: unknown, path: ReadonlyArray<PropertyKey>): string {
  if (path[0] !== 'collections' || typeof path[1] !== 'number') return '';
  const collections = (json as { collections?: unknown }).collections;
  const entry = Array.isArray(collections) ? (collections[path[1]] as unknown) : undefined;
  const source = entry && typeof entry === 'object' ? (entry as { source?: unknown }).source : undefined;
  return typeof source === 'string' ? source : '';
}
