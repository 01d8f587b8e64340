/**
 * Response bodies of the HTTP API, as zod schemas: the source of the OpenAPI document's response
 * schemas. Objects are closed (additionalProperties false in the document), so a response that
 * grew a field the document does not name (a credential, say) fails the route tests.
 * The console imports the inferred types from here (types only).
 */
import { z } from 'zod';
import { payloadKeyPlan, payloadKeyStats, scalarCapabilities } from './payload.ts';

export const responses = z.registry<{ id: string; description?: string }>();

const isoTime = z.string().describe('ISO 8601 time.');
const jobStatus = z.enum(['PENDING', 'IN_PROGRESS', 'SUCCESSFUL', 'FAILED', 'CANCELLED']);
const jobKind = z.enum(['migrate', 'verify-full', 'sync']).describe('migrate copies; verify-full compares every point; sync repairs the target until it equals the source.');
const collectionStatus = z.enum(['PENDING', 'IN_PROGRESS', 'SUCCESSFUL', 'FAILED', 'CANCELLED', 'SKIPPED']);
const phase = z.enum(['create', 'copy', 'index', 'load', 'verify', 'done']);
const count = z.number().int().min(0);

export const ProblemSchema = z
  .object({
    severity: z.enum(['error', 'warning']),
    collection: z.string().describe('Source collection name.'),
    path: z.string().optional().describe('What it concerns: `target`, `primaryKey`, `vectors.<name>`, `payload`...'),
    code: z.string(),
    message: z.string(),
    fix: z.string().optional(),
  })
  .register(responses, { id: 'Problem' });

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('Stable code, e.g. VALIDATION_FAILED, JOB_NOT_FOUND, SOURCE_UNAUTHORIZED.'),
      message: z.string(),
      fix: z.string().optional(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('400: each invalid field.'),
      problems: z.array(ProblemSchema).optional().describe('PLAN_HAS_ERRORS: the plan problems.'),
    }),
  })
  .register(responses, { id: 'Error' });

export const SourceCheckResponse = z
  .object({ ok: z.literal(true), url: z.string(), version: z.string(), collections: count })
  .register(responses, { id: 'SourceCheck' });

const capabilities = z
  .object({
    kind: z.enum(['milvus', 'milvus-lite', 'zilliz']),
    version: z.string(),
    float16Vector: z.boolean(),
    sparseVector: z.boolean(),
    nullableVector: z.boolean(),
    emptySparseVector: z.boolean().optional().describe('A sparse row with no entries is accepted (Milvus >= 2.4.12): points lacking a sparse vector are kept.'),
    arrayOfStruct: z.boolean(),
    autoIndex: z.boolean(),
    // Learnt by probing the target (src/milvus/probe.ts); absent when assumed without a target.
    maxVectorFields: z.number().int().optional().describe('Vector fields per collection the target accepted (probed).'),
    indexTypes: z.record(z.string(), z.array(z.string())).optional().describe('Index types the target accepted per vector type (probed).'),
    source: z.enum(['probed', 'assumed']).optional(),
    truthful: z.object({ getVersion: z.boolean(), listDatabases: z.boolean(), sdkHasCollection: z.boolean() }).optional(),
    probeMs: z.number().optional(),
    scalar: scalarCapabilities.optional().describe('Scalar fields, their index types, JSON path index, text match and partition key, as probed (issue 10). Absent: not probed; every payload key stays dynamic.'),
  })
  .register(responses, { id: 'TargetCapabilities' });


export const SourceCollectionSchema = z
  .object({
    name: z.string(),
    pointsCount: count,
    vectors: z.array(
      z.object({
        name: z.string().describe('Empty for the unnamed vector.'),
        kind: z.enum(['dense', 'sparse', 'multi']),
        dim: z.number().int().optional(),
        datatype: z.enum(['float32', 'float16', 'uint8', 'turbo4']),
        distance: z.enum(['Cosine', 'Dot', 'Euclid', 'Manhattan']).optional(),
        sparseModifier: z.enum(['none', 'idf']).optional(),
        hnsw: z.object({ m: z.number().optional(), efConstruct: z.number().optional() }).optional(),
        missingCount: count,
      }),
    ),
    idKinds: z.object({ int: z.boolean(), uuid: z.boolean(), intAbove63: z.boolean() }),
    payloadSchema: z.record(z.string(), z.object({ dataType: z.string(), points: z.number().optional() })),
    aliases: z.array(z.string()).optional().describe('Qdrant aliases of this collection.'),
    payloadKeys: z.array(payloadKeyStats).optional().describe('Top-level payload keys: payload_schema plus a spread sample of points (issue 10).'),
    payloadPlan: z.array(payloadKeyPlan).optional().describe('What the default plan does with each payload key, judged against the target.'),
    problems: z.array(ProblemSchema),
    migratable: z.boolean(),
  })
  .register(responses, { id: 'SourceCollection' });

export const SourceCollectionsResponse = z
  .object({
    source: z.object({ url: z.string(), version: z.string() }),
    judgedAgainst: capabilities,
    collections: z.array(SourceCollectionSchema),
  })
  .register(responses, { id: 'SourceCollections' });

const metric = z.enum(['COSINE', 'IP', 'L2', 'MAX_SIM_COSINE', 'MAX_SIM_IP', 'MAX_SIM_L2']);



export const CollectionPlanSchema = z
  .object({
    source: z.string(),
    target: z.string(),
    description: z.string(),
    primaryKey: z.object({
      field: z.string(),
      type: z.enum(['Int64', 'VarChar']),
      maxLength: z.number().int().optional(),
      autoId: z.literal(false),
    }),
    vectors: z.array(
      z.object({
        source: z.string(),
        field: z.string(),
        type: z.enum(['FloatVector', 'Float16Vector', 'SparseFloatVector', 'ArrayOfStructFloatVector']),
        dim: z.number().int().optional(),
        metric: metric.nullable(),
        index: z.object({ type: z.string(), params: z.record(z.string(), z.union([z.number(), z.string()])) }),
        nullable: z.boolean(),
        missingAsEmpty: z.boolean().optional().describe('Sparse fields: points lacking the vector get an empty one (it scores like an absent one).'),
        note: z.string().optional(),
      }),
    ),
    dynamicField: z.literal(true),
    payload: z.array(payloadKeyPlan).optional().describe('What the plan does with each payload key (dynamic, JSON path index, or a typed field).'),
    partitionKey: z
      .object({ field: z.string(), numPartitions: z.number().int(), fromTenantKey: z.string().optional() })
      .nullable(),
    policies: z.object({ nullPayloadValues: z.literal('drop'), missingVector: z.enum(['fail', 'skip']) }),
    ifExists: z.enum(['fail', 'append', 'drop']),
    sourceCount: count,
    aliases: z
      .array(z.object({
        name: z.string(),
        source: z.string().optional().describe('The Qdrant alias it carries; absent for one the user added.'),
        onConflict: z.enum(['fail', 'move', 'skip']),
        switch: z.boolean().optional().describe('Cutover: repointed at this collection as the job\'s last step.'),
      }))
      .optional()
      .describe('Milvus aliases pointed at the target once its data is verified.'),
  })
  .register(responses, { id: 'CollectionPlan' });

export const MigrationPlanSchema = z
  .object({
    version: z.literal(1),
    source: z.object({ url: z.string() }),
    target: z.object({ uri: z.string(), database: z.string() }),
    collections: z.array(CollectionPlanSchema),
  })
  .register(responses, { id: 'MigrationPlan' });

export const PlanResponse = z
  .object({ plan: MigrationPlanSchema, problems: z.array(ProblemSchema), capabilities })
  .register(responses, { id: 'PlanResult' });

export const CheckNameResponse = z
  .object({
    name: z.string(),
    valid: z.boolean().describe('Milvus accepts the name.'),
    exists: z.boolean().describe('A collection of that name is in the target database.'),
    available: z.boolean().describe('valid and not existing.'),
    message: z.string().describe('For people: why it is or is not available.'),
  })
  .register(responses, { id: 'CheckName' });

export const CollectionProgressSchema = z
  .object({
    source: z.string(),
    target: z.string(),
    status: collectionStatus,
    phase: phase.nullable(),
    total: count,
    written: count,
    rejected: count,
    percent: z.number().min(0).max(100),
    pointsPerSecond: z.number().min(0).nullable().describe('Live rate; null when this server has not seen it move.'),
    etaSeconds: z.number().min(0).nullable(),
    nullsDropped: count,
    mismatchNulled: count.describe('Promoted payload values that did not fit their field under the `null` policy: written null, kept in $meta as <key>__raw.'),
    renamedKeys: z.record(z.string(), z.string()),
    sourceCount: count.nullable(),
    targetCount: count.nullable(),
    verified: z.boolean().nullable(),
    startedAt: isoTime.nullable(),
    endedAt: isoTime.nullable(),
  })
  .register(responses, { id: 'CollectionProgress' });

export const JobSummarySchema = z
  .object({
    id: z.string(),
    status: jobStatus,
    createdAt: isoTime,
    startedAt: isoTime.nullable(),
    endedAt: isoTime.nullable(),
    cancelRequested: z.boolean(),
    source: z.object({ url: z.string(), hasApiKey: z.boolean() }),
    target: z.object({ uri: z.string(), database: z.string(), hasToken: z.boolean() }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    progress: z.object({
      total: count,
      done: count,
      percent: z.number().min(0).max(100),
      pointsPerSecond: z.number().min(0).nullable(),
      etaSeconds: z.number().min(0).nullable(),
    }),
    errorCount: count,
    collections: z.array(CollectionProgressSchema),
    kind: jobKind,
    parentJobId: z.string().nullable().describe('The job a verify-full / sync job was started from.'),
    inSyncAt: isoTime.nullable().describe('When a sync pass last changed nothing (the cutover signal); on the sync job and on the job it was started from.'),
  })
  .register(responses, { id: 'JobSummary' });

export const PassSchema = z
  .object({
    collection: z.string().describe('Source collection.'),
    pass: z.number().int().min(1),
    phase: z.enum(['merge', 'source', 'extra', 'done']).describe('done: the pass is over.'),
    startedAt: isoTime,
    updatedAt: isoTime,
    endedAt: isoTime.nullable(),
    compared: count.describe('Source points compared so far.'),
    missing: count.describe('Points the target lacked (sync: upserted).'),
    different: count.describe('Points the target held with other content (sync: upserted).'),
    extra: count.optional().describe('verify-full: target rows the source does not have.'),
    upserted: count.optional().describe('sync: rows written (missing + different).'),
    deleted: count.optional().describe('sync: target rows deleted (not in the source, or left out by the plan).'),
    unchanged: count.optional().describe('sync: points found equal and left alone.'),
    rejected: count.optional().describe('sync: source points the plan leaves out (logged).'),
  })
  .register(responses, { id: 'Pass' });

const aliasOutcome = z.object({
  name: z.string(),
  action: z.enum(['created', 'moved', 'unchanged', 'skipped']),
  from: z.string().optional().describe('moved / skipped: the collection it pointed at.'),
});

export const JobListResponse = z.object({ jobs: z.array(JobSummarySchema) }).register(responses, { id: 'JobList' });

export const JobDetailSchema = JobSummarySchema.extend({
  plan: MigrationPlanSchema,
  options: z.object({
    pageSize: z.number().int().optional(),
    verifySample: z.number().int().optional(),
    sourceTransport: z.enum(['rest', 'grpc']).optional(),
    mode: z.enum(['upsert', 'bulk']).optional(),
    storage: z.object({
      endpoint: z.string(), bucket: z.string(), prefix: z.string().optional(), region: z.string().optional(),
      format: z.enum(['parquet', 'json']).optional(), api: z.enum(['grpc', 'rest']).optional(), fileKb: z.number().int().optional(),
    }).optional()
      .describe('mode bulk: the object storage the import files went to (its keys are sealed in the job store, never shown).'),
  }),
  passes: z.array(PassSchema).describe('verify-full / sync: one entry per collection and pass, oldest first; [] for a migration.'),
  aliases: z.array(aliasOutcome).nullable().describe('What the migration did with its aliases, once it ran them.'),
}).register(responses, { id: 'JobDetail' });

export const FollowUpResponse = z
  .object({ id: z.string(), kind: jobKind, parentJobId: z.string(), status: jobStatus })
  .register(responses, { id: 'FollowUpCreated' });

export const CreateJobResponse = z.object({ id: z.string(), status: jobStatus }).register(responses, { id: 'JobCreated' });

export const CancelResponse = z
  .object({
    id: z.string(),
    outcome: z.enum(['cancelled', 'requested', 'finished']).describe('cancelled here, asked the running job to stop, or it had already ended.'),
    status: jobStatus,
  })
  .register(responses, { id: 'CancelResult' });

export const ResumeResponse = z.object({ id: z.string(), status: jobStatus }).register(responses, { id: 'ResumeResult' });

export const ErrorLogResponse = z
  .object({
    entries: z.array(
      z.object({
        seq: z.number().int(),
        collection: z.string().nullable(),
        pointId: z.string().nullable(),
        code: z.string(),
        message: z.string(),
        at: isoTime,
      }),
    ),
    total: count.describe('Every error of the job (exact).'),
    logged: count.describe('Errors kept in the log.'),
    dropped: count.describe('Counted but not kept (the log is bounded).'),
    truncated: z.boolean(),
    offset: count,
    limit: count,
    counts: z.array(z.object({ collection: z.string().nullable(), code: z.string(), count })),
  })
  .register(responses, { id: 'ErrorLog' });

export const VerificationResponse = z
  .object({
    id: z.string(),
    status: jobStatus,
    verified: z.boolean().nullable().describe('true: every collection verified; false: one was not; null: not verified yet.'),
    collections: z.array(
      z.object({
        source: z.string(),
        target: z.string(),
        status: collectionStatus,
        sourceCount: count.nullable(),
        targetCount: count.nullable(),
        rejected: count,
        verified: z.boolean().nullable(),
      }),
    ),
  })
  .register(responses, { id: 'Verification' });

/** Data of the Server-Sent Events (`event:` names in the OpenAPI description of the events routes). */
export const JobEventSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('snapshot'), job: JobSummarySchema }),
    z.object({ type: z.literal('status'), jobId: z.string(), status: jobStatus }),
    z.object({ type: z.literal('collection'), jobId: z.string(), collection: z.string(), status: collectionStatus, phase }),
    z.object({
      type: z.literal('progress'),
      jobId: z.string(),
      collection: z.string(),
      total: count,
      written: count,
      rejected: count,
      pointsPerSecond: z.number().min(0),
      etaSeconds: z.number().min(0).nullable(),
    }),
    z.object({ type: z.literal('error'), jobId: z.string(), collection: z.string().optional(), code: z.string(), pointId: z.string().optional() }),
  ])
  .register(responses, { id: 'JobEvent' });

export type ProblemView = z.infer<typeof ProblemSchema>;
export type SourceCollectionView = z.infer<typeof SourceCollectionSchema>;
export type SourceCollectionsView = z.infer<typeof SourceCollectionsResponse>;
export type SourceCheckView = z.infer<typeof SourceCheckResponse>;
export type CollectionPlanView = z.infer<typeof CollectionPlanSchema>;
export type PlanView = z.infer<typeof PlanResponse>;
export type CheckNameView = z.infer<typeof CheckNameResponse>;
export type CollectionProgressView = z.infer<typeof CollectionProgressSchema>;
export type JobSummaryView = z.infer<typeof JobSummarySchema>;
export type JobDetailView = z.infer<typeof JobDetailSchema>;
export type PassView = z.infer<typeof PassSchema>;
export type FollowUpView = z.infer<typeof FollowUpResponse>;
export type ErrorLogView = z.infer<typeof ErrorLogResponse>;
export type VerificationView = z.infer<typeof VerificationResponse>;
export type JobEvent = z.infer<typeof JobEventSchema>;
export type ErrorView = z.infer<typeof ErrorResponse>;
