/**
 * The server `qdrant2milvus serve` (and `npm run demo`, and the browser tests) run: the API and
 * the console on one origin, jobs run by an engine in this process.
 *
 * Safe to leave running: it binds to loopback unless told otherwise, refuses any other address
 * without an access token, and (without a token) answers only to loopback Host names.
 *
 * Crash recovery: jobs left IN_PROGRESS by a process that is gone are marked FAILED
 * (JOB_INTERRUPTED) at start; they are NOT resumed automatically (a server restarting in a loop
 * must not hammer a cluster): the Jobs page and `jobs resume` continue them from their checkpoints.
 */
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { configError } from '../core/errors.ts';
import { JobEngine } from '../jobs/engine.ts';
import { JobStore } from '../jobs/store.ts';
import { createApp, type ApiApp } from './app.ts';
import { AUTH_TOKEN_ENV, DEFAULT_PORT } from './server-options.ts';
import { DEFAULT_WEB_DIR, isConsoleBuilt, serveConsole } from './static.ts';

export { AUTH_TOKEN_ENV, DEFAULT_PORT };

export interface ServerOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Default 7700. */
  port?: number;
  /** Job data directory (see jobs/home.ts). */
  dataDir?: string;
  authToken?: string;
  /** Built console. Default web/dist of this package. */
  webDir?: string;
  /** Most jobs running at once. Default: the engine's (4). */
  maxConcurrentJobs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  store: JobStore;
  engine: JobEngine;
  app: ApiApp;
  /** Jobs found interrupted at start and marked FAILED (resumable). */
  recovered: string[];
  consoleBuilt: boolean;
  /** Cancels the jobs this server runs (they stay resumable), then closes everything. */
  stop(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** Refuses a non-loopback bind without a token, with the fix in the message. */
export function checkBinding(host: string, authToken: string | undefined): void {
  if (isLoopback(host) || authToken) return;
  throw configError(
    'SERVE_TOKEN_REQUIRED',
    `Refusing to serve on ${host} without an access token: anyone who can reach that address could start, cancel and read migrations.`,
    `Set an access token with --auth-token or ${AUTH_TOKEN_ENV} (every API call then needs it), or bind to loopback with --host 127.0.0.1.`,
  );
}

/**
 * The access token as given, or undefined when none was. A blank one (`--auth-token " "`) would
 * look like protection and be none, and one with edge whitespace or control characters could
 * never be sent (HTTP trims header values): both are refused with the fix.
 */
export function checkAuthToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const fix = `Pass a real secret with --auth-token or ${AUTH_TOKEN_ENV} (e.g. the output of \`openssl rand -hex 32\`), or set neither to serve on loopback without one.`;
  if (token.trim() === '') throw configError('SERVE_TOKEN_BLANK', 'The access token is blank (empty or only whitespace), so it would protect nothing.', fix);
  // eslint-disable-next-line no-control-regex
  if (token !== token.trim() || /[\x00-\x1f\x7f]/.test(token)) {
    throw configError('SERVE_TOKEN_INVALID', 'The access token starts or ends with whitespace or contains control characters; HTTP clients cannot send it intact.', fix);
  }
  return token;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const authToken = checkAuthToken(options.authToken);
  checkBinding(host, authToken);
  const store = JobStore.open({ dataDir: options.dataDir });
  const recovered = store.recoverOrphans();
  const engine = new JobEngine(store, { maxConcurrentJobs: options.maxConcurrentJobs });
  const webDir = options.webDir ?? DEFAULT_WEB_DIR;
  // The Host guard needs the real port, known only once listening: filled in below.
  const allowedHosts: string[] = [];
  const app = createApp({ engine, store, authToken, allowedHosts: authToken ? undefined : allowedHosts, web: serveConsole(webDir) });
  let server: Server;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_PORT }, (info: AddressInfo) => resolve(info.port)) as Server;
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? configError('PORT_IN_USE', `Port ${options.port} on ${host} is in use.`, 'Pick another with --port, or stop what uses it.', e) : e),
    );
  }).catch((e: unknown) => {
    app.hub.close();
    store.close();
    throw e;
  });
  allowedHosts.push(...hostNames(host, port));
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    store,
    engine,
    app,
    recovered,
    consoleBuilt: isConsoleBuilt(webDir),
    stop: () => stopServer(server, app, engine, store),
  };
}

function hostNames(host: string, port: number): string[] {
  const names = isLoopback(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [host.includes(':') ? `[${host}]` : host];
  if (isLoopback(host) && !names.includes(host)) names.push(host);
  return names.map((n) => `${n}:${port}`);
}

async function stopServer(server: Server, app: ApiApp, engine: JobEngine, store: JobStore): Promise<void> {
  const running = engine.activeJobs();
  for (const id of running) engine.cancel(id);
  // Give cancelled jobs a moment to save their last checkpoint and end CANCELLED.
  const deadline = Date.now() + 10_000;
  while (engine.activeJobs().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  app.hub.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  store.close();
}
