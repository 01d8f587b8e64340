/**
 * The CLI's flag value parsers, used as commander argParsers so that a bad value is refused when
 * the command line is parsed (exit 2, nothing connects, nothing moves) with a message naming the
 * allowed values. One small set for every command, so "--limit abc" and "--page-size abc" read
 * alike. Commander prefixes each message with the flag and the value it refused.
 */
import { InvalidArgumentError } from 'commander';

/** Largest page a user may ask for; the API has the same bound. Memory is bounded by bytes too (core/defaults.ts). */
export const MAX_PAGE_SIZE = 10_000;

/** A whole number within [min, max]: `intIn(1, 65535)`. Accepts only plain decimal digits. */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max.toLocaleString('en-US')}`;
      throw new InvalidArgumentError(`It must be a whole number ${range}.`);
    }
    return n;
  };
}

/** `--payload-sample N`: points sampled per collection for the payload keys (0: none). */
export const MAX_PAYLOAD_SAMPLE = 100_000;
export const payloadSample = intIn(0, MAX_PAYLOAD_SAMPLE);
export const PAYLOAD_SAMPLE_HELP = 'points sampled per collection, spread over the id space, for the payload keys\' types and lengths (default 1000, 0: none)';

/** A number of seconds within [min, max] (fractions allowed). */
export function secondsIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = text === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`It must be a number of seconds from ${min} to ${max}.`);
    return n;
  };
}

/** One of a closed set of words. */
export function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`It must be one of: ${allowed.join(', ')}.`);
    return value as T;
  };
}

/**
 * A comma-separated list of names. Empty (`''`, `,`, ` , `) is refused: "no names" must never
 * silently mean "every collection".
 */
export function nameList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('It names no collection. Pass one or more names separated by commas, or leave the flag out for every collection.');
  return names;
}

/** A non-blank text (tokens, names): whitespace only is refused. */
export function nonBlank(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('It must not be empty or blank.');
  return value;
}

/**
 * `--switch-alias NAME[=COLLECTION]`, repeatable (commander passes what the earlier ones gave).
 * COLLECTION (a source or target name of the job) may be left out when the job has one collection.
 */
export function switchAlias(value: string, previous: Array<{ alias: string; collection?: string }> = []): Array<{ alias: string; collection?: string }> {
  const [alias = '', collection, extra] = value.split('=').map((s) => s.trim());
  if (alias === '' || collection === '' || extra !== undefined) {
    throw new InvalidArgumentError('It must be an alias name, or NAME=COLLECTION to say which collection of the job it should point at.');
  }
  return [...previous, { alias, ...(collection !== undefined && { collection }) }];
}
