/**
 * Every error a user can see is a MigrationError: a stable `code`, a `kind` that decides what
 * happens next, a message that names the thing and the reason, a `fix`, and the original `cause`.
 *
 * - config:    the user's input or the servers' setup is wrong. Never retried; fails before data moves.
 * - transient: may pass on its own (5xx, 429, timeouts, resets, target unavailable). Retried.
 * - system:    a bug or an unexpected state. Not retried.
 */
import { maskUrlUserinfo } from './url-credentials.ts';

export type ErrorKind = 'config' | 'transient' | 'system';

export interface MigrationErrorInit {
  code: string;
  kind: ErrorKind;
  message: string;
  fix?: string;
  cause?: unknown;
  /** Seconds the server asked us to wait (Retry-After), for transient errors. */
  retryAfterSeconds?: number;
}

export class MigrationError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly fix: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(init: MigrationErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'MigrationError';
    this.code = init.code;
    this.kind = init.kind;
    this.fix = init.fix;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** Message and fix in one line, for people. */
  describe(): string {
    return this.fix ? `${this.message} Fix: ${this.fix}` : this.message;
  }

  toJSON(): { code: string; kind: ErrorKind; message: string; fix?: string } {
    return { code: this.code, kind: this.kind, message: this.message, ...(this.fix ? { fix: this.fix } : {}) };
  }
}

export const configError = (code: string, message: string, fix?: string, cause?: unknown) =>
  new MigrationError({ code, kind: 'config', message, fix, cause });

export const transientError = (code: string, message: string, cause?: unknown, retryAfterSeconds?: number) =>
  new MigrationError({ code, kind: 'transient', message, cause, retryAfterSeconds });

export const systemError = (code: string, message: string, cause?: unknown) =>
  new MigrationError({ code, kind: 'system', message, cause });

export function isMigrationError(e: unknown): e is MigrationError {
  return e instanceof MigrationError;
}

/** Wraps anything thrown into a MigrationError (system kind unless it already is one). */
export function asMigrationError(e: unknown, code = 'UNEXPECTED'): MigrationError {
  if (e instanceof MigrationError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return systemError(code, message, e);
}

/**
 * Replaces every occurrence of each secret in `text` with `***`, and the `user:password@` of any
 * URL in it (credentials in a URL are secrets too, whether or not the caller knew of them).
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = maskUrlUserinfo(text);
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
