/**
 * The HTTP API (and, when `web` is given, the console's static files) as a Hono app. Testable
 * without a port: `await createApp(deps).request('/api/jobs')`. `serve` mounts it on a real port
 * (server.ts).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JobEngine } from '../jobs/engine.ts';
import type { JobStore } from '../jobs/store.ts';
import { defaultConnectors, type Connectors } from './connectors.ts';
import { guard } from './guard.ts';
import { errorResponse, HttpError } from './http-errors.ts';
import { LiveHub, type HubOptions } from './hub.ts';
import { openApiDocument } from './openapi.ts';
import { eventRoutes } from './routes/events.ts';
import { jobRoutes } from './routes/jobs.ts';
import { wizardRoutes } from './routes/wizard.ts';

export interface AppOptions {
  engine: JobEngine;
  store: JobStore;
  /** When set, every /api request needs `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** Opens source and target connections for the wizard routes. Default: the real Qdrant reader and Milvus sink. */
  connect?: Connectors;
  /** Host header values accepted (DNS-rebinding guard); absent = any. */
  allowedHosts?: string[];
  /** Serves the console (static files) for every non-API GET. */
  web?: MiddlewareHandler;
  hub?: HubOptions;
}

export type ApiApp = Hono & { hub: LiveHub };

/** Largest request body, in bytes. The largest real body (a plan of many collections) is a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Refuses a body over MAX_BODY_BYTES before anything reads it: at once when Content-Length says
 * so, else as soon as the streamed bytes pass the limit. Without it a 100 MB body was buffered
 * and parsed (RSS +340 MB) only to be refused by validation afterwards.
 */
const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) =>
    errorResponse(c, new HttpError(413, 'BODY_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB).`, {
      fix: 'Send a smaller body: no field of this API needs more than a few KiB.',
    })),
});

export function createApp(options: AppOptions): ApiApp {
  const { engine, store } = options;
  const connectors = options.connect ?? defaultConnectors;
  const hub = new LiveHub(engine, store, options.hub);
  const app = new Hono();

  app.use('/api/*', guard({ authToken: options.authToken, allowedHosts: options.allowedHosts }));
  app.use('/api/*', limitBody);
  app.use('/api/*', async (c, next) => {
    await next();
    // API answers are live data: never cached by the browser or a proxy.
    c.header('Cache-Control', 'no-store');
  });
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));
  app.route('/api', wizardRoutes(connectors));
  app.route('/api', eventRoutes(store, hub));
  app.route('/api/jobs', jobRoutes({ engine, store, hub, connectors }));
  app.all('/api/*', (c) => errorResponse(c, new HttpError(404, 'NOT_FOUND', `No API route ${c.req.method} ${c.req.path}.`, { fix: 'See /api/openapi.json for the routes.' })));
  if (options.web) app.use('*', options.web);

  app.onError((e, c) => errorResponse(c, e));
  return Object.assign(app, { hub });
}
