/**
 * Exit codes, so scripts can tell "nothing moved, fix your input" from "the migration failed".
 */
import { asMigrationError, redact } from '../core/errors.ts';

export const EXIT = {
  OK: 0,
  /** The migration ran and failed, or verification found a difference. */
  FAILED: 1,
  /** Bad input or setup (flags, plan, connection, auth): no data moved. */
  CONFIG: 2,
  /** Cancelled by the user (Ctrl-C / SIGTERM). */
  CANCELLED: 130,
} as const;

/** Prints an error for people (code, message, fix) on stderr and returns its exit code. */
export function reportError(e: unknown, secrets: ReadonlyArray<string | undefined> = []): number {
  const error = asMigrationError(e);
  let text = `error [${error.code}]: ${error.message}`;
  if (error.fix) text += `\n  fix: ${error.fix}`;
  if (error.kind === 'system' && process.env.DEBUG && error.cause instanceof Error) text += `\n  cause: ${error.cause.stack}`;
  // redact() also masks `user:password@` in any URL the message names.
  process.stderr.write(`${redact(text, secrets)}\n`);
  if (error.code === 'CANCELLED') return EXIT.CANCELLED;
  return error.kind === 'config' ? EXIT.CONFIG : EXIT.FAILED;
}
