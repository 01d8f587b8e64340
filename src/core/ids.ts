/**
 * Point ids in Qdrant's scroll order, and their checkpoint form.
 *
 * Qdrant orders every unsigned integer id before every UUID; integers ascend numerically, UUIDs
 * ascend by their 128-bit value, which is the order of their lowercase hyphenated text. Range
 * bounds, cursors and `next` offsets are compared with compareIds so readers, the pipeline and the
 * test server agree on where a range ends.
 */
import { configError } from './errors.ts';
import type { PointId } from './types.ts';

/** The smallest UUID: a scroll from here skips every integer id and starts at the first UUID. */
export const MIN_UUID = '00000000-0000-0000-0000-000000000000';
/** The first integer id that no longer fits Milvus INT64 (2^63). */
export const INT64_LIMIT = 2n ** 63n;
/** Largest integer id Qdrant accepts (u64). */
export const UINT64_MAX = 2n ** 64n - 1n;

const UUID_HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_SIMPLE = /^[0-9a-f]{32}$/;
const DECIMAL = /^[0-9]+$/;

/** Negative when a sorts before b in Qdrant's scroll order, 0 when equal, positive after. */
export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'bigint') {
    if (typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    return -1;
  }
  if (typeof b === 'bigint') return 1;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Checkpoint / display form: integers as decimal, UUIDs as lowercase hyphenated text. */
export function formatId(id: PointId): string {
  return typeof id === 'bigint' ? id.toString(10) : id.toLowerCase();
}

/** Inverse of formatId. Accepts UUIDs in any case and Qdrant's 32-hex "simple" form too. */
export function parseId(text: string): PointId {
  const s = text.trim();
  if (DECIMAL.test(s)) {
    const n = BigInt(s);
    if (n <= UINT64_MAX) return n;
  } else {
    const uuid = normalizeUuid(s);
    if (uuid !== undefined) return uuid;
  }
  throw configError(
    'INVALID_POINT_ID',
    `"${text}" is not a Qdrant point id.`,
    'Use an unsigned integer below 2^64 (decimal) or a UUID.',
  );
}

/** Lowercase hyphenated UUID, or undefined when `s` is not a UUID. */
export function normalizeUuid(s: string): string | undefined {
  const lower = s.toLowerCase();
  if (UUID_HYPHENATED.test(lower)) return lower;
  if (UUID_SIMPLE.test(lower)) {
    return `${lower.slice(0, 8)}-${lower.slice(8, 12)}-${lower.slice(12, 16)}-${lower.slice(16, 20)}-${lower.slice(20)}`;
  }
  return undefined;
}

/**
 * A PointId from what a transport decoded: REST JSON gives a number (safe ints), a bigint (ints
 * above 2^53, parsed losslessly) or a string; gRPC gives bigint or string. Ids always become
 * bigint so callers never see a JS number id.
 */
export function toPointId(raw: unknown): PointId {
  if (typeof raw === 'bigint' && raw >= 0n && raw <= UINT64_MAX) return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return BigInt(raw);
  if (typeof raw === 'string') {
    const uuid = normalizeUuid(raw);
    if (uuid !== undefined) return uuid;
  }
  throw new TypeError(`Not a Qdrant point id: ${String(raw)} (${typeof raw})`);
}
