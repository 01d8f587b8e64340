/**
 * Between one run of a job and the rest of the world: the run's events (core/events.ts) become
 * store updates (progress throttled, rejected points and failures in the error log) and engine
 * events (job:collection, job:progress, job:error), and the connections get a retry hook that
 * reports every retry of a transient failure as an 'error' event with willRetry.
 */
import { MigrationError } from '../core/errors.ts';
import { MigrationEvents } from '../core/events.ts';
import type { ConnectRetry } from './connect.ts';
import { crashHook } from './crash-hook.ts';
import type { EngineEventMap } from './engine.ts';
import type { JobStore } from './store.ts';

export interface BridgeOptions {
  jobId: string;
  store: JobStore;
  /** The engine's safe emit (a throwing listener is caught there). */
  emit: <K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]) => void;
  /** Progress is saved at most this often per collection (and always at 100%). */
  syncEveryMs: number;
  retryBudgetMs: number;
}

export function bridgeEvents({ jobId: id, store, emit, syncEveryMs, retryBudgetMs }: BridgeOptions): { events: MigrationEvents; retry: ConnectRetry } {
  const events = new MigrationEvents();
  const lastSaved = new Map<string, number>();
  const lastProgress = new Map<string, { total: number; written: number; rejected: number }>();
  // Collections run one at a time, so a retry belongs to the one in progress.
  let current: string | undefined;
  events.on('collection:status', (s) => {
    current = s.status === 'IN_PROGRESS' ? s.collection : undefined;
    // Progress saves are throttled: save the latest with the status, so a cancel keeps its count.
    store.updateCollection(id, s.collection, { status: s.status, phase: s.phase, ...lastProgress.get(s.collection) });
    emit('job:collection', { jobId: id, ...s });
    crashHook.atPhase(s.phase, s.collection);
  });
  events.on('collection:progress', (p) => {
    emit('job:progress', { jobId: id, ...p });
    lastProgress.set(p.collection, { total: p.total, written: p.written, rejected: p.rejected });
    const now = Date.now();
    if (now - (lastSaved.get(p.collection) ?? 0) < syncEveryMs && p.written + p.rejected < p.total) return;
    lastSaved.set(p.collection, now);
    store.updateCollection(id, p.collection, { total: p.total, written: p.written, rejected: p.rejected });
  });
  events.on('points:rejected', (r) => {
    store.appendErrors(id, r.points.map((p) => ({ collection: r.collection, pointId: p.id, code: p.code, message: p.message })));
    for (const p of r.points) emit('job:error', { jobId: id, collection: r.collection, pointId: p.id, code: p.code, message: p.message, willRetry: false });
  });
  events.on('error', (e) => {
    store.appendError(id, { collection: e.collection, code: e.error.code, message: e.error.message });
    emit('job:error', { jobId: id, collection: e.collection, code: e.error.code, message: e.error.message, willRetry: e.willRetry });
  });
  const retry: ConnectRetry = {
    budgetMs: retryBudgetMs,
    onRetry: (side, error, attempt, delayMs) => {
      // The log shows what failed and that it is being retried, so a slow job explains itself.
      const message = `${error.message} Retrying the ${side} (attempt ${attempt}, in ${(delayMs / 1000).toFixed(1)} s).`;
      const retried = new MigrationError({ code: error.code, kind: error.kind, message, cause: error });
      events.emit('error', { ...(current !== undefined && { collection: current }), error: retried, willRetry: true });
    },
  };
  return { events, retry };
}
