/**
 * The job state machine and process ownership, as pure rules the store enforces in SQL.
 *
 *   PENDING ──► IN_PROGRESS ──► SUCCESSFUL
 *      │            │  ├──────► FAILED ────┐
 *      │            │  └──────► CANCELLED ─┤ resume
 *      └──► CANCELLED          IN_PROGRESS ◄┘
 */
import { randomBytes } from 'node:crypto';
import type { JobStatus } from './types.ts';

export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  PENDING: ['IN_PROGRESS', 'CANCELLED'],
  IN_PROGRESS: ['SUCCESSFUL', 'FAILED', 'CANCELLED'],
  FAILED: ['IN_PROGRESS'],
  CANCELLED: ['IN_PROGRESS'],
  SUCCESSFUL: [],
};

export const STATUSES = Object.keys(TRANSITIONS) as JobStatus[];

/** Statuses from which `to` may be entered. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

/**
 * Whether a process with this pid exists on this host. EPERM means it exists but belongs to
 * another user, which still counts as alive. A recycled pid reads as alive: the safe mistake
 * (we refuse to steal a job) rather than the dangerous one (two processes running one job).
 */
export function isPidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `j_` + 10 base32 chars (50 random bits): short enough to type, collisions retried by create. */
export function newJobId(): string {
  // 256 is a multiple of 32, so `byte & 31` is uniform.
  return `j_${[...randomBytes(10)].map((b) => BASE32[b & 31]).join('')}`;
}
