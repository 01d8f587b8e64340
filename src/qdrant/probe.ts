/**
 * Small probes that tell what actually listens on a host:port, so check() can name the mistake
 * (gRPC port given as REST port, http vs https) from what the server does, not from error text.
 * Probes never throw (restRoot does; tryRestRoot is its probe form); each has its own short timeout.
 */
import http2 from 'node:http2';
import { isIP } from 'node:net';
import tls from 'node:tls';

const PROBE_MS = 3000;

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

/** True when the server completes a TLS handshake (certificate trust aside). */
export function speaksTls(url: string, timeoutMs = PROBE_MS): Promise<boolean> {
  const { host, port } = hostPort(url);
  return new Promise((resolve) => {
    // SNI only for names (RFC 6066 forbids IP addresses there).
    const socket = tls.connect({ host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false });
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * True when the endpoint answers a gRPC call over HTTP/2 (any gRPC status counts, even
 * UNIMPLEMENTED or UNAUTHENTICATED: a REST server would not send grpc-status at all).
 */
export function speaksGrpc(url: string, timeoutMs = PROBE_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let session: http2.ClientHttp2Session | undefined;
    const done = (value: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session?.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    try {
      const { host, port } = hostPort(url);
      const scheme = new URL(url).protocol === 'https:' ? 'https' : 'http';
      session = http2.connect(`${scheme}://${host}:${port}`, { rejectUnauthorized: false });
      session.on('error', () => done(false));
      const req = session.request({
        ':method': 'POST',
        ':path': '/qdrant.Qdrant/HealthCheck',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      req.on('response', (headers) => {
        const type = String(headers['content-type'] ?? '');
        done(type.startsWith('application/grpc') || headers['grpc-status'] !== undefined);
      });
      req.on('error', () => done(false));
      // An empty gRPC frame (flag 0, length 0): a valid HealthCheckRequest.
      req.end(Buffer.alloc(5));
    } catch {
      done(false);
    }
  });
}

export interface RestRoot {
  status: number;
  /** `title` of the JSON body, when there is one. */
  title?: string;
  version?: string;
  /** The Retry-After header, when the server sent one (a 429 or 503). */
  retryAfter?: string;
}

/** GET / over HTTP/1.1. Undefined when nothing HTTP/1.1 answers. */
export async function restRoot(url: string, headers: Record<string, string> = {}, timeoutMs = PROBE_MS): Promise<RestRoot> {
  const response = await fetch(`${url.replace(/\/+$/, '')}/`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const obj = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return {
    status: response.status,
    ...(typeof obj.title === 'string' ? { title: obj.title } : {}),
    ...(typeof obj.version === 'string' ? { version: obj.version } : {}),
    ...(response.headers.has('retry-after') ? { retryAfter: response.headers.get('retry-after')! } : {}),
  };
}

export const isQdrantRoot = (root: RestRoot | undefined): boolean =>
  root !== undefined && root.status === 200 && /qdrant/i.test(root.title ?? '');

/** restRoot that never throws (for probing a port we suspect is something else). */
export async function tryRestRoot(url: string): Promise<RestRoot | undefined> {
  try {
    return await restRoot(url);
  } catch {
    return undefined;
  }
}
