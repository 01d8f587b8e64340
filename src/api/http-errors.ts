/**
 * How the API reports failure: always `{ error: { code, message, fix?, fields?, problems? } }`.
 *
 *   400  the request itself is wrong (VALIDATION_FAILED with `fields`, INVALID_JSON, PLAN_HAS_ERRORS)
 *   401  the access token is missing or wrong          404  unknown job or route
 *   409  the job's state forbids it (running, finished, target busy)
 *   415  a body that is not JSON                       422  the source or target said no (config errors)
 *   503  a transient failure of the source or target  500  a bug (message kept generic)
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { isMigrationError, type MigrationError } from '../core/errors.ts';
import type { Problem } from '../core/types.ts';

export interface FieldError {
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { fix?: string; fields?: FieldError[]; problems?: Problem[] } = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const CONFLICTS = new Set(['JOB_RUNNING', 'JOB_FINISHED', 'TARGET_BUSY', 'TOO_MANY_JOBS', 'JOB_TRANSITION_INVALID']);

function statusOf(e: MigrationError): ContentfulStatusCode {
  if (e.code === 'JOB_NOT_FOUND') return 404;
  if (CONFLICTS.has(e.code)) return 409;
  if (e.kind === 'config') return 422;
  if (e.kind === 'transient') return 503;
  return 500;
}

/** The JSON answer for anything a route threw. Unknown errors are logged, not shown. */
export function errorResponse(c: Context, e: unknown): Response {
  if (e instanceof HttpError) {
    return c.json({ error: { code: e.code, message: e.message, ...e.extra } }, e.status);
  }
  if (isMigrationError(e)) {
    const status = statusOf(e);
    if (status === 500) console.error(`[api] ${c.req.method} ${c.req.path}: ${e.code}: ${e.message}`);
    // Connector errors never carry credentials (the reader and sink redact them at the source).
    return c.json({ error: { code: e.code, message: e.message, ...(e.fix ? { fix: e.fix } : {}) } }, status);
  }
  console.error(`[api] ${c.req.method} ${c.req.path}: unexpected error`, e);
  return c.json({ error: { code: 'INTERNAL', message: 'Unexpected server error; the server log has the details.' } }, 500);
}

/** zod issues → the 400 field list (`target.uri`, `plan.collections[0].vectors[1].field`). */
export function fieldsOf(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.flatMap((issue) =>
    // zod reports unknown keys on their parent; name each key, as the user wrote it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({ path: joinPath(prefix, [...issue.path, k]), message: 'is not a known field' }))
      : [{ path: joinPath(prefix, issue.path), message: issue.message }],
  );
}

export function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export function validationError(fields: FieldError[]): HttpError {
  const first = fields[0];
  const message = first ? `Invalid request: ${first.path || '(body)'} ${first.message}${fields.length > 1 ? ` (and ${fields.length - 1} more)` : ''}.` : 'Invalid request.';
  return new HttpError(400, 'VALIDATION_FAILED', message, { fields });
}
