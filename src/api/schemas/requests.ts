/**
 * Request bodies and query strings of the HTTP API, as zod schemas. The routes validate with
 * them (a failure is a 400 naming each bad field) and the OpenAPI document is generated from
 * them, so the two cannot drift apart.
 *
 * Credentials (`apiKey`, `token`) are write-only: accepted here, never part of any response.
 */
import { z } from 'zod';
import { planFileCollectionSchema } from '../../mapping/overrides.ts';

export const requests = z.registry<{ id: string; description?: string }>();

/**
 * The longest text each kind of field takes (characters). The body as a whole is capped at 1 MiB
 * before parsing (app.ts); these keep any one field to what its use needs, so a 1 MiB description
 * is not stored in the job database and served back on every job read. Names: Milvus's limit.
 */
export const TEXT_LIMITS = { url: 2048, secret: 8192, name: 255, description: 4096, note: 1024 } as const;

const atMost = (max: number) => `must be at most ${max} characters`;

const httpUrl = (example: string) =>
  z
    .string()
    .trim()
    .min(1, `is required, e.g. ${example}`)
    .max(TEXT_LIMITS.url, atMost(TEXT_LIMITS.url))
    .refine((v) => /^https?:\/\/[^\s/]+/i.test(v), `must be an http:// or https:// address, e.g. ${example}`);

const collectionName = z.string().min(1).max(TEXT_LIMITS.name, atMost(TEXT_LIMITS.name));

/** An empty credential means "none": the console sends what its field holds. */
const secret = z
  .string()
  .max(TEXT_LIMITS.secret, atMost(TEXT_LIMITS.secret))
  .optional()
  .transform((v) => (v ? v : undefined));

export const SourceConnectionBody = z
  .strictObject({
    url: httpUrl('http://localhost:6333').describe('Qdrant REST endpoint (the API reads over REST).'),
    apiKey: secret.describe('Qdrant API key or JWT. Write-only: never returned.'),
  })
  .register(requests, { id: 'SourceConnection' });

export const TargetConnectionBody = z
  .strictObject({
    uri: httpUrl('http://localhost:19530').describe('Milvus / Zilliz Cloud URI.'),
    token: secret.describe('`user:password` or a Zilliz Cloud API key. Write-only: never returned.'),
    database: z.string().trim().min(1).max(TEXT_LIMITS.name, atMost(TEXT_LIMITS.name)).optional().describe('Target database. Default `default`.'),
  })
  .register(requests, { id: 'TargetConnection' });

export const SourceCheckRequest = SourceConnectionBody;

export const SourceCollectionsRequest = z
  .strictObject({
    source: SourceConnectionBody,
    target: TargetConnectionBody.optional().describe('Judge readiness against this target; default: a current Milvus (2.6.4+).'),
    collections: z.array(collectionName).optional().describe('Only these collections (default: all).'),
  })
  .register(requests, { id: 'SourceCollectionsRequest' });

/**
 * Every text in a plan edit, by its key: `description` and `note` are prose, everything else
 * (collection, field, index and parameter names) is a name. The plan-file schema itself has no
 * lengths (a local plan file is the user's own); a request body is anyone's.
 */
function limitTexts(value: unknown, ctx: z.RefinementCtx, path: Array<string | number> = []): void {
  if (typeof value === 'string') {
    const key = path.findLast((p): p is string => typeof p === 'string');
    const max = key === 'description' ? TEXT_LIMITS.description : key === 'note' ? TEXT_LIMITS.note : TEXT_LIMITS.name;
    if (value.length > max) ctx.addIssue({ code: 'custom', path, message: `${atMost(max)} (it has ${value.length})`, input: value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => limitTexts(v, ctx, [...path, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) limitTexts(v, ctx, [...path, k]);
  }
}

const collectionEdits = z
  .array(planFileCollectionSchema.superRefine((edit, ctx) => limitTexts(edit, ctx)))
  .describe('Edited plan entries, one per source collection (plan-file format): renamed fields, target name, description, ifExists, policies.');

/** The alias choices of `plan` / `migrate` (CLI --no-aliases, --alias-conflict, --switch-alias). */
const aliasOptions = {
  aliases: z.boolean().optional().describe("Carry the source collections' Qdrant aliases to the target. Default true (false: CLI --no-aliases)."),
  aliasConflict: z.enum(['fail', 'move', 'skip']).optional()
    .describe('When a carried alias already points at another target collection: fail (default; the plan has an error), move it, or skip it.'),
  switchAliases: z
    .array(z.strictObject({ alias: collectionName, collection: collectionName.optional().describe('Source or target name of the job collection; needed when the job has several.') }))
    .max(100)
    .optional()
    .describe('Cutover: existing target aliases repointed at the new collection as the last step, after every collection verified (AlterAlias).'),
};

const payloadSample = z.number().int().min(0).max(100_000).optional()
  .describe('Points sampled per collection for the payload keys (types, share, lengths). Default 1000; 0: none (every key stays dynamic).');

export const PlanRequest = z
  .strictObject({
    source: SourceConnectionBody,
    target: TargetConnectionBody,
    collections: z.array(collectionName).min(1, 'pick at least one collection').describe('Source collections to migrate.'),
    overrides: collectionEdits.optional(),
    maxVectorFields: z.number().int().min(1).max(10).optional().describe("The target's proxy.maxVectorFieldNum when raised above 4."),
    payloadSample: payloadSample,
    ...aliasOptions,
  })
  .register(requests, { id: 'PlanRequest' });

export const CheckNameRequest = z
  .strictObject({
    target: TargetConnectionBody,
    name: z.string().max(TEXT_LIMITS.name, atMost(TEXT_LIMITS.name)).describe('Proposed target collection name.'),
  })
  .register(requests, { id: 'CheckNameRequest' });

/**
 * Where `mode: bulk` stages its import files: the S3-compatible object storage the target Milvus
 * imports from (issue 14). The keys are write-only, kept sealed like the other credentials.
 */
export const BulkStorageBody = z
  .strictObject({
    endpoint: httpUrl('http://127.0.0.1:9000').describe("S3-compatible endpoint of the target's object storage (MinIO, S3)."),
    bucket: z.string().trim().min(3, 'is required (3 to 63 characters)').max(63, atMost(63)).describe('Bucket the target Milvus reads (its minio.bucketName, default a-bucket).'),
    prefix: z.string().trim().max(TEXT_LIMITS.note, atMost(TEXT_LIMITS.note)).optional().describe('Key prefix of the import files; each job writes under <prefix>/<job id>/. Default q2m.'),
    accessKey: secret.describe('Access key id. Write-only: never returned.'),
    secretKey: secret.describe('Secret access key. Write-only: never returned.'),
    region: z.string().trim().max(64, atMost(64)).optional().describe("The bucket's region, used to sign requests. Default us-east-1 (MinIO ignores it; AWS S3 needs the bucket's own)."),
    format: z.enum(['parquet', 'json']).optional().describe('Import file format. Default parquet (Milvus 2.3.4+ reads it; measured 2-2.8x faster to import than JSON on Milvus 2.3.5).'),
    api: z.enum(['grpc', 'rest']).optional().describe('grpc: the Import RPC, one file per task (Milvus 2.2-2.3; default). rest: /v2/vectordb/jobs/import (Milvus 2.4+, Zilliz Cloud; untested against a live server).'),
    fileKb: z.number().int().min(16).max(1024 * 1024).optional().describe('Import file size in KiB. Default 65536 (64 MiB; each import task costs ~2 s, so small files are slow).'),
  })
  .register(requests, { id: 'BulkStorage' });

export const JobOptionsBody = z
  .strictObject({
    mode: z.enum(['upsert', 'bulk']).optional().describe("How rows reach the target: upsert through the insert path (default), or bulk: files in the target's object storage, imported by Milvus's own import jobs (refused where the target has no import, e.g. Milvus Lite)."),
    storage: BulkStorageBody.optional().describe('mode bulk only: where the import files go.'),
    pageSize: z.number().int().min(1).max(10_000).optional().describe('Points per source read. Default: about 2 MiB of rows, from the vector sizes (src/core/defaults.ts).'),
    verifySample: z.number().int().min(0).max(100_000).optional().describe('Points compared by content after the counts. Default 0.'),
    maxVectorFields: z.number().int().min(1).max(10).optional(),
    payloadSample: payloadSample,
    ...aliasOptions,
  })
  .refine((o) => o.mode !== 'bulk' || o.storage !== undefined, { path: ['storage'], message: 'is required with mode bulk (endpoint, bucket, keys of the object storage the target imports from)' })
  .refine((o) => o.storage === undefined || o.mode === 'bulk', { path: ['storage'], message: 'is only used with mode bulk' })
  .refine((o) => o.mode !== 'bulk' || !o.storage || (o.storage.accessKey !== undefined && o.storage.secretKey !== undefined), {
    path: ['storage'], message: 'needs accessKey and secretKey (keys allowed to write to the bucket)',
  })
  .register(requests, { id: 'JobOptions' });

export const CreateJobRequest = z
  .strictObject({
    source: SourceConnectionBody,
    target: TargetConnectionBody,
    plan: z
      .object({ collections: collectionEdits.min(1, 'the plan needs at least one collection') })
      .describe('The plan as previewed (and maybe edited); it is validated again by the same rules.'),
    options: JobOptionsBody.optional(),
  })
  .register(requests, { id: 'CreateJobRequest' });

export const VerifyFullRequest = z
  .strictObject({
    firstN: z.number().int().min(0).max(1000).optional().describe('Ids of each kind (missing, extra, different) kept in the error log. Default 20.'),
  })
  .register(requests, { id: 'VerifyFullRequest' });

export const SyncRequest = z
  .strictObject({
    maxPasses: z.number().int().min(1).max(100).optional().describe('Passes at most; the job stops at the first pass that changes nothing (in sync). Default 1.'),
  })
  .register(requests, { id: 'SyncRequest' });

const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const ErrorsQuery = z.strictObject({
  offset: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: intParam(1, 1000).optional(),
});

export const JobsQuery = z.strictObject({
  status: z.enum(['PENDING', 'IN_PROGRESS', 'SUCCESSFUL', 'FAILED', 'CANCELLED']).optional(),
  limit: intParam(1, 500).optional(),
});

export type SourceConnectionInput = z.infer<typeof SourceConnectionBody>;
export type TargetConnectionInput = z.infer<typeof TargetConnectionBody>;
export type PlanRequestBody = z.infer<typeof PlanRequest>;
export type CreateJobBody = z.infer<typeof CreateJobRequest>;
export type CollectionEdit = z.infer<typeof planFileCollectionSchema>;
export type BulkStorageInput = z.infer<typeof BulkStorageBody>;
