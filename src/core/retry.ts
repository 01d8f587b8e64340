/**
 * Bounded retry for transient failures. Only MigrationErrors of kind `transient` are retried:
 * config errors must fail fast and system errors are bugs, so retrying either only hides them.
 *
 * One budget for every call of both sides (issue 13, defect 7): planning (describe, counts, id-kind
 * probes, capability probes, listings) once retried 3 times while the copy retried for a minute,
 * so a 429 burst at the start failed `migrate` before any job existed. The defaults below are
 * that one budget; a job passes its own (`--retry-budget`) the same way.
 */
import { isMigrationError, type MigrationError } from './errors.ts';

/** How long one operation rides out transient failures unless told otherwise: 60 s. */
export const DEFAULT_RETRY_BUDGET_MS = 60_000;

export interface RetryOptions {
  /** Retries after the first attempt. Default: no count limit (the time budget bounds them). */
  retries?: number;
  /** First backoff step in ms; doubles per attempt. Default 200. */
  baseMs?: number;
  /** Cap of one backoff step in ms. Default 5000. */
  maxMs?: number;
  /** A server's Retry-After longer than this (ms) is not waited out here: the error is thrown so the
   *  caller (job engine) can decide. Default 60000. */
  maxRetryAfterMs?: number;
  /**
   * Give up once this much time (ms) has passed since the first attempt: a job rides out an outage
   * of up to this long (a target restart, a source failover) and then fails with the last error,
   * resumable. The last wait is cut to what is left. Default DEFAULT_RETRY_BUDGET_MS (60 s).
   */
  budgetMs?: number;
  /** Aborts the wait between attempts (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Called before each wait; for logs and progress (attempt is 1 for the first retry). */
  onRetry?: (error: MigrationError, attempt: number, delayMs: number) => void;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

/** Runs fn until it resolves, a non-transient error is thrown, or the retries are used up. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? Number.MAX_SAFE_INTEGER;
  const budgetMs = options.budgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isMigrationError(error) || error.kind !== 'transient' || attempt >= retries) throw error;
      const delayMs = withinBudget(retryDelayMs(error, attempt, options), error, started, budgetMs);
      if (delayMs === undefined) throw error;
      options.onRetry?.(error, attempt + 1, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random), so parallel readers that fail
 * together do not retry in lockstep, yet never retry instantly. A server's Retry-After wins.
 * Undefined: the server asked for a wait longer than we are willing to hold a request for.
 */
export function retryDelayMs(error: MigrationError, attempt: number, options: RetryOptions = {}): number | undefined {
  if (error.retryAfterSeconds !== undefined) {
    const ms = Math.max(0, error.retryAfterSeconds * 1000);
    return ms > (options.maxRetryAfterMs ?? 60_000) ? undefined : ms;
  }
  const step = Math.min(options.maxMs ?? 5000, (options.baseMs ?? 200) * 2 ** attempt);
  const random = options.random ?? Math.random;
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The wait, cut to what is left of the budget; undefined when nothing is left, or when the server's
 * Retry-After asks for longer than that (waiting less than it asked would only be refused again).
 */
function withinBudget(delayMs: number | undefined, error: MigrationError, started: number, budgetMs: number): number | undefined {
  if (delayMs === undefined) return delayMs;
  const left = budgetMs - (Date.now() - started);
  if (left <= 0) return undefined;
  if (delayMs <= left) return delayMs;
  return error.retryAfterSeconds !== undefined ? undefined : left;
}

/** setTimeout as a promise that an AbortSignal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
