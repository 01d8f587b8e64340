/**
 * Lossless JSON for the REST layer: integers outside Number's safe range become bigint on the way
 * in and are written back digit for digit on the way out, so ids and payload integers up to
 * 2^64-1 survive a round trip (Qdrant itself keeps them exact).
 */
import { parse as losslessParse } from 'lossless-json';

const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

function parseNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const asNumber = Number(text);
    if (Number.isSafeInteger(asNumber)) return asNumber;
    const big = BigInt(text);
    // serde_json (Qdrant) holds integers as i64/u64; beyond that they become floats.
    return big >= I64_MIN && big <= U64_MAX ? big : asNumber;
  }
  return Number(text);
}

/** Parses request JSON; throws a SyntaxError-like Error on malformed text. */
export function parseJson(text: string): unknown {
  return losslessParse(text, null, parseNumber);
}

// JSON.stringify is much faster than a JS serializer for large scroll pages; bigints are smuggled
// through as marked strings and unquoted afterwards. The marker cannot come from user data because
// JSON.stringify escapes U+0000 in user strings as `\u0000`, and we match the escaped form only
// when it is followed by our tag and digits, which a user string would also have to contain.
const MARK = '\u0000qdrant-testkit-bigint:';
const MARKED = /"\\u0000qdrant-testkit-bigint:(-?\d+)"/g;

/**
 * Replaces bigints by marked strings, copying only the containers that hold one, so the large
 * bigint-free parts (vectors) go to JSON.stringify untouched: a replacer function would be called
 * once per vector element and dominated scroll time.
 */
function markBigints(value: unknown): unknown {
  if (typeof value === 'bigint') return MARK + value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'object' && typeof item !== 'bigint') continue;
      const marked = markBigints(item);
      if (marked !== item) (copy ??= value.slice())[i] = marked;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | null = null;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item !== 'object' && typeof item !== 'bigint') continue;
    const marked = markBigints(item);
    if (marked !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = marked;
  }
  return copy ?? value;
}

export function stringifyJson(value: unknown): string {
  const marked = markBigints(value);
  const text = JSON.stringify(marked);
  return marked === value ? text : text.replace(MARKED, '$1');
}
