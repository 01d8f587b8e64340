/**
 * Point ids as Qdrant knows them: unsigned 64-bit integers (kept as bigint) or UUIDs (kept as
 * lowercase hyphenated strings). Scroll order: every integer before every UUID, integers by value,
 * UUIDs by their bytes (same as comparing the lowercase hex text).
 */
import type { PointId } from '../../src/core/types.ts';
import { formatError } from './errors.ts';

export const U64_MAX = (1n << 64n) - 1n;

const HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIMPLE = /^[0-9a-f]{32}$/i;

/**
 * Parses a UUID in the forms Rust's `uuid` crate (which Qdrant uses) accepts: hyphenated, simple
 * (32 hex digits), braced `{…}` and `urn:uuid:…`, in any letter case. Returns null otherwise.
 */
export function parseUuid(text: string): string | null {
  let body = text;
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1);
  else if (body.toLowerCase().startsWith('urn:uuid:')) body = body.slice('urn:uuid:'.length);
  if (body !== text && !HYPHENATED.test(body)) return null;
  if (SIMPLE.test(body)) {
    const h = body.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return HYPHENATED.test(body) ? body.toLowerCase() : null;
}

/** Parses an id from request JSON (number, bigint or string); throws Qdrant's 400 on anything else. */
export function parsePointId(value: unknown): PointId {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= U64_MAX) return value;
  if (typeof value === 'string') {
    const uuid = parseUuid(value);
    if (uuid !== null) return uuid;
  }
  throw formatError(
    `value ${String(value)} is not a valid point ID, valid values are either an unsigned integer or a UUID`,
  );
}

/** Parses a path segment (`GET /points/{id}`): digits are an integer id, anything else a UUID. */
export function parsePathPointId(text: string): PointId {
  if (/^\d+$/.test(text)) {
    const n = BigInt(text);
    if (n <= U64_MAX) return n;
  }
  return parsePointId(text);
}

export function comparePointIds(a: PointId, b: PointId): number {
  if (typeof a === 'bigint') {
    if (typeof b !== 'bigint') return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof b === 'bigint') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
