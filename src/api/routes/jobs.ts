/**
 * The job center: create (the plan is validated again by buildPlan(), with the user's edits as
 * overrides), list, detail, cancel, resume, the error log and the verification result.
 *
 * Jobs run in this server's process through the engine; a request never waits for a migration,
 * only for the job to be claimed (IN_PROGRESS), so a refusal (target busy, too many jobs) is the
 * answer to the request that caused it.
 */
import { Hono } from 'hono';
import { checkBulkTarget } from '../../bulk/cli.ts';
import type { BulkCredentials } from '../../bulk/file-log.ts';
import { bulkJobOptions, saveBulkCredentials, type BulkJobOptions } from '../../bulk/job.ts';
import { buildPlan, planErrors } from '../../core/planning.ts';
import { systemError } from '../../core/errors.ts';
import type { JobEngine, JobRunOptions } from '../../jobs/engine.ts';
import type { JobStore } from '../../jobs/store.ts';
import { withBoth, type Connectors } from '../connectors.ts';
import { HttpError } from '../http-errors.ts';
import type { LiveHub } from '../hub.ts';
import { readBody, readQuery } from '../request.ts';
import { createFollowUp, type FollowUpKind } from '../follow-up.ts';
import { CreateJobRequest, ErrorsQuery, JobsQuery, SyncRequest, VerifyFullRequest, type CreateJobBody } from '../schemas/requests.ts';
import type { CancelResponse, CreateJobResponse, ErrorLogResponse, FollowUpView, JobListResponse, ResumeResponse } from '../schemas/responses.ts';
import { jobDetailView, jobSummaryView, verificationView } from '../views.ts';
import { editsToOverrides } from './wizard.ts';
import type { z } from 'zod';

export interface JobRouteDeps {
  engine: JobEngine;
  store: JobStore;
  hub: LiveHub;
  connectors: Connectors;
}

export function jobRoutes(deps: JobRouteDeps): Hono {
  const { engine, store, hub } = deps;
  const app = new Hono();

  app.post('/', async (c) => c.json(await createJob(await readBody(c, CreateJobRequest), deps), 201));

  app.get('/', (c) => {
    const query = readQuery(c, JobsQuery);
    const jobs = store.list({ status: query.status, limit: query.limit ?? 100 }).map((s) => jobSummaryView(store.get(s.id), store, hub));
    const view: z.infer<typeof JobListResponse> = { jobs };
    return c.json(view);
  });

  app.get('/:id', (c) => c.json(jobDetailView(store.get(c.req.param('id')), store, hub)));

  app.post('/:id/cancel', (c) => {
    const id = c.req.param('id');
    const outcome = engine.cancel(id);
    const view: z.infer<typeof CancelResponse> = { id, outcome, status: store.get(id).status };
    return c.json(view, outcome === 'requested' ? 202 : 200);
  });

  app.post('/:id/resume', async (c) => {
    const id = c.req.param('id');
    store.get(id);
    await startJob(engine, store, id);
    const view: z.infer<typeof ResumeResponse> = { id, status: store.get(id).status };
    return c.json(view, 202);
  });

  // Issue 11: a full verification or a sync pass of a finished job, as a job of its own.
  const followUp = async (id: string, kind: FollowUpKind, extra: { maxPasses?: number; firstN?: number }): Promise<FollowUpView> => {
    const job = createFollowUp(engine, store, id, kind, extra);
    try {
      await startJob(engine, store, job.id);
    } catch (e) {
      store.delete(job.id);
      throw e;
    }
    return { id: job.id, kind, parentJobId: job.parentJobId ?? id, status: store.get(job.id).status };
  };
  app.post('/:id/verify-full', async (c) => c.json(await followUp(c.req.param('id'), 'verify-full', await readBody(c, VerifyFullRequest)), 201));
  app.post('/:id/sync', async (c) => c.json(await followUp(c.req.param('id'), 'sync', await readBody(c, SyncRequest)), 201));

  app.get('/:id/errors', (c) => {
    const id = c.req.param('id');
    const query = readQuery(c, ErrorsQuery);
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    const page = store.errors(id, { offset, limit });
    const view: z.infer<typeof ErrorLogResponse> = { ...page, offset, limit, counts: store.errorCounts(id) };
    return c.json(view);
  });

  app.get('/:id/verification', (c) => c.json(verificationView(store.get(c.req.param('id')))));

  return app;
}

/** Validates the (edited) plan again with buildPlan(), records the job and starts it here. */
async function createJob(body: CreateJobBody, { engine, store, connectors }: JobRouteDeps): Promise<z.infer<typeof CreateJobResponse>> {
  const overrides = editsToOverrides(body.plan.collections, 'plan.collections');
  const target = { uri: body.target.uri, database: body.target.database ?? 'default' };
  const { plan, problems } = await withBoth(connectors, body.source, body.target, (reader, sink) =>
    buildPlan({
      sourceUrl: body.source.url, target, collections: Object.keys(overrides), overrides, maxVectorFields: body.options?.maxVectorFields, payloadSample: body.options?.payloadSample,
      aliases: body.options?.aliases, aliasConflict: body.options?.aliasConflict, switchAliases: body.options?.switchAliases,
    }, reader, sink),
  );
  const errors = planErrors(problems);
  if (errors.length > 0) {
    throw new HttpError(400, 'PLAN_HAS_ERRORS', `The plan has ${errors.length} error(s); no job was started.`, {
      fix: 'Fix each problem where it is shown, then start the migration again.',
      problems,
    });
  }
  const bulk = bulkOf(body);
  // Refused before any job exists where bulk cannot work: a target without import jobs (Milvus
  // Lite), a collection the import files cannot carry (the CLI's own check).
  if (bulk) await checkBulkTarget(bulk.options, { ...target, token: body.target.token }, plan.collections);
  const options: JobRunOptions & { mode?: 'bulk'; bulk?: BulkJobOptions } = {
    pageSize: body.options?.pageSize, verifySample: body.options?.verifySample, sourceTransport: 'rest',
    ...(bulk && { mode: 'bulk' as const, bulk: bulk.options }),
  };
  const job = engine.create({
    source: { url: body.source.url, apiKey: body.source.apiKey },
    target: { ...target, token: body.target.token },
    plan,
    options: options as Record<string, unknown>,
  });
  try {
    // The storage keys are sealed in the job store, never in the job's options.
    if (bulk) saveBulkCredentials(store.dataDir, job.id, bulk.credentials);
    await startJob(engine, store, job.id);
  } catch (e) {
    // Never started: leave no PENDING job behind for a request that was refused.
    store.delete(job.id);
    throw e;
  }
  return { id: job.id, status: store.get(job.id).status };
}

/** The bulk job spec (src/bulk/job.ts) and its keys from the request; undefined for upsert. */
function bulkOf(body: CreateJobBody): { options: BulkJobOptions; credentials: BulkCredentials } | undefined {
  const o = body.options;
  if (o?.mode !== 'bulk' || !o.storage) return undefined;
  const s = o.storage;
  return {
    options: bulkJobOptions(s),
    credentials: { accessKey: s.accessKey ?? '', secretKey: s.secretKey ?? '' },
  };
}

/**
 * Starts (or resumes) a job in this process and returns once it is claimed. engine.run() claims
 * synchronously before its first await, so a refusal has rejected by the next macrotask; later
 * failures belong to the job (its status and error log), not to this request.
 */
async function startJob(engine: JobEngine, store: JobStore, id: string): Promise<void> {
  const before = store.get(id);
  const run = engine.run(id);
  const early = await Promise.race([
    run.then(() => undefined, (e: unknown) => e),
    new Promise<undefined>((resolve) => setImmediate(resolve, undefined)),
  ]);
  // Claiming changes the status (or, for a job that already ended again, its end time).
  const after = store.get(id);
  if (after.status === before.status && after.endedAt === before.endedAt) {
    throw early ?? systemError('JOB_NOT_STARTED', `Job ${id} did not start.`);
  }
}
