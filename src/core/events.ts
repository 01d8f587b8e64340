/**
 * Typed events of a migration. The CLI progress display, the job engine and the HTTP API's
 * Server-Sent Events all listen here. Emitting never throws: a listener that throws is reported
 * to `onListenerError` (stderr by default) and the migration goes on.
 */
import type { MigrationError } from './errors.ts';
import type { RejectedPoint } from './types.ts';

export type CollectionStatus = 'PENDING' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'CANCELLED';
/** Where a collection is: create (target schema) → copy → load (flush, index, load) → verify → done. */
export type CollectionPhase = 'create' | 'copy' | 'index' | 'load' | 'verify' | 'done';

export interface ProgressSnapshot {
  collection: string;
  total: number;
  written: number;
  rejected: number;
  /** Moving average over the last seconds; 0 before the first write. */
  pointsPerSecond: number;
  /** Seconds left at the current rate; null when unknown. */
  etaSeconds: number | null;
}

export interface MigrationEventMap {
  'collection:status': { collection: string; status: CollectionStatus; phase: CollectionPhase };
  'collection:progress': ProgressSnapshot;
  'points:rejected': { collection: string; points: RejectedPoint[] };
  /** How a collection's id space was cut into ranges, once per copy, before any point moves:
   *  `saved` (a resume: the saved ranges), `single` (one range), `sample` (quantiles of `sampled`
   *  random ids) or `scan` (every id read; `reason` says why not a sample). */
  'collection:split': { collection: string; method: 'saved' | 'single' | 'sample' | 'scan'; ranges: number; ms: number; sampled?: number; reason?: string };
  /** An alias pointed at a verified collection (core/aliases.ts); `unchanged`: it already was. */
  'collection:alias': { collection: string; alias: string; target: string; action: 'created' | 'moved' | 'unchanged' | 'skipped'; from?: string };
  /** A failure or a retried transient error (`willRetry`); `warning`: the job goes on unaffected
   *  (e.g. an import file it could not delete from the bucket). */
  error: { collection?: string; error: MigrationError; willRetry: boolean; warning?: boolean };
}

type Listener<T> = (payload: T) => void;

export class MigrationEvents {
  private readonly listeners = new Map<keyof MigrationEventMap, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (e: unknown) => void = (e) => console.error('event listener failed:', e)) {}

  on<K extends keyof MigrationEventMap>(name: K, listener: Listener<MigrationEventMap[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof MigrationEventMap>(name: K, payload: MigrationEventMap[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<MigrationEventMap[K]>)(payload);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }
}

/** Points/s over a sliding window, and the ETA that follows from it. */
export class RateMeter {
  private readonly samples: Array<{ at: number; count: number }> = [];
  constructor(private readonly windowMs = 10_000) {}

  record(totalDone: number, now = Date.now()): void {
    this.samples.push({ at: now, count: totalDone });
    while (this.samples.length > 2 && now - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at === first.at) return 0;
    return ((last.count - first.count) * 1000) / (last.at - first.at);
  }

  eta(remaining: number): number | null {
    const r = this.rate();
    return r > 0 ? Math.max(0, Math.round(remaining / r)) : null;
  }
}
