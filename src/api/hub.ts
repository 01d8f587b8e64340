/**
 * Live job events for the API's Server-Sent Events and the rates (points/s, ETA) its views show.
 *
 * Jobs this server runs report through the engine's typed events. Jobs another process runs (a
 * CLI `migrate --detach`, `npm run demo`) only update the shared store, about once a second; while
 * anyone listens, the hub polls the store for those and turns each change into the same events,
 * so the Jobs page moves whoever runs the job.
 *
 * Progress and error events are throttled: a job rejecting thousands of points must not flood a
 * browser. Error events carry no message (the console re-reads the error log, which the store
 * keeps scrubbed of credentials).
 */
import { RateMeter } from '../core/events.ts';
import type { JobEngine } from '../jobs/engine.ts';
import type { JobStore } from '../jobs/store.ts';
import type { JobStatus } from '../jobs/types.ts';
import type { JobEvent } from './schemas/responses.ts';

export interface Rate {
  pointsPerSecond: number;
  etaSeconds: number | null;
}

export interface HubOptions {
  /** How often the store is polled for jobs of other processes while someone listens. Default 1000 ms. */
  pollMs?: number;
  /** Least time between two progress (or error) events of one collection (job). Default 250 ms. */
  throttleMs?: number;
}

interface Subscriber {
  jobId?: string;
  send: (event: JobEvent) => void;
}

interface Watched {
  status: JobStatus;
  done: Map<string, number>;
  meters: Map<string, RateMeter>;
}

export class LiveHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly rates = new Map<string, Rate>();
  private readonly lastSent = new Map<string, number>();
  private readonly watched = new Map<string, Watched>();
  private readonly offEngine: Array<() => void>;
  private timer: NodeJS.Timeout | undefined;
  private readonly pollMs: number;
  private readonly throttleMs: number;

  constructor(
    private readonly engine: JobEngine,
    private readonly store: JobStore,
    options: HubOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.throttleMs = options.throttleMs ?? 250;
    this.offEngine = [
      engine.on('job:status', ({ jobId, status }) => {
        if (status !== 'IN_PROGRESS') this.forgetRates(jobId);
        this.publish({ type: 'status', jobId, status });
      }),
      engine.on('job:collection', ({ jobId, collection, status, phase }) => this.publish({ type: 'collection', jobId, collection, status, phase })),
      engine.on('job:progress', ({ jobId, collection, total, written, rejected, pointsPerSecond, etaSeconds }) => {
        this.rates.set(key(jobId, collection), { pointsPerSecond, etaSeconds });
        if (this.throttled(key(jobId, collection)) && written + rejected < total) return;
        this.publish({ type: 'progress', jobId, collection, total, written, rejected, pointsPerSecond, etaSeconds });
      }),
      engine.on('job:error', ({ jobId, collection, code, pointId }) => {
        if (this.throttled(`${jobId}|error`)) return;
        this.publish({ type: 'error', jobId, code, ...(collection !== undefined && { collection }), ...(pointId !== undefined && { pointId }) });
      }),
    ];
  }

  /** Events of one job (or of every job); returns the unsubscribe function. */
  subscribe(send: (event: JobEvent) => void, jobId?: string): () => void {
    const sub: Subscriber = { send, ...(jobId !== undefined && { jobId }) };
    this.subscribers.add(sub);
    this.timer ??= setInterval(() => this.poll(), this.pollMs).unref();
    return () => {
      this.subscribers.delete(sub);
      if (this.subscribers.size === 0) this.stopPolling();
    };
  }

  /** The latest rate of a collection that is being copied, if this server has seen it move. */
  rate(jobId: string, collection: string): Rate | undefined {
    return this.rates.get(key(jobId, collection));
  }

  close(): void {
    for (const off of this.offEngine) off();
    this.subscribers.clear();
    this.stopPolling();
  }

  private publish(event: JobEvent): void {
    const jobId = event.type === 'snapshot' ? event.job.id : event.jobId;
    for (const sub of this.subscribers) {
      if (sub.jobId !== undefined && sub.jobId !== jobId) continue;
      try {
        sub.send(event);
      } catch {
        // A closed stream; its own abort handler unsubscribes it.
      }
    }
  }

  private throttled(k: string): boolean {
    const now = Date.now();
    if (now - (this.lastSent.get(k) ?? 0) < this.throttleMs) return true;
    this.lastSent.set(k, now);
    return false;
  }

  private forgetRates(jobId: string): void {
    for (const k of this.rates.keys()) if (k.startsWith(`${jobId}|`)) this.rates.delete(k);
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  /** Jobs of other processes: turn store changes into events. */
  private poll(): void {
    try {
      const local = new Set(this.engine.activeJobs());
      const ids = new Set([...this.store.list({ status: 'IN_PROGRESS', limit: 1000 }).map((j) => j.id), ...this.watched.keys()]);
      for (const id of ids) if (!local.has(id)) this.pollJob(id);
    } catch {
      // The store is busy for a moment (another process writing): poll again next tick.
    }
  }

  private pollJob(id: string): void {
    let job;
    try {
      job = this.store.get(id);
    } catch {
      this.watched.delete(id);
      return;
    }
    const seen = this.watched.get(id) ?? { status: job.status, done: new Map<string, number>(), meters: new Map<string, RateMeter>() };
    if (seen.status !== job.status) this.publish({ type: 'status', jobId: id, status: job.status });
    seen.status = job.status;
    for (const c of job.collections) {
      const done = c.written + c.rejected;
      if (seen.done.get(c.source) === done) continue;
      seen.done.set(c.source, done);
      const meter = seen.meters.get(c.source) ?? new RateMeter();
      seen.meters.set(c.source, meter);
      meter.record(done);
      const rate = { pointsPerSecond: Math.max(0, meter.rate()), etaSeconds: meter.eta(Math.max(0, c.total - done)) };
      this.rates.set(key(id, c.source), rate);
      this.publish({ type: 'progress', jobId: id, collection: c.source, total: c.total, written: c.written, rejected: c.rejected, ...rate });
    }
    if (job.status === 'IN_PROGRESS') this.watched.set(id, seen);
    else {
      this.watched.delete(id);
      this.forgetRates(id);
    }
  }
}

const key = (jobId: string, collection: string) => `${jobId}|${collection}`;
