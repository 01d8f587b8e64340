/**
 * Who may call the API. Two guards, because the server is meant to be left running:
 *
 * - Access token: when one is configured, every /api request needs `Authorization: Bearer <token>`
 *   (compared in constant time), else 401. `serve` requires one off loopback.
 * - Origin and Host: a web page on another site must not drive the API through the user's
 *   browser. A request whose Origin is another site is refused (403), and with `allowedHosts`
 *   (loopback servers without a token) a Host header naming anything else is refused too, which
 *   defeats DNS rebinding.
 * - Requests that change something (POST, PUT, PATCH, DELETE) must also come from a real origin
 *   and carry a JSON body: `Origin: null` (a sandboxed iframe, a data: URL, a file) is refused
 *   (403), and so is a body that is not `Content-Type: application/json` (415). A page can send
 *   JSON cross-site only after a CORS preflight this server never grants, so together these keep
 *   any other page, sandboxed or not, from cancelling or resuming a job whose id it knows.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorResponse, HttpError } from './http-errors.ts';

export interface GuardOptions {
  authToken?: string;
  /** Host header values accepted (`127.0.0.1:7700`); absent = any. */
  allowedHosts?: string[];
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const isJsonContentType = (type: string | undefined) => /^application\/json\s*(;|$)/i.test(type ?? '');

export function guard(options: GuardOptions): MiddlewareHandler {
  const expected = options.authToken ? digest(`Bearer ${options.authToken}`) : undefined;
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    // Read per request: the server fills the list in once it knows its port.
    const hosts = options.allowedHosts?.map((h) => h.toLowerCase());
    if (hosts && !hosts.includes(host)) {
      return errorResponse(c, new HttpError(403, 'HOST_NOT_ALLOWED', `This server answers only as ${hosts.join(' or ')}, not "${host}".`, { fix: 'Open the console at the address `serve` printed.' }));
    }
    const origin = c.req.header('origin');
    const mutating = MUTATING.has(c.req.method);
    if (origin === 'null' && mutating) {
      return errorResponse(c, new HttpError(403, 'ORIGIN_NULL', `${c.req.method} ${c.req.path} from a page without an origin (Origin: null: a sandboxed frame, a file or a data: URL) is refused.`, {
        fix: 'Use the console at the address `serve` printed, or call the API from a program (which sends no Origin header).',
      }));
    }
    if (origin && origin !== 'null' && hostOf(origin) !== host) {
      return errorResponse(c, new HttpError(403, 'CROSS_ORIGIN', 'Requests from other web sites are refused.'));
    }
    if (expected) {
      const given = c.req.header('authorization');
      if (!given || !timingSafeEqual(digest(given), expected)) {
        c.header('WWW-Authenticate', 'Bearer realm="qdrant2milvus"');
        return errorResponse(c, new HttpError(401, 'UNAUTHORIZED', given ? 'The access token is not valid.' : 'This server needs an access token.', {
          fix: 'Send `Authorization: Bearer <token>` with the token `serve` was started with (--auth-token or QDRANT2MILVUS_AUTH_TOKEN).',
        }));
      }
    }
    if (mutating && !isJsonContentType(c.req.header('content-type'))) {
      return errorResponse(c, new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `${c.req.method} ${c.req.path} needs a JSON body (Content-Type: application/json).`, {
        fix: 'Send `Content-Type: application/json` with a JSON body; `{}` where the route needs no fields.',
      }));
    }
    await next();
  };
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return '';
  }
}
