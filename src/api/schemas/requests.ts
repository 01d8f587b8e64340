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

const httpUrl = (example: string) =>
  z
    .string()
    .trim()
    .min(1, `is required, e.g. ${example}`)
    .refine((v) => /^https?:\/\/[^\s/]+/i.test(v), `must be an http:// or https:// address, e.g. ${example}`);

/** An empty credential means "none": the console sends what its field holds. */
const secret = z
  .string()
  .max(8192)
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
    database: z.string().trim().min(1).max(255).optional().describe('Target database. Default `default`.'),
  })
  .register(requests, { id: 'TargetConnection' });

export const SourceCheckRequest = SourceConnectionBody;

export const SourceCollectionsRequest = z
  .strictObject({
    source: SourceConnectionBody,
    target: TargetConnectionBody.optional().describe('Judge readiness against this target; default: a current Milvus (2.6.4+).'),
    collections: z.array(z.string().min(1)).optional().describe('Only these collections (default: all).'),
  })
  .register(requests, { id: 'SourceCollectionsRequest' });

const collectionEdits = z
  .array(planFileCollectionSchema)
  .describe('Edited plan entries, one per source collection (plan-file format): renamed fields, target name, description, ifExists, policies.');

export const PlanRequest = z
  .strictObject({
    source: SourceConnectionBody,
    target: TargetConnectionBody,
    collections: z.array(z.string().min(1)).min(1, 'pick at least one collection').describe('Source collections to migrate.'),
    overrides: collectionEdits.optional(),
    maxVectorFields: z.number().int().min(1).max(10).optional().describe("The target's proxy.maxVectorFieldNum when raised above 4."),
  })
  .register(requests, { id: 'PlanRequest' });

export const CheckNameRequest = z
  .strictObject({
    target: TargetConnectionBody,
    name: z.string().describe('Proposed target collection name.'),
  })
  .register(requests, { id: 'CheckNameRequest' });

export const JobOptionsBody = z
  .strictObject({
    pageSize: z.number().int().min(1).max(10_000).optional().describe('Points per source read. Default: about 1 MiB of rows, from the vector sizes (src/core/defaults.ts).'),
    verifySample: z.number().int().min(0).max(100_000).optional().describe('Points compared by content after the counts. Default 0.'),
    maxVectorFields: z.number().int().min(1).max(10).optional(),
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
