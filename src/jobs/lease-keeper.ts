/**
 * Keeps a running job's target lease (Sink.acquireLease, src/milvus/lease.ts) alive.
 */
import type { TargetLease } from '../core/contracts.ts';
import { asMigrationError, type MigrationError } from '../core/errors.ts';

/**
 * Renews the lease every third of its time while the job runs. A renewal that finds the lease taken
 * calls `onLost` (the job stops writing and fails with TARGET_LEASE_LOST); a transient failure
 * (target unreachable) is tried again on the next tick, and the next successful one re-checks.
 */
export function keepLease(lease: TargetLease, onLost: (error: MigrationError) => void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    lease
      .renew()
      .catch((e: unknown) => {
        const error = asMigrationError(e);
        if (error.code === 'TARGET_LEASE_LOST') onLost(error);
      })
      .finally(() => (busy = false));
  }, Math.max(50, Math.floor(lease.ttlMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}
