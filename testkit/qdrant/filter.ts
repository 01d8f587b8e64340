/**
 * Qdrant filters evaluated against one point: must / should / must_not / min_should, and the
 * conditions a migrator (or its tests) uses: field match (value / any / except / text), range
 * (numbers, or RFC 3339 datetimes), values_count, is_empty, is_null, has_id, has_vector, nested.
 * Geo conditions are not modelled (they answer 400).
 */
import type { JsonObject, JsonValue, PointId } from '../../src/core/types.ts';
import { formatError, validationError, wrongInput } from './errors.ts';
import { parsePointId } from './ids.ts';
import { rawValuesAt, valuesAt } from './payload.ts';

type OneOrMany<T> = T | T[];
export interface Filter {
  must?: OneOrMany<Condition> | null;
  should?: OneOrMany<Condition> | null;
  must_not?: OneOrMany<Condition> | null;
  min_should?: { conditions: Condition[]; min_count: number } | null;
}
export type Condition = Record<string, unknown>;

/** What a filter can see of a point. */
export interface FilterTarget {
  id: PointId;
  payload: JsonObject;
  hasVector(name: string): boolean;
}

type Bound = number | bigint | string | null | undefined;
interface RangeSpec {
  gt?: Bound;
  gte?: Bound;
  lt?: Bound;
  lte?: Bound;
}

function list<T>(v: OneOrMany<T> | null | undefined): T[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function isNumeric(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Equality for match values: integers compare exactly whether they arrived as number or bigint. */
function sameValue(a: JsonValue, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b) && typeof a !== typeof b) {
    const isInt = (v: number | bigint) => typeof v === 'bigint' || Number.isInteger(v);
    return isInt(a) && isInt(b) ? BigInt(a) === BigInt(b) : Number(a) === Number(b);
  }
  return a === b;
}

function inRange(value: JsonValue, range: RangeSpec): boolean {
  const isDate = [range.gt, range.gte, range.lt, range.lte].some((b) => typeof b === 'string');
  let v: number;
  if (isDate) {
    if (typeof value !== 'string') return false;
    v = Date.parse(value);
  } else if (isNumeric(value)) v = Number(value);
  else return false;
  if (Number.isNaN(v)) return false;
  const num = (b: Bound) => (typeof b === 'string' ? Date.parse(b) : Number(b));
  if (range.gt != null && !(v > num(range.gt))) return false;
  if (range.gte != null && !(v >= num(range.gte))) return false;
  if (range.lt != null && !(v < num(range.lt))) return false;
  if (range.lte != null && !(v <= num(range.lte))) return false;
  return true;
}

function matches(values: JsonValue[], match: Record<string, unknown>): boolean {
  if ('value' in match) return values.some((v) => sameValue(v, match.value));
  if ('any' in match) return values.some((v) => list(match.any as unknown[]).some((m) => sameValue(v, m)));
  // Qdrant (query_checker.rs): a field condition on a point without the field is false unless it
  // is is_empty / is_null, so `except` matches only points that hold a value outside the list.
  if ('except' in match) {
    return values.some((v) => !list(match.except as unknown[]).some((m) => sameValue(v, m)));
  }
  const text = match.text ?? match.phrase;
  if (typeof text === 'string') return values.some((v) => typeof v === 'string' && v.includes(text));
  if (typeof match.text_any === 'string') {
    const words = match.text_any.split(/\s+/).filter(Boolean);
    return values.some((v) => typeof v === 'string' && words.some((w) => v.includes(w)));
  }
  throw formatError('data did not match any variant of untagged enum Match');
}

function checkField(payload: JsonObject, c: Condition): boolean {
  const key = c.key as string;
  if (c.match !== undefined && c.match !== null) return matches(valuesAt(payload, key), c.match as Record<string, unknown>);
  if (c.range !== undefined && c.range !== null) return valuesAt(payload, key).some((v) => inRange(v, c.range as RangeSpec));
  if (c.values_count !== undefined && c.values_count !== null) {
    return inRange(valuesAt(payload, key).length, c.values_count as RangeSpec);
  }
  if (c.is_empty !== undefined && c.is_empty !== null) return isEmpty(payload, key) === c.is_empty;
  if (c.is_null !== undefined && c.is_null !== null) return isNull(payload, key) === c.is_null;
  if (c.geo_bounding_box || c.geo_radius || c.geo_polygon) throw wrongInput('geo conditions are not supported by the qdrant testkit');
  throw validationError(`key: At least one field condition must be specified`);
}

function isEmpty(payload: JsonObject, key: string): boolean {
  return rawValuesAt(payload, key).every((v) => v === null || (Array.isArray(v) && v.length === 0));
}

function isNull(payload: JsonObject, key: string): boolean {
  return rawValuesAt(payload, key).some((v) => v === null);
}

// Parsed has_id sets, per condition object, so a scan over a million points parses them once.
const hasIdCache = new WeakMap<Condition, Set<PointId>>();
function hasIdSet(c: Condition): Set<PointId> {
  let ids = hasIdCache.get(c);
  if (!ids) {
    ids = new Set<PointId>(list(c.has_id as unknown[]).map(parsePointId));
    hasIdCache.set(c, ids);
  }
  return ids;
}

function checkCondition(target: FilterTarget, c: Condition): boolean {
  if (typeof c !== 'object' || c === null) throw formatError('data did not match any variant of untagged enum Condition');
  if ('key' in c) return checkField(target.payload, c);
  if ('is_empty' in c) return isEmpty(target.payload, (c.is_empty as { key: string }).key);
  if ('is_null' in c) return isNull(target.payload, (c.is_null as { key: string }).key);
  if ('has_id' in c) return hasIdSet(c).has(target.id);
  if ('has_vector' in c) return target.hasVector(String(c.has_vector));
  if ('nested' in c) {
    const { key, filter } = c.nested as { key: string; filter: Filter };
    return valuesAt(target.payload, key).some(
      (item) =>
        typeof item === 'object' && item !== null && !Array.isArray(item) &&
        matchesFilter({ id: target.id, payload: item, hasVector: () => false }, filter),
    );
  }
  if ('must' in c || 'should' in c || 'must_not' in c || 'min_should' in c) return matchesFilter(target, c as Filter);
  throw formatError('data did not match any variant of untagged enum Condition');
}

/** True when the point satisfies the filter; a null or absent filter matches everything. */
export function matchesFilter(target: FilterTarget, filter: Filter | null | undefined): boolean {
  if (!filter) return true;
  if (!list(filter.must).every((c) => checkCondition(target, c))) return false;
  if (list(filter.must_not).some((c) => checkCondition(target, c))) return false;
  const should = list(filter.should);
  if (should.length > 0 && !should.some((c) => checkCondition(target, c))) return false;
  if (filter.min_should) {
    const { conditions, min_count } = filter.min_should;
    let hits = 0;
    for (const c of conditions) if (checkCondition(target, c) && ++hits >= min_count) break;
    if (hits < min_count) return false;
  }
  return true;
}
