/**
 * Promotion of one payload key to a typed Milvus field: which scalar type (the table in issue 10
 * and docs/mapping.md), its length / capacity from the sample, and its index. Pure; reads only
 * the key's stats and the probed ScalarCapabilities.
 */
import type {
  ArrayElementType, JsonCastType, PayloadKeyStats, QdrantPayloadIndex, ScalarCapabilities, ScalarFieldType, ScalarIndexPlan,
} from '../core/payload-schema.ts';

/** Milvus limits: VarChar max_length, Array max_capacity. */
export const MAX_VARCHAR = 65535;
export const MAX_CAPACITY = 4096;
/** A UUID in its canonical text form. */
export const UUID_LENGTH = 36;
/** VarChar length when the sample saw no string (an indexed key no sampled point had). */
const DEFAULT_VARCHAR = 256;
/** Timestamps as ISO 8601 text (VarChar fallback): `2024-01-02T03:04:05.123456789+05:30` is 35. */
const DATETIME_VARCHAR = 64;
/** BITMAP pays off below a few hundred distinct values; a sample undercounts them, so stay well below. */
const BITMAP_MAX_DISTINCT = 64;
const BITMAP_MAX_BYTES = 128;

/** What the source holds under a key, as one type: the Qdrant index type, or inferred from the sample. */
export interface SourceShape {
  /** Scalar kind ('object': a nested object, never promotable; null: nothing seen). */
  base: QdrantPayloadIndex | 'object' | null;
  /** The values are arrays of `base`. */
  array: boolean;
}

const count = (m: Partial<Record<string, number>> | undefined, k: string): number => m?.[k] ?? 0;

/** Kind of scalar values by the sample: strings → keyword, integers (+ floats) → integer (float). */
function inferScalar(kinds: Partial<Record<string, number>> | undefined): QdrantPayloadIndex | 'object' | null {
  const s = count(kinds, 'string'), i = count(kinds, 'integer'), f = count(kinds, 'float'), b = count(kinds, 'bool'), o = count(kinds, 'object');
  const best = Math.max(s, i + f, b, o);
  if (best === 0) return null;
  if (best === i + f) return f > 0 ? 'float' : 'integer';
  if (best === s) return 'keyword';
  return best === b ? 'bool' : 'object';
}

/**
 * The type a key's values have: the Qdrant index type (it says what the user filters on), else the
 * majority kind of the sample (the other values then meet the field's mismatch policy). Arrays win
 * when most values are arrays; their element kind is inferred the same way.
 */
export function sourceShape(stats: PayloadKeyStats): SourceShape {
  const arrays = count(stats.kinds, 'array');
  const scalars = stats.present - arrays - count(stats.kinds, 'null');
  const array = arrays > scalars;
  if (stats.index) {
    // Qdrant indexes integer/float arrays as integers and floats; the element kind says which fits.
    return { base: stats.index.type, array };
  }
  return { base: inferScalar(array ? stats.elementKinds : stats.kinds), array };
}

/** Power of two at or above 1.5 × n, within [min, max]: room for values longer than the sample's. */
export function headroom(n: number | undefined, min: number, max: number, fallback: number): number {
  if (n === undefined || n <= 0) return Math.min(fallback, max);
  let p = 1;
  while (p < Math.ceil(n * 1.5)) p *= 2;
  return Math.min(Math.max(p, min), max);
}

export interface FieldType {
  type: ScalarFieldType;
  elementType?: ArrayElementType;
  maxLength?: number;
  maxCapacity?: number;
  /** Text index and the target has analyzers: VarChar with analyzer + enable_match. */
  textMatch?: boolean;
  /** Why it is not the obvious type (a fallback). */
  note?: string;
}

const ELEMENT: Partial<Record<QdrantPayloadIndex, ArrayElementType>> = {
  keyword: 'VarChar', uuid: 'VarChar', text: 'VarChar', datetime: 'VarChar', integer: 'Int64', float: 'Double', bool: 'Bool',
};

/**
 * The promotion table. Returns a reason string when the key cannot be a field on this target
 * (geo without Geometry, nested objects, arrays of objects): the key then stays dynamic.
 */
export function fieldTypeFor(shape: SourceShape, stats: PayloadKeyStats, caps: ScalarCapabilities): FieldType | string {
  const { base } = shape;
  if (base === null) return 'no sampled point has a value under this key, so its type is unknown (set "field.type" in the plan file)';
  if (base === 'object') return 'its values are JSON objects, which have no scalar field type (they stay in the dynamic field, where JSON path filters reach them)';
  const varchar = (fallback: number) => headroom(stats.maxStringBytes, 64, MAX_VARCHAR, fallback);
  if (shape.array) {
    if (base === 'geo') return 'its values are arrays of geo points, which have no Milvus field type';
    const elementType = ELEMENT[base] as ArrayElementType;
    const maxCapacity = headroom(stats.maxArrayLength, 8, MAX_CAPACITY, 64);
    return { type: 'Array', elementType, maxCapacity, ...(elementType === 'VarChar' && { maxLength: base === 'uuid' ? UUID_LENGTH : varchar(DEFAULT_VARCHAR) }) };
  }
  switch (base) {
    case 'keyword': return { type: 'VarChar', maxLength: varchar(DEFAULT_VARCHAR) };
    case 'uuid': return { type: 'VarChar', maxLength: UUID_LENGTH };
    case 'integer': return { type: 'Int64' };
    case 'float': return { type: 'Double' };
    case 'bool': return { type: 'Bool' };
    case 'datetime':
      return caps.types.includes('Timestamptz')
        ? { type: 'Timestamptz' }
        : { type: 'VarChar', maxLength: varchar(DATETIME_VARCHAR), note: 'the target has no Timestamptz: kept as ISO 8601 text in a VarChar' };
    case 'text':
      return caps.textMatch
        ? { type: 'VarChar', maxLength: varchar(DEFAULT_VARCHAR * 4), textMatch: true }
        : { type: 'VarChar', maxLength: varchar(DEFAULT_VARCHAR * 4), note: 'the target has no analyzer / text match: a plain VarChar (full-text filters of Qdrant are not carried)' };
    case 'geo':
      return caps.types.includes('Geometry') ? { type: 'Geometry' } : 'the target has no Geometry field type (Milvus 2.6+); the geo point stays in the dynamic field';
  }
}

/** The index that serves the filters Qdrant's index served; see docs/mapping.md for why each. */
export function chooseIndex(ft: FieldType, stats: PayloadKeyStats, caps: ScalarCapabilities, partitionKey: boolean): ScalarIndexPlan | null {
  const accepted = caps.indexTypes[ft.type] ?? [];
  const pick = (...types: string[]): ScalarIndexPlan | null => {
    const t = types.find((x) => accepted.includes(x));
    return t === undefined ? null : { type: t };
  };
  // Few distinct short values, each repeated: categories, tenants, states (not free text).
  const lowCardinality = stats.distinct !== undefined && stats.distinct <= BITMAP_MAX_DISTINCT && stats.present >= stats.distinct * 4
    && (stats.maxStringBytes ?? 0) <= BITMAP_MAX_BYTES;
  switch (ft.type) {
    case 'Bool': return pick('BITMAP', 'INVERTED');
    case 'Int64': case 'Double': case 'Timestamptz': return pick('STL_SORT', 'INVERTED');
    case 'VarChar': return !ft.textMatch && !partitionKey && lowCardinality ? pick('BITMAP', 'INVERTED') : pick('INVERTED');
    case 'Geometry': return pick('RTREE');
    case 'Array': return pick('INVERTED');
  }
}

/** JSON path index cast type for a Qdrant index kept in `$meta` (null: none fits, e.g. geo). */
export function castTypeFor(shape: SourceShape): JsonCastType | null {
  const { base } = shape;
  if (base === null || base === 'object' || base === 'geo') return null;
  const scalar: JsonCastType = base === 'integer' || base === 'float' ? 'DOUBLE' : base === 'bool' ? 'BOOL' : 'VARCHAR';
  return shape.array ? (`ARRAY_${scalar}` as JsonCastType) : scalar;
}

/** Default text-match analyzer: Milvus's `standard` (lowercasing word tokenizer), the nearest to
 *  Qdrant's default `word` tokenizer with `lowercase: true`. */
export const DEFAULT_ANALYZER = { params: { type: 'standard' } };
