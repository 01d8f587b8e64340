/**
 * The REST transport: node:http, Qdrant's envelope `{result, status: "ok", time}` and error body
 * `{status: {error}, time}`, api-key auth (plain-text 401 like Qdrant's middleware), fault
 * injection, and the test-only control API under `/__testkit/`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatError, QdrantApiError } from './errors.ts';
import { FaultController, type FaultConfig } from './faults.ts';
import { parseJson, stringifyJson } from './json.ts';
import { matchRoute } from './rest-routes.ts';
import { serdeSyntaxError } from './serde-json.ts';
import type { ResponseInfo } from './openapi.ts';
import type { QdrantStore } from './store.ts';

export const QDRANT_VERSION = '1.19.0';
/** Not a real Qdrant commit: marks answers as coming from the test kit. */
export const TESTKIT_COMMIT = 'qdrant2milvus-testkit';

export interface RestServerOptions {
  store: QdrantStore;
  faults: FaultController;
  host?: string;
  port?: number;
  apiKey?: string;
  readOnlyApiKey?: string;
  /** Test hook: sees every response sent (e.g. createResponseAuditor() from openapi.ts). */
  onResponse?: (info: ResponseInfo) => void;
}

export interface RestServer {
  port: number;
  server: Server;
  stop(): Promise<void>;
}

type Access = 'full' | 'read' | 'denied-missing' | 'denied-wrong';

function access(req: IncomingMessage, opts: RestServerOptions): Access {
  if (!opts.apiKey && !opts.readOnlyApiKey) return 'full';
  const header = req.headers['api-key'];
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const key = (Array.isArray(header) ? header[0] : header) ?? bearer;
  if (key === undefined) return 'denied-missing';
  if (opts.apiKey && key === opts.apiKey) return 'full';
  if (opts.readOnlyApiKey && key === opts.readOnlyApiKey) return 'read';
  return 'denied-wrong';
}

/** Per-response audit hook, set by the server when `onResponse` is configured. */
const audits = new WeakMap<ServerResponse, (status: number, type: string, body: string) => void>();

/** `type` '' sends no content-type (Qdrant's 401 has none). */
function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  audits.get(res)?.(status, type, body);
  res.writeHead(status, { ...(type ? { 'content-type': type } : {}), 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  send(res, status, stringifyJson(body), 'application/json', headers);
}

function sendError(res: ServerResponse, status: number, message: string, started: number, headers?: Record<string, string>): void {
  sendJson(res, status, { status: { error: message }, time: elapsed(started) }, headers);
}

/** Qdrant's `time`: seconds spent on the request. */
const elapsed = (started: number) => (performance.now() - started) / 1000;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Routes outside Qdrant's API that need no key and see no faults. */
function handleUnprotected(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (req.method !== 'GET') return false;
  if (path === '/') {
    sendJson(res, 200, { title: 'qdrant - vector search engine', version: QDRANT_VERSION, commit: TESTKIT_COMMIT });
  } else if (path === '/healthz' || path === '/livez') send(res, 200, 'healthz check passed', 'text/plain; charset=utf-8');
  else if (path === '/readyz') send(res, 200, 'all shards are ready', 'text/plain; charset=utf-8');
  else return false;
  return true;
}

async function handleControl(req: IncomingMessage, res: ServerResponse, faults: FaultController): Promise<void> {
  if (req.method === 'POST') faults.configure(JSON.parse((await readBody(req)) || '{}') as FaultConfig);
  else if (req.method === 'DELETE') faults.clear();
  else if (req.method !== 'GET') return send(res, 405, 'method not allowed', 'text/plain');
  sendJson(res, 200, { config: faults.config(), stats: faults.stats() });
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: RestServerOptions): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
  if (handleUnprotected(req, res, path)) return;
  if (path === '/__testkit/faults') {
    try {
      return await handleControl(req, res, opts.faults);
    } catch (err) {
      return send(res, 400, String((err as Error).message), 'text/plain');
    }
  }
  const granted = access(req, opts);
  if (granted === 'denied-missing') return send(res, 401, 'Must provide an API key or an Authorization bearer token', '');
  if (granted === 'denied-wrong') return send(res, 401, 'Invalid API key or JWT', '');

  const decision = await opts.faults.check(`${req.method} ${path}`);
  if (decision.kind === 'close') return void req.socket.destroy();
  if (decision.kind === 'absent') return send(res, 404, '', '');
  if (decision.kind === 'error') {
    const headers = decision.retryAfter !== undefined ? { 'retry-after': String(decision.retryAfter) } : undefined;
    const message = decision.status === 429 ? 'Too many requests: rate limit exceeded (injected fault)' : 'Service unavailable (injected fault)';
    return sendError(res, decision.status, message, started, headers);
  }

  const found = matchRoute(req.method ?? 'GET', path);
  if (!found) return send(res, 404, '', '');
  const text = await readBody(req);
  const request = { params: found.params, query: url.searchParams, body: () => parseBody(text), text };
  try {
    if (found.route.write && granted === 'read') {
      // A read-only key's write gets 403 only after the checks Qdrant makes first (rest-writes.ts);
      // Qdrant 1.19 words it so for points, indexes and collections alike.
      found.route.precheck?.(opts.store, request);
      return sendError(res, 403, 'Forbidden: Global manage access is required', started);
    }
    const result = found.route.handle(opts.store, request);
    sendJson(res, 200, { result, status: 'ok', time: elapsed(started) });
  } catch (err) {
    if (err instanceof QdrantApiError) return sendError(res, err.status, withPosition(err, text, found.route.positions !== false), started);
    sendError(res, 500, `Service internal error: ${(err as Error).message}`, started);
  }
}

class JsonSyntaxError extends QdrantApiError {}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseJson(text);
  } catch (err) {
    throw new JsonSyntaxError(400, formatError(serdeSyntaxError(text) ?? (err as Error).message).message);
  }
}

/**
 * serde_json ends a body's type errors with ` at line L column C`. Qdrant's request types buffer
 * the whole object first (flattened fields), so C is always the position of the body's last
 * character (its closing brace), whichever field was wrong.
 */
function withPosition(err: QdrantApiError, text: string, positions: boolean): string {
  const placed = !positions || err instanceof JsonSyntaxError || / at line \d+ column \d+$/.test(err.message);
  if (placed || !err.message.startsWith('Format error in JSON body: ') || text.trim() === '') return err.message;
  const lines = text.trimEnd().split('\n');
  return `${err.message} at line ${lines.length} column ${lines[lines.length - 1]!.length}`;
}

/** Starts listening; `port: 0` picks a free port (read it back from the result). */
export async function startRestServer(opts: RestServerOptions): Promise<RestServer> {
  const server = createServer((req, res) => {
    const hook = opts.onResponse;
    if (hook) {
      const method = req.method ?? 'GET';
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      audits.set(res, (status, contentType, body) => hook({ method, path, status, contentType, body }));
    }
    handle(req, res, opts).catch((err: unknown) => {
      // A client that went away mid-request (a cancelled job aborts its scroll) gets no answer: a
      // 500 written to the dead socket would only trip the OpenAPI auditor.
      if (!res.headersSent && !req.destroyed) send(res, 500, String(err), 'text/plain');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
