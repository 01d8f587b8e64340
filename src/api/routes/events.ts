/**
 * Live progress as Server-Sent Events: `GET /api/jobs/:id/events` (one job: a `snapshot` event
 * first, then its changes) and `GET /api/events` (every job's changes). The event name is the
 * JobEvent's `type`; its data is the JobEvent as JSON. A comment line every 15 s keeps proxies
 * from closing an idle stream.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { JobStore } from '../../jobs/store.ts';
import type { LiveHub } from '../hub.ts';
import type { JobEvent } from '../schemas/responses.ts';
import { jobSummaryView } from '../views.ts';

const KEEPALIVE_MS = 15_000;

export function eventRoutes(store: JobStore, hub: LiveHub): Hono {
  const app = new Hono();
  app.get('/events', (c) => stream(c, hub));
  app.get('/jobs/:id/events', (c) => {
    const id = c.req.param('id');
    const snapshot: JobEvent = { type: 'snapshot', job: jobSummaryView(store.get(id), store, hub) };
    return stream(c, hub, id, snapshot);
  });
  return app;
}

function stream(c: Context, hub: LiveHub, jobId?: string, first?: JobEvent): Response {
  return streamSSE(c, async (sse) => {
    // Writes are chained so that events keep their order on the wire.
    let chain: Promise<void> = Promise.resolve();
    const send = (event: JobEvent) => {
      chain = chain.then(() => sse.writeSSE({ event: event.type, data: JSON.stringify(event) })).catch(() => undefined);
    };
    if (first) send(first);
    const off = hub.subscribe(send, jobId);
    const aborted = new Promise<void>((resolve) => sse.onAbort(resolve));
    try {
      while (!sse.aborted && !sse.closed) {
        let timer: NodeJS.Timeout | undefined;
        // Wake on abort at once: a closed tab must not hold a timer for 15 more seconds.
        await Promise.race([aborted, new Promise<void>((resolve) => (timer = setTimeout(resolve, KEEPALIVE_MS)))]);
        clearTimeout(timer);
        if (sse.aborted || sse.closed) break;
        chain = chain.then(() => sse.write(': keepalive\n\n')).then(() => undefined, () => undefined);
      }
    } finally {
      off();
    }
  });
}
