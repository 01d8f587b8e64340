/**
 * Does a payload value fit a promoted field (issue 10 §4)? Pure, once per promoted key per point.
 * A value fits only when the field can hold it exactly: verify compares the typed value with the
 * source's, so every conversion here must be lossless (no number → string, no float → int).
 */
import type { PromotedFieldPlan } from '../core/payload-schema.ts';
import type { JsonValue } from '../core/types.ts';
import { jsonKind, utf8Bytes } from './payload-keys.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_53 = 2 ** 53;

/**
 * ISO 8601 / RFC 3339 as Qdrant's datetime index accepts it: a date, optionally a time (`T` or a
 * space), fractions, and a zone (`Z` or ±hh:mm). A string Date.parse also takes but that is not
 * this (`Dec 6 2026`) does not fit: Milvus's Timestamptz parser would refuse it.
 */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** The value to store, or why it does not fit (phrased to follow "the value is "). */
export type Fit = { ok: true; value: JsonValue } | { ok: false; reason: string };

const no = (reason: string): Fit => ({ ok: false, reason });

/** "a string", "an integer", "an array"… for messages: the value's JSON type, never the value. */
export function jsonTypeOf(v: JsonValue): string {
  const k = jsonKind(v);
  return k === 'integer' || k === 'array' || k === 'object' ? `an ${k}` : k === 'null' ? 'null' : `a ${k === 'bool' ? 'boolean' : k}`;
}

/** Milliseconds since the epoch of an ISO 8601 string, or NaN (no zone: UTC, as Qdrant reads it). */
export function parseDatetime(s: string): number {
  if (!ISO_DATETIME.test(s)) return Number.NaN;
  // Date keeps milliseconds; finer fractions are cut so Date.parse accepts them.
  return Date.parse(rfc3339(s).replace(/(\.\d{3})\d+/, '$1'));
}

/**
 * The same instant in strict RFC 3339 (what the target's Timestamptz parser is sure to take): `T`
 * for a space, midnight for a bare date, `Z` for no zone, `+hh:mm` for `+hhmm`; fractions kept.
 */
export function rfc3339(s: string): string {
  let t = s.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) t += 'T00:00:00';
  if (/T\d{2}:\d{2}(?:[Z+-]|$)/i.test(t)) t = t.replace(/(T\d{2}:\d{2})/i, '$1:00');
  if (/[+-]\d{4}$/.test(t)) t = `${t.slice(0, -2)}:${t.slice(-2)}`;
  return /(?:Z|[+-]\d{2}:\d{2})$/i.test(t) ? t.replace(/z$/, 'Z') : `${t}Z`;
}

function fitScalar(type: PromotedFieldPlan['type'] | 'Element', elementType: string | undefined, maxLength: number | undefined, v: JsonValue): Fit {
  const t = type === 'Element' ? elementType : type;
  switch (t) {
    case 'Int64':
      if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? { ok: true, value: v } : no('an integer outside Int64');
      return typeof v === 'number' && Number.isInteger(v) ? { ok: true, value: v } : no(jsonTypeOf(v));
    case 'Double':
      if (typeof v === 'number') return { ok: true, value: v };
      // A bigint is above 2^53: a Double would round it.
      return typeof v === 'bigint' && Number(v) === Number(v) && Math.abs(Number(v)) <= TWO_53 ? { ok: true, value: Number(v) } : no(typeof v === 'bigint' ? 'an integer beyond 2^53 (a Double would round it)' : jsonTypeOf(v));
    case 'Bool':
      return typeof v === 'boolean' ? { ok: true, value: v } : no(jsonTypeOf(v));
    case 'VarChar': {
      if (typeof v !== 'string') return no(jsonTypeOf(v));
      const bytes = utf8Bytes(v);
      return maxLength === undefined || bytes <= maxLength ? { ok: true, value: v } : no(`a ${bytes}-byte string (max_length ${maxLength})`);
    }
    case 'Timestamptz':
      return typeof v === 'string' && !Number.isNaN(parseDatetime(v)) ? { ok: true, value: rfc3339(v) } : no(typeof v === 'string' ? 'a string that is not an ISO 8601 datetime' : jsonTypeOf(v));
    case 'Geometry': {
      const o = v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
      const lon = o?.lon, lat = o?.lat;
      return typeof lon === 'number' && typeof lat === 'number' && Object.keys(o ?? {}).length === 2
        ? { ok: true, value: `POINT (${lon} ${lat})` }
        : no(o ? 'an object that is not a {lon, lat} geo point' : jsonTypeOf(v));
    }
    default:
      return no(jsonTypeOf(v));
  }
}

/**
 * The typed value for `field`, or why `v` does not fit. `v` is never null or undefined here (an
 * absent or null key is simply a null field).
 */
export function fitValue(field: PromotedFieldPlan, v: JsonValue): Fit {
  if (field.type !== 'Array') return fitScalar(field.type, undefined, field.maxLength, v);
  if (!Array.isArray(v)) return no(`${jsonTypeOf(v)}, not an array`);
  if (field.maxCapacity !== undefined && v.length > field.maxCapacity) return no(`an array of ${v.length} elements (max_capacity ${field.maxCapacity})`);
  let out: JsonValue[] | undefined;
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as JsonValue;
    const fit = fitScalar('Element', field.elementType, field.maxLength, e);
    if (!fit.ok) return no(`an array whose element ${i} is ${fit.reason} (elements: ${field.elementType})`);
    if (fit.value !== e) (out ??= v.slice(0, i)).push(fit.value);
    else out?.push(e);
  }
  return { ok: true, value: out ?? v };
}

/**
 * Equality of the value toRows() put into a promoted field (`want`) and the one read back from the
 * target (`got`), as verify sees it: datetimes as instants (the target may answer in another zone
 * or precision), geo points by their coordinates, numbers by value whatever their JS type.
 */
export function sameStored(field: PromotedFieldPlan, want: JsonValue, got: JsonValue): boolean {
  if (want === null || got === null) return want === got;
  if (field.type === 'Timestamptz') return typeof got === 'string' && parseDatetime(got) === parseDatetime(want as string);
  if (field.type === 'Geometry') return typeof got === 'string' && sameWkt(got, want as string);
  return sameJson(want, got);
}

function sameWkt(a: string, b: string): boolean {
  const nums = (s: string) => (s.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi) ?? []).map(Number);
  const x = nums(a), y = nums(b);
  return /^\s*POINT/i.test(a) && x.length === 2 && x.length === y.length && x.every((n, i) => Math.abs(n - (y[i] as number)) <= 1e-9 * Math.max(1, Math.abs(n)));
}

/** Numbers compare by value whatever their JS type (bigint vs number from the target's codec). */
function sameJson(a: JsonValue, b: JsonValue): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    if (typeof a === typeof b) return a === b;
    return Number.isInteger(Number(a)) && Number.isInteger(Number(b)) && BigInt(a) === BigInt(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i] as JsonValue));
  return a === b;
}
