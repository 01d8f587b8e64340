/**
 * Reading a request: JSON bodies and query strings through their zod schemas. Anything wrong is
 * an HttpError the app's error handler turns into a 400 (or 415) naming each bad field.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { isJsonContentType } from './guard.ts';
import { fieldsOf, HttpError, validationError } from './http-errors.ts';

/** "is required" reads better than zod's "expected string, received undefined". */
const messages: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  // Requiring JSON also keeps other web pages out: a cross-site form or "simple" fetch cannot send it.
  // (The guard checks it for every mutating route; this covers a route mounted without it.)
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON (Content-Type: application/json).');
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(json, { error: messages });
  if (!parsed.success) throw validationError(fieldsOf(parsed.error));
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query(), { error: messages });
  if (!parsed.success) throw validationError(fieldsOf(parsed.error));
  return parsed.data;
}
