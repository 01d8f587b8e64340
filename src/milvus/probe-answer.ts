/**
 * A probe's answer: did the target accept the call? And its collection's name. Shared by the probes
 * (probe.ts, probe-scalar.ts, probe-write-size.ts).
 */
import type { MigrationError } from '../core/errors.ts';
import type { MilvusConnection } from './client.ts';
import { Merr, fromStatus, fromThrown, isStatus, statusFailed, type MilvusStatus } from './errors.ts';

/** A throwaway probe collection's name: `_q2m_probe_<time>_<random>` (probe.ts drops leftovers by the time). */
export function probeCollectionName(): string {
  return `_q2m_probe_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * True when the call succeeded, false when the target refused it. Transient and auth errors are
 * thrown: they are not answers about capabilities.
 */
export async function ok(conn: MilvusConnection, op: string, fn: () => Promise<unknown>): Promise<boolean> {
  let error: MigrationError;
  try {
    const res = (await fn()) as MilvusStatus | { status?: MilvusStatus };
    const status = res && 'status' in res ? res.status : (res as MilvusStatus);
    if (!statusFailed(status)) return true;
    // The catch-all code answers a probe with "no": Milvus 2.3.5 refuses a second vector field or a
    // sparse row this way, and the sink would otherwise retry it as an outage (errors.ts).
    if (status!.code === Merr.unexpected) return false;
    error = fromStatus(status!, conn.ctx(`probe ${op}`));
  } catch (e) {
    if (isStatus(e) && e.code === Merr.unexpected) return false;
    error = fromThrown(e, conn.ctx(`probe ${op}`));
  }
  if (error.kind === 'transient' || error.code === 'TARGET_AUTH') throw error;
  return false;
}
