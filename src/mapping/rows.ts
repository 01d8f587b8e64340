/**
 * toRows(): Qdrant points → Milvus rows, per the plan. Pure and on the hot path: everything that
 * depends only on the plan is computed once in makeRowMapper(), and the per-point work allocates
 * only the row itself (plus copies of payloads that really change).
 */
import type { CollectionPlan, JsonObject, JsonValue, Point, RejectedPoint, Row, VectorValue } from '../core/types.ts';
import { getOwn, setOwn } from '../core/own.ts';
import { PackedPoint, PackedRow, packedPayloadOf } from '../core/packed-payload.ts';
import { isMultiVector, isSparseVector } from '../core/vector-kind.ts';
import { DYNAMIC_FIELD, clashFreeKey } from './names.ts';
import { MAX_JSON_BYTES, dropNullKeys, oversizeBytes, setKey, type WalkState } from './payload.ts';
import { RAW_SUFFIX, extractScalars, promotedKeys, typeScalars } from './scalars.ts';
import { TranscodedPayload, editKeys, renameKeys, valueEnd, type Appended } from '../transcode/payload-bytes.ts';

export interface ToRowsStats {
  /** Null-valued payload keys removed (at any depth). */
  nullsDropped: number;
  /**
   * Payload keys moved because they equal a schema field name: original → new. When one point's own
   * keys force a further suffix (`payload_id_2`), the first name seen for that key is kept here.
   */
  renamedKeys: Record<string, string>;
  /** Payload keys moved, over all points (one point can move several). */
  renamedCount: number;
  /** Promoted values that did not fit their field under the `null` policy: the field got null,
   *  the value went to `<key>__raw` in the dynamic field (issue 10). */
  mismatchNulled: number;
}

export interface ToRowsResult {
  /** In input order, rejected points left out. */
  rows: Row[];
  /** Points that cannot be written: codes MISSING_VECTOR, VECTOR_INVALID, ID_UNFIT, PAYLOAD_TOO_LARGE,
   *  PAYLOAD_TYPE_MISMATCH (a promoted key's value does not fit, policy reject). */
  rejected: RejectedPoint[];
  stats: ToRowsStats;
}

export interface RowMapper {
  readonly plan: CollectionPlan;
  /** toRows() for this mapper's plan. */
  toRows(points: Point[]): ToRowsResult;
}

type Kind = 'dense' | 'sparse' | 'multi';
interface VectorSlot {
  source: string;
  field: string;
  kind: Kind;
  dim: number | undefined;
  nullable: boolean;
  /** What a point lacking this vector gets: null (nullable field), an empty sparse vector, or nothing (rejected). */
  absent: VectorValue | null | undefined;
}

/** An absent sparse vector, written where the target takes it: it scores like an absent one. */
const EMPTY_SPARSE: VectorValue = Object.freeze({ indices: Object.freeze([]) as unknown as number[], values: Object.freeze([]) as unknown as number[] });

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Precomputes everything toRows() needs from one plan. The pipeline makes one per collection and
 * calls `toRows` per page. The plan must not change afterwards (plans are immutable once checked).
 */
export function makeRowMapper(plan: CollectionPlan): RowMapper {
  const slots: VectorSlot[] = plan.vectors.map((v) => ({
    source: v.source,
    field: v.field,
    kind: v.type === 'SparseFloatVector' ? 'sparse' : v.type === 'ArrayOfStructFloatVector' ? 'multi' : 'dense',
    dim: v.dim,
    nullable: v.nullable,
    absent: v.nullable ? null : v.missingAsEmpty === true && v.type === 'SparseFloatVector' ? EMPTY_SPARSE : undefined,
  }));
  const promoted = promotedKeys(plan);
  /** Promoted key → its index in `promoted` (the byte path finds a payload's promoted keys by it). */
  const promotedIndex = new Map(promoted.map((k, j) => [k.key, j]));
  // Promoted fields are schema fields too: a dynamic key of the same name must move.
  const fieldNames = [plan.primaryKey.field, ...plan.vectors.map((v) => v.field), DYNAMIC_FIELD, ...promoted.map((p) => p.field.name)];
  const fieldSet = new Set(fieldNames);
  const planned = new Map(fieldNames.map((f) => [f, clashFreeKey(f, (n) => fieldSet.has(n))]));
  const int64 = plan.primaryKey.type === 'Int64';
  // Renaming lengthens keys (`payload_` + suffix); the size bound must allow for it.
  const renameSlack = fieldNames.reduce((n, f) => n + (f.length + 16) * 6, 0);

  /** New name of clashing key `key` in `payload`: the plan's, unless this payload already uses it. */
  const renameOf = (key: string, payload: JsonObject): string => {
    const name = planned.get(key) as string;
    return Object.hasOwn(payload, name) ? clashFreeKey(key, (n) => fieldSet.has(n) || Object.hasOwn(payload, n)) : name;
  };

  const moveClashingKeys = (payload: JsonObject, stats: ToRowsStats): JsonObject => {
    let hit = false;
    for (const f of fieldNames) if (Object.hasOwn(payload, f)) hit = true;
    if (!hit) return payload;
    const out: JsonObject = {};
    for (const key in payload) {
      const value = payload[key] as JsonValue;
      if (!fieldSet.has(key)) {
        setKey(out, key, value);
        continue;
      }
      const to = renameOf(key, payload);
      stats.renamedCount++;
      if (!Object.hasOwn(stats.renamedKeys, key)) setOwn(stats.renamedKeys, key, to);
      setKey(out, to, value);
    }
    return out;
  };

  /** The transcoded payload with clashing keys renamed, on the bytes (the same names as moveClashingKeys). */
  const mapBytes = (packed: TranscodedPayload, stats: ToRowsStats): TranscodedPayload => {
    const { keys } = packed;
    let names: Array<string | undefined> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!fieldSet.has(key)) continue;
      const name = planned.get(key) as string;
      const to = keys.includes(name) ? clashFreeKey(key, (n) => fieldSet.has(n) || keys.includes(n)) : name;
      (names ??= new Array<string | undefined>(keys.length).fill(undefined))[i] = to;
      stats.renamedCount++;
      if (!Object.hasOwn(stats.renamedKeys, key)) setOwn(stats.renamedKeys, key, to);
    }
    return names === undefined ? packed : renameKeys(packed, names);
  };

  /** The dynamic field of a payload, as the rules below make it (a MappedPackedRow's, when read). */
  const mapPayload = (payload: JsonObject, id: Point['id']): JsonObject => {
    const stats: ToRowsStats = { nullsDropped: 0, renamedKeys: {}, renamedCount: 0, mismatchNulled: 0 };
    if (promoted.length > 0) {
      const split = extractScalars(promoted, payload, id);
      // The bytes were mapped, so the same rules did not reject this payload.
      if (!('rejected' in split)) payload = split.dynamic;
    }
    return moveClashingKeys(dropNullKeys(payload, { nulls: 0, bigint: false, bound: 0 }), stats);
  };

  /**
   * A transcoded payload with nothing promoted: its bytes kept, clashing keys renamed on them, the
   * null-valued keys the transcoder left out counted.
   */
  const mapPlainBytes = (p: Point, packed: TranscodedPayload, id: Row['id'], vectors: Row['vectors'], out: ToRowsResult, walk: WalkState): void => {
    const mapped = mapBytes(packed, out.stats);
    // Counted before the size check, as dropNullKeys counts a payload the check then rejects.
    walk.nulls += mapped.nulls;
    const size = mapped.json.length;
    if (size > MAX_JSON_BYTES) return reject(out, p, 'PAYLOAD_TOO_LARGE', `payload is ${size} bytes as JSON; Milvus holds at most ${MAX_JSON_BYTES} bytes per row.`);
    if (mapped === packed && mapped.nulls === 0) out.rows.push(new PackedRow(id, vectors, p, packed));
    else out.rows.push(new MappedPackedRow(id, vectors, p, mapped, mapPayload));
  };

  /**
   * A transcoded payload with promoted keys, on the bytes: each promoted key's value is decoded
   * alone from its protobuf entry and typed by typeScalars() (extractScalars' rules: the same
   * scalars, rejections and values set aside); the promoted keys' text is cut out of the JSON and
   * each value set aside is appended as `<key>__raw` with its text, as extractScalars adds it to the
   * object. The null-valued keys counted are the rest's: the transcoder's count less the promoted
   * keys that were null (extractScalars takes those out before nulls are counted). Returns false,
   * having done nothing, when the object path must decide: a value set aside under a name the
   * payload already has (extractScalars then overwrites that key in place, or re-adds a promoted one).
   */
  const mapPromotedBytes = (p: Point, packed: TranscodedPayload, id: Row['id'], vectors: Row['vectors'], out: ToRowsResult, walk: WalkState): boolean => {
    const { keys, entryAt, dropped } = packed;
    const values = new Array<JsonValue | undefined>(promoted.length).fill(undefined);
    // Per promoted key, its index in `keys` (-1: not among them).
    const at = new Array<number>(promoted.length).fill(-1);
    let remove: boolean[] | undefined;
    let nulls = packed.nulls;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const j = promotedIndex.get(key);
      if (j === undefined) continue;
      values[j] = p instanceof PackedPoint && entryAt ? PackedPoint.entryValue(p, key, entryAt[2 * i]!, entryAt[2 * i + 1]!) : getOwn(p.payload, key);
      at[j] = i;
      (remove ??= new Array<boolean>(keys.length).fill(false))[i] = true;
    }
    if (dropped) {
      for (const key of dropped) {
        const j = promotedIndex.get(key);
        if (j === undefined) continue;
        values[j] = null;
        nulls--;
      }
    }
    const typed = typeScalars(promoted, values, p.id);
    if ('rejected' in typed) {
      reject(out, p, typed.rejected.code, typed.rejected.reason);
      return true;
    }
    const { scalars, raws } = typed;
    let append: Appended[] | undefined;
    if (raws) {
      for (const [name] of raws) if (keys.includes(name) || dropped?.includes(name) || promotedIndex.has(name)) return false;
      append = raws.map(([name]) => {
        const i = at[promotedIndex.get(name.slice(0, -RAW_SUFFIX.length))!]!;
        return { name, from: packed.keyAt[2 * i + 1]!, to: valueEnd(packed, i) };
      });
    }
    // The transcoder's count stays right for what is left: a value that fits a field holds no
    // null-valued key (no field type takes an object with one, nor a list of objects), and a value
    // set aside keeps its nulls left out, as dropNullKeys leaves them out of `<key>__raw`.
    // Only null promoted keys (left out already): the same bytes, fewer nulls to count.
    const edited = remove || append ? editKeys(packed, remove ?? [], append ?? [], nulls)
      : nulls === packed.nulls ? packed : new TranscodedPayload(packed.json, packed.keys, packed.keyAt, nulls);
    const mapped = mapBytes(edited, out.stats);
    walk.nulls += mapped.nulls;
    out.stats.mismatchNulled += raws?.length ?? 0;
    const size = mapped.json.length;
    if (size > MAX_JSON_BYTES) {
      reject(out, p, 'PAYLOAD_TOO_LARGE', `payload is ${size} bytes as JSON; Milvus holds at most ${MAX_JSON_BYTES} bytes per row.`);
      return true;
    }
    out.rows.push(new MappedPackedRow(id, vectors, p, mapped, mapPayload, scalars));
    return true;
  };

  const mapPoint = (p: Point, out: ToRowsResult, walk: WalkState): void => {
    const id = convertId(p.id, int64);
    if (id === undefined) return reject(out, p, 'ID_UNFIT', `id ${String(p.id)} does not fit the Int64 primary key "${plan.primaryKey.field}" (Int64 holds integers up to ${INT64_MAX}).`);
    const vectors: Record<string, VectorValue | null> = {};
    for (const s of slots) {
      const v = getOwn(p.vectors, s.source);
      if (v === undefined) {
        if (s.absent === undefined) return reject(out, p, 'MISSING_VECTOR', `lacks ${label(s)}, and field "${s.field}" cannot hold null (policy: skip point).`);
        setOwn(vectors, s.field, s.absent);
        continue;
      }
      const bad = shapeError(v, s);
      if (bad) return reject(out, p, 'VECTOR_INVALID', `${label(s)}: ${bad}.`);
      setOwn(vectors, s.field, v);
    }
    // A payload the transcoder already wrote as JSON (src/transcode) keeps those bytes: the
    // transcoder left its null-valued keys out (counted here), keys that clash with a field are
    // renamed on the bytes, and promoted keys are read from the bytes and cut out of them.
    // Otherwise the rules below, as for any payload. Only the transcoder's payloads say where their
    // keys are and what they left out, so any other packed form takes the rules below (its keys
    // would go unrenamed here).
    const packed = packedPayloadOf(p);
    if (packed instanceof TranscodedPayload) {
      if (promoted.length === 0) return mapPlainBytes(p, packed, id, vectors, out, walk);
      if (mapPromotedBytes(p, packed, id, vectors, out, walk)) return;
    }
    let payload = p.payload;
    let scalars: Row['scalars'];
    if (promoted.length > 0) {
      const split = extractScalars(promoted, payload, p.id);
      if ('rejected' in split) return reject(out, p, split.rejected.code, split.rejected.reason);
      payload = split.dynamic;
      scalars = split.scalars;
      out.stats.mismatchNulled += split.nulled;
    }
    walk.bigint = false;
    walk.bound = 0;
    const dynamic = moveClashingKeys(dropNullKeys(payload, walk), out.stats);
    const size = oversizeBytes(dynamic, walk, renameSlack);
    if (size > 0) return reject(out, p, 'PAYLOAD_TOO_LARGE', `payload is ${size} bytes as JSON; Milvus holds at most ${MAX_JSON_BYTES} bytes per row.`);
    out.rows.push(scalars ? { id, vectors, dynamic, scalars } : { id, vectors, dynamic });
  };

  const toRows = (points: Point[]): ToRowsResult => {
    const out: ToRowsResult = { rows: [], rejected: [], stats: { nullsDropped: 0, renamedKeys: {}, renamedCount: 0, mismatchNulled: 0 } };
    const walk: WalkState = { nulls: 0, bigint: false, bound: 0 };
    for (let i = 0; i < points.length; i++) mapPoint(points[i] as Point, out, walk);
    out.stats.nullsDropped = walk.nulls;
    return out;
  };

  return { plan, toRows };
}

/**
 * A PackedRow whose bytes are the payload after mapping's rules (null-valued keys left out, clashing
 * keys renamed): its `dynamic`, when something reads it, is that mapped payload, made from the
 * point's by the same rules, never the source payload itself.
 */
class MappedPackedRow extends PackedRow {
  #mapped: JsonObject | undefined;
  #point: Point;
  #map: (payload: JsonObject, id: Point['id']) => JsonObject;
  /** Set only when the plan promotes keys (Row.scalars is absent otherwise). */
  declare scalars?: Record<string, JsonValue>;

  constructor(id: Row['id'], vectors: Row['vectors'], point: Point, packed: TranscodedPayload, map: (payload: JsonObject, id: Point['id']) => JsonObject, scalars?: Record<string, JsonValue>) {
    super(id, vectors, point, packed);
    this.#point = point;
    this.#map = map;
    if (scalars) this.scalars = scalars;
  }

  override get dynamic(): JsonObject {
    return (this.#mapped ??= this.#map(this.#point.payload, this.#point.id));
  }

  override set dynamic(value: JsonObject) {
    super.dynamic = value;
    this.#mapped = value;
  }
}

const mappers = new WeakMap<CollectionPlan, RowMapper>();

/**
 * Turns one page of points into rows. Called by the pipeline per page, between read and write.
 * Outcomes: a row per accepted point (in order); a rejection per point that cannot be written
 * (logged to the job's error log; the job goes on); stats for the job's report. Never throws for
 * bad data. Reuses one mapper per plan object, so calling it per page costs no re-planning.
 */
export function toRows(plan: CollectionPlan, points: Point[]): ToRowsResult {
  let mapper = mappers.get(plan);
  if (mapper === undefined) {
    mapper = makeRowMapper(plan);
    mappers.set(plan, mapper);
  }
  return mapper.toRows(points);
}

/** Int64 plans: the bigint itself (undefined when it cannot be held). VarChar: UUIDs as they are, integers in decimal. */
function convertId(id: bigint | string, int64: boolean): bigint | string | undefined {
  if (!int64) return typeof id === 'bigint' ? id.toString() : id;
  return typeof id === 'bigint' && id >= 0n && id <= INT64_MAX ? id : undefined;
}

/** Cheap structural check (no per-element scan): the wrong kind or dimension would fail the whole batch at the target. */
function shapeError(v: VectorValue, s: VectorSlot): string | null {
  if (s.kind === 'sparse') {
    if (!isSparseVector(v)) return 'expected a sparse vector, got a dense one';
    return v.indices.length === v.values.length ? null : `sparse indices (${v.indices.length}) and values (${v.values.length}) differ in length`;
  }
  // A dense vector read over gRPC is a Float32Array (the transcoder's packed bytes): passed through as is.
  if (isSparseVector(v)) return `expected a ${s.kind} vector, got a sparse one`;
  const multi = isMultiVector(v);
  if (s.kind === 'multi') {
    if (v.length === 0) return 'the multivector is empty';
    if (!multi) return 'expected a multivector, got a dense vector';
    return (v[0] as number[]).length === s.dim ? null : `has ${(v[0] as number[]).length} dimensions, the field has ${s.dim}`;
  }
  if (multi) return 'expected a dense vector, got a multivector';
  return v.length === s.dim ? null : `has ${v.length} dimensions, the field has ${s.dim}`;
}

function label(s: VectorSlot): string {
  return s.source === '' ? 'the unnamed vector' : `vector "${s.source}"`;
}

function reject(out: ToRowsResult, p: Point, code: string, reason: string): void {
  const id = String(p.id);
  out.rejected.push({ id, code, message: `Point ${id}: ${reason}` });
}
