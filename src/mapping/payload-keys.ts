/**
 * What a sample of points says about each top-level payload key (PayloadKeyStats): JSON kinds,
 * share of points, longest string / array, distinct values. Pure: src/qdrant samples the points
 * and feeds them here page by page, so memory stays bounded by the keys, not by the sample.
 */
import type { JsonKind, PayloadKeyStats, QdrantPayloadIndex } from '../core/payload-schema.ts';
import type { JsonObject, JsonValue, PayloadFieldSchema } from '../core/types.ts';

/** Distinct values are counted up to here: enough to tell "low cardinality" (BITMAP) apart. */
export const DISTINCT_CAP = 1000;
/** Keys kept per collection: a payload used as a map (a key per user, per word) would flood the
 *  plan. Indexed keys are always kept; the others by how many points have them. */
export const MAX_KEYS = 256;

const INDEX_TYPES: readonly string[] = ['keyword', 'integer', 'float', 'bool', 'datetime', 'uuid', 'text', 'geo'];

/** A JSON value's kind; a number without fraction (or a bigint) is an integer. */
export function jsonKind(v: JsonValue): JsonKind {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'float';
  return Array.isArray(v) ? 'array' : 'object';
}

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

interface Acc {
  present: number;
  kinds: Partial<Record<JsonKind, number>>;
  elementKinds?: Partial<Record<JsonKind, number>>;
  maxStringBytes?: number;
  maxArrayLength?: number;
  distinct: Set<string>;
}

const bump = (m: Partial<Record<JsonKind, number>>, k: JsonKind): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Accumulates stats over payloads; call add() per point, then result(). */
export class PayloadStatsCollector {
  private readonly keys = new Map<string, Acc>();
  private sampled = 0;

  add(payload: JsonObject | undefined): void {
    this.sampled++;
    if (!payload) return;
    for (const key in payload) {
      let acc = this.keys.get(key);
      if (!acc) {
        acc = { present: 0, kinds: {}, distinct: new Set() };
        this.keys.set(key, acc);
      }
      const value = payload[key] as JsonValue;
      acc.present++;
      bump(acc.kinds, jsonKind(value));
      if (Array.isArray(value)) {
        acc.maxArrayLength = Math.max(acc.maxArrayLength ?? 0, value.length);
        acc.elementKinds ??= {};
        for (const e of value) {
          bump(acc.elementKinds, jsonKind(e));
          this.scalar(acc, e);
        }
      } else this.scalar(acc, value);
    }
  }

  private scalar(acc: Acc, v: JsonValue): void {
    if (typeof v === 'string') acc.maxStringBytes = Math.max(acc.maxStringBytes ?? 0, utf8Bytes(v));
    if (v === null || typeof v === 'object' || acc.distinct.size >= DISTINCT_CAP) return;
    acc.distinct.add(`${typeof v}:${String(v)}`);
  }

  /** One entry per key seen or indexed, indexed keys first kept, sorted by key. */
  result(schema: Record<string, PayloadFieldSchema>): PayloadKeyStats[] {
    const names = new Set([...Object.keys(schema), ...this.keys.keys()]);
    let keys = [...names];
    if (keys.length > MAX_KEYS) {
      const rank = (k: string) => (Object.hasOwn(schema, k) ? Number.MAX_SAFE_INTEGER : (this.keys.get(k)?.present ?? 0));
      keys = keys.sort((a, b) => rank(b) - rank(a)).slice(0, MAX_KEYS);
    }
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map((key) => this.stats(key, Object.hasOwn(schema, key) ? schema[key] : undefined));
  }

  private stats(key: string, index: PayloadFieldSchema | undefined): PayloadKeyStats {
    const acc = this.keys.get(key);
    const out: PayloadKeyStats = { key, present: acc?.present ?? 0, sampled: this.sampled, kinds: { ...acc?.kinds } };
    if (index && INDEX_TYPES.includes(index.dataType)) {
      out.index = {
        type: index.dataType as QdrantPayloadIndex,
        ...(index.isTenant && { isTenant: true }),
        ...(index.isPrincipal && { isPrincipal: true }),
        ...(index.points !== undefined && { points: index.points }),
      };
    }
    if (acc?.elementKinds) out.elementKinds = { ...acc.elementKinds };
    if (acc?.maxStringBytes !== undefined) out.maxStringBytes = acc.maxStringBytes;
    if (acc?.maxArrayLength !== undefined) out.maxArrayLength = acc.maxArrayLength;
    if (acc && acc.distinct.size > 0) out.distinct = acc.distinct.size;
    return out;
  }

  /** Keys seen so far (for tests and the sampler's early stop). */
  get size(): number {
    return this.keys.size;
  }
}

/** Stats of a list of payloads at once (tests, small samples). */
export function payloadKeyStats(payloads: Array<JsonObject | undefined>, schema: Record<string, PayloadFieldSchema> = {}): PayloadKeyStats[] {
  const c = new PayloadStatsCollector();
  for (const p of payloads) c.add(p);
  return c.result(schema);
}
