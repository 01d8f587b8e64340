/**
 * The OpenAPI 3.1 document served at /api/openapi.json. Operations are listed here by hand (one
 * line each); every body schema is generated from the zod schemas the routes validate with and
 * the response schemas of schemas/responses.ts, so the document says what the code does.
 * test/integration/api.test.ts validates real responses against it.
 */
import { z } from 'zod';
import { requests } from './schemas/requests.ts';
import { responses } from './schemas/responses.ts';

type Method = 'get' | 'post';
interface Op {
  method: Method;
  path: string;
  summary: string;
  tag: 'wizard' | 'jobs' | 'events' | 'meta';
  body?: string;
  query?: Array<{ name: string; description: string; schema: Record<string, unknown> }>;
  /** status → response component (or 'sse' for an event stream). */
  ok: Record<number, string>;
  errors: number[];
}

const JOB_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Job id.' };
/** Query strings are strings: a whole number, range-checked by the route (400 when outside). */
const intQuery = (name: string, description: string) => ({ name, description, schema: { type: 'string', pattern: '^\\d+$' } });

const OPS: Op[] = [
  { method: 'get', path: '/api/openapi.json', summary: 'This document.', tag: 'meta', ok: { 200: '' }, errors: [401] },
  { method: 'post', path: '/api/source/check', summary: 'Test the source connection (endpoint + API key).', tag: 'wizard', body: 'SourceConnection', ok: { 200: 'SourceCheck' }, errors: [400, 401, 415, 422, 503] },
  { method: 'post', path: '/api/source/collections', summary: 'Source collections with counts, vectors, id kinds and readiness (problems), judged against the target if given.', tag: 'wizard', body: 'SourceCollectionsRequest', ok: { 200: 'SourceCollections' }, errors: [400, 401, 415, 422, 503] },
  { method: 'post', path: '/api/plan', summary: 'The migration plan of the selected collections for the target, with its problems; edits go in `overrides`.', tag: 'wizard', body: 'PlanRequest', ok: { 200: 'PlanResult' }, errors: [400, 401, 415, 422, 503] },
  { method: 'post', path: '/api/target/check-name', summary: 'Whether a target collection name is valid and free in the target database.', tag: 'wizard', body: 'CheckNameRequest', ok: { 200: 'CheckName' }, errors: [400, 401, 415, 422, 503] },
  { method: 'post', path: '/api/jobs', summary: 'Validate the (edited) plan again and start a migration job in the server; 400 PLAN_HAS_ERRORS lists the problems.', tag: 'jobs', body: 'CreateJobRequest', ok: { 201: 'JobCreated' }, errors: [400, 401, 409, 415, 422, 503] },
  { method: 'get', path: '/api/jobs', summary: 'Jobs, newest first, with per-collection progress.', tag: 'jobs', query: [{ name: 'status', description: 'Only jobs with this status.', schema: { type: 'string', enum: ['PENDING', 'IN_PROGRESS', 'SUCCESSFUL', 'FAILED', 'CANCELLED'] } }, intQuery('limit', 'At most this many (1..500, default 100).')], ok: { 200: 'JobList' }, errors: [400, 401] },
  { method: 'get', path: '/api/jobs/{id}', summary: 'A job with its plan and per-collection progress.', tag: 'jobs', ok: { 200: 'JobDetail' }, errors: [401, 404] },
  { method: 'post', path: '/api/jobs/{id}/cancel', summary: 'Cancel a job (202 while the running job stops; it ends CANCELLED and can be resumed).', tag: 'jobs', ok: { 200: 'CancelResult', 202: 'CancelResult' }, errors: [401, 404] },
  { method: 'post', path: '/api/jobs/{id}/resume', summary: 'Resume a FAILED or CANCELLED job from its checkpoints.', tag: 'jobs', ok: { 202: 'ResumeResult' }, errors: [401, 404, 409] },
  { method: 'post', path: '/api/jobs/{id}/verify-full', summary: 'Start a full verification of a finished job: a job of kind verify-full that compares every point by content (missing / extra / different; the first ids in its error log).', tag: 'jobs', body: 'VerifyFullRequest', ok: { 201: 'FollowUpCreated' }, errors: [400, 401, 404, 409, 422, 503] },
  { method: 'post', path: '/api/jobs/{id}/sync', summary: 'Start a sync of a finished job: a job of kind sync whose passes upsert missing and different points and delete extra ones; a pass that changes nothing sets inSyncAt.', tag: 'jobs', body: 'SyncRequest', ok: { 201: 'FollowUpCreated' }, errors: [400, 401, 404, 409, 422, 503] },
  { method: 'get', path: '/api/jobs/{id}/errors', summary: "A page of the job's error log with exact counts.", tag: 'jobs', query: [intQuery('offset', 'Entries to skip (default 0).'), intQuery('limit', 'Entries to return (1..1000, default 100).')], ok: { 200: 'ErrorLog' }, errors: [400, 401, 404] },
  { method: 'get', path: '/api/jobs/{id}/verification', summary: 'Source vs target counts per collection, as verified at the end of the job.', tag: 'jobs', ok: { 200: 'Verification' }, errors: [401, 404] },
  { method: 'get', path: '/api/jobs/{id}/events', summary: "Server-Sent Events of one job: `snapshot` first, then `status`, `collection`, `progress`, `error`; each event's data is a JobEvent.", tag: 'events', ok: { 200: 'sse' }, errors: [401, 404] },
  { method: 'get', path: '/api/events', summary: 'Server-Sent Events of every job (`status`, `collection`, `progress`, `error`); data is a JobEvent.', tag: 'events', ok: { 200: 'sse' }, errors: [401] },
];

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: `fields` names each bad field (or `problems`, for PLAN_HAS_ERRORS).',
  401: 'Missing or wrong access token.',
  403: 'Refused: a request from another web site, a change requested by a page without an origin (`Origin: null`), or a Host this server does not answer as.',
  404: 'No such job.',
  409: 'The job is running, finished, or its target is busy.',
  413: 'The body is larger than 1 MiB.',
  415: 'The body is not JSON: every POST needs `Content-Type: application/json` (send `{}` where the route needs no fields).',
  422: 'The source or target refused (wrong URL, key, token, unknown collection...); the message names the fix.',
  503: 'The source or target is unavailable for now; try again.',
};

function components(): Record<string, unknown> {
  const uri = (id: string) => `#/components/schemas/${id}`;
  const strip = (all: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(all).map(([id, s]) => {
      const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
      return [id, rest];
    }));
  return {
    ...strip(z.toJSONSchema(requests, { uri, io: 'input' }).schemas),
    ...strip(z.toJSONSchema(responses, { uri, io: 'output' }).schemas),
  };
}

function operation(op: Op): Record<string, unknown> {
  const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
  const okResponses = Object.fromEntries(Object.entries(op.ok).map(([status, id]) => [status, {
    description: id === 'sse' ? 'An event stream (text/event-stream).' : 'OK',
    content: id === 'sse'
      ? { 'text/event-stream': { schema: { type: 'string', description: 'Events named by JobEvent.type, data: JobEvent JSON.' } } }
      : { 'application/json': { schema: id ? ref(id) : { type: 'object' } } },
  }]));
  // Every POST can meet the guard's 415 (no JSON body) and the body limit's 413.
  const always = op.method === 'post' ? [403, 413, 415] : [403];
  const errorResponses = Object.fromEntries([...new Set([...op.errors, ...always])].sort().map((s) => [String(s), { description: ERROR_TEXT[s], content: { 'application/json': { schema: ref('Error') } } }]));
  return {
    summary: op.summary,
    tags: [op.tag],
    operationId: `${op.method}${op.path.replace(/^\/api/, '').replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
    parameters: [...(op.path.includes('{id}') ? [JOB_ID] : []), ...(op.query ?? []).map((q) => ({ ...q, in: 'query', required: false }))],
    ...(op.method === 'post' && { requestBody: { required: true, content: { 'application/json': { schema: op.body ? ref(op.body) : { type: 'object', description: 'No fields: send `{}`.' } } } } }),
    responses: { ...okResponses, ...errorResponses },
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) (paths[op.path] ??= {})[op.method] = operation(op);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'qdrant2milvus API',
      version: '0.1.0',
      description:
        'Migrate Qdrant collections into Milvus / Zilliz Cloud. JSON everywhere. Credentials (source `apiKey`, target `token`) are write-only: accepted in request bodies, never returned. When the server has an access token, every /api request needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    components: {
      schemas: components(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Only when the server was started with an access token.' } },
    },
    security: [{}, { bearer: [] }],
    paths,
  };
  return cached;
}
