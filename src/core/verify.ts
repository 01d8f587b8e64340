/**
 * Proof at the end: the target holds what the source held.
 *
 * Counts always: target count must equal source count minus the points the migration rejected
 * (and reported by id). On request, content: N points are read from the source, mapped with the
 * same toRows() the migration used, fetched from the target by primary key and compared field by
 * field — float32 exactly (after rounding both sides to float32), float16 within half precision,
 * sparse vectors index by index, payloads deep-equal after the null policy.
 */
import { diffScalars } from './compare-scalars.ts';
import type { Sink, SourceReader } from './contracts.ts';
import { UNNAMED_VECTOR, type CollectionPlan, type DenseVector, type Problem, type JsonValue, type Row, type VectorFieldPlan, type VectorValue } from './types.ts';
import { isMultiVector, isSparseVector } from './vector-kind.ts';
import { toRows } from '../mapping/rows.ts';
import { configError } from './errors.ts';
import { formatProblem } from './planning.ts';
import { getOwn, setOwn } from './own.ts';

export interface Mismatch {
  id: string;
  /** What differs: `missing`, `vector:<field>`, `payload`, `extra`. */
  what: string;
  detail: string;
}

export interface CountCheck {
  source: string;
  target: string;
  sourceCount: number;
  targetCount: number;
  /** Points deliberately not written (rejected and reported). */
  rejectedCount: number;
  countsMatch: boolean;
}

export interface SampleCheck {
  /** Points compared (rejected points are checked for absence, not counted here). */
  checked: number;
  mismatches: Mismatch[];
}

export async function checkCounts(
  plan: CollectionPlan,
  reader: SourceReader,
  sink: Sink,
  rejectedCount = 0,
): Promise<CountCheck> {
  const [sourceCount, targetCount] = await Promise.all([reader.count(plan.source), sink.count(plan.target)]);
  return {
    source: plan.source,
    target: plan.target,
    sourceCount,
    targetCount,
    rejectedCount,
    countsMatch: targetCount === sourceCount - rejectedCount,
  };
}

/**
 * Refuses a verify that cannot mean anything, before reading any data: a plan with errors (it
 * would compare against collections the migration refused to create) and targets that do not exist
 * (LoadCollection on them fails with a target error that names neither the cause nor the fix).
 */
export async function assertVerifiable(plans: CollectionPlan[], problems: Problem[], sink: Sink): Promise<void> {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw configError(
      'PLAN_HAS_ERRORS',
      `The plan has ${errors.length} error(s), so these collections were never migrated as planned:\n${errors.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      'Verify with the same flags or plan file the migration used (e.g. --missing-vector skip), or fix each error as its line says and migrate first.',
    );
  }
  const existing = new Set(await sink.listCollections());
  const missing = plans.filter((p) => !existing.has(p.target));
  if (missing.length > 0) {
    throw configError(
      'TARGET_COLLECTION_NOT_FOUND',
      `Target collection${missing.length > 1 ? 's' : ''} ${missing.map((p) => `"${p.target}" (from "${p.source}")`).join(', ')} not found in the target database: nothing to verify.`,
      'Migrate first (qdrant2milvus migrate), or name the target the migration used ("target" in the plan file).',
    );
  }
}

/**
 * Source vectors whose absence makes toRows() skip a point under this plan (non-nullable fields
 * with `missingVector: skip`). Asked of toRows() itself, one synthetic point per vector, so this
 * follows whatever rule toRows applies (e.g. if an absent sparse vector is ever written as empty).
 */
export function skippingVectors(plan: CollectionPlan): string[] {
  if (plan.policies.missingVector !== 'skip') return [];
  const full: Record<string, VectorValue> = {};
  for (const v of plan.vectors) setOwn(full, v.source, sampleVector(v));
  const out: string[] = [];
  for (const v of plan.vectors) {
    const vectors = { ...full };
    delete vectors[v.source];
    const point = { id: plan.primaryKey.type === 'Int64' ? 1n : '1', vectors, payload: {} };
    if (toRows(plan, [point]).rejected.some((r) => r.code === 'MISSING_VECTOR')) out.push(v.source);
  }
  return out;
}

function sampleVector(v: VectorFieldPlan): VectorValue {
  if (v.type === 'SparseFloatVector') return { indices: [1], values: [0.5] };
  const dense = Array.from({ length: v.dim ?? 2 }, () => 0.5);
  return v.type === 'ArrayOfStructFloatVector' ? [dense] : dense;
}

/**
 * Points of the source that this plan's policy leaves out, counted at the source with the same
 * has_vector filters plan() used: what a standalone `verify` expects the target to lack (`migrate`
 * knows its own rejected count; a later `verify` has to recount).
 */
export async function expectedSkips(plan: CollectionPlan, reader: SourceReader): Promise<number> {
  // Qdrant requires the unnamed vector on every point: only named vectors can be absent.
  return reader.countLacking(plan.source, skippingVectors(plan).filter((s) => s !== UNNAMED_VECTOR));
}

/**
 * Compares `sample` points (all of them when sample >= source count). Points are picked evenly
 * through one scroll, with O(page) memory whatever the collection size.
 */
export async function checkSample(
  plan: CollectionPlan,
  reader: SourceReader,
  sink: Sink,
  options: { sample: number; sourceCount: number; pageSize?: number; signal?: AbortSignal; maxMismatches?: number },
): Promise<SampleCheck> {
  const { sample, sourceCount } = options;
  const maxMismatches = options.maxMismatches ?? 1000;
  const result: SampleCheck = { checked: 0, mismatches: [] };
  if (sample <= 0 || sourceCount === 0) return result;
  // Take every k-th point so that the sample spans the whole id space.
  const stride = Math.max(1, Math.floor(sourceCount / sample));
  let seen = 0;
  for await (const page of reader.read({ collection: plan.source, pageSize: options.pageSize ?? 256, signal: options.signal })) {
    const picked = page.points.filter(() => seen++ % stride === 0);
    const room = sample - result.checked;
    const points = picked.slice(0, room);
    if (points.length > 0) {
      const { rows: expected, rejected } = toRows(plan, points);
      const actual = await sink.fetch(plan, expected.map((r) => r.id));
      const byId = new Map(actual.map((r) => [String(r.id), r]));
      for (const want of expected) {
        for (const m of compareRow(plan, want, byId.get(String(want.id)))) {
          if (result.mismatches.length < maxMismatches) result.mismatches.push(m);
        }
      }
      // Rejected points must not have reached the target either.
      if (rejected.length > 0) {
        const ghostIds = plan.primaryKey.type === 'Int64' ? rejected.map((r) => BigInt(r.id)) : rejected.map((r) => r.id);
        for (const ghost of await sink.fetch(plan, ghostIds)) {
          result.mismatches.push({ id: String(ghost.id), what: 'extra', detail: 'a rejected point is present in the target' });
        }
      }
      result.checked += expected.length;
    }
    if (result.checked >= sample) break;
  }
  return result;
}

/** Field-by-field differences between the row the source implies and the row the target holds.
 *  `payload: false`: the payloads are known equal (the compare walk's text test), not walked. */
export function compareRow(plan: CollectionPlan, want: Row, got: Row | undefined, payload = true): Mismatch[] {
  const id = String(want.id);
  if (!got) return [{ id, what: 'missing', detail: `not found in target collection ${plan.target}` }];
  const out: Mismatch[] = [];
  for (const field of plan.vectors) {
    const detail = compareVector(field, want.vectors[field.field] ?? null, got.vectors[field.field] ?? null);
    if (detail) out.push({ id, what: `vector:${field.field}`, detail });
  }
  const payloadDiff = payload ? diffJson(want.dynamic, got.dynamic, '$') : null;
  if (payloadDiff) out.push({ id, what: 'payload', detail: payloadDiff });
  for (const d of diffScalars(plan, want, got)) out.push({ id, what: `field:${d.field}`, detail: d.detail });
  return out;
}

/** An empty sparse vector scores like an absent one (no search returns it): the two are equal. */
const emptySparse = (v: VectorValue | null): boolean => v !== null && isSparseVector(v) && v.indices.length === 0;

function compareVector(field: VectorFieldPlan, want: VectorValue | null, got: VectorValue | null): string | null {
  if (field.type === 'SparseFloatVector' && (want === null || emptySparse(want)) && (got === null || emptySparse(got))) return null;
  if (want === null || got === null) return want === got ? null : `expected ${want === null ? 'null' : 'a vector'}, found ${got === null ? 'null' : 'a vector'}`;
  if (isSparseVector(want) || isSparseVector(got)) {
    if (!isSparseVector(want) || !isSparseVector(got)) return 'sparse and dense vector mixed up';
    return compareNumbers(want.indices, got.indices, exact, 'index') ?? compareNumbers(want.values, got.values, f32Tolerance, 'value');
  }
  const tolerance = field.type === 'Float16Vector' ? f16Tolerance : f32Tolerance;
  if (isMultiVector(want)) {
    if (want.length !== got.length) return `expected ${want.length} sub-vectors, found ${got.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = compareNumbers(want[i] as number[], got[i] as number[], tolerance, `sub-vector ${i} value`);
      if (d) return d;
    }
    return null;
  }
  return compareNumbers(want as DenseVector, got as DenseVector, tolerance, 'value');
}

type Tolerance = (want: number, got: number) => boolean;
const exact: Tolerance = (a, b) => a === b;
/** Both sides rounded to float32: the source's decimal text and Milvus's float32 must agree exactly. */
const f32Tolerance: Tolerance = (a, b) => Math.fround(a) === Math.fround(b);
/** Half precision keeps 11 significant bits: relative error ≤ 2^-11 (plus subnormal slack). */
const f16Tolerance: Tolerance = (a, b) => Math.abs(a - b) <= Math.max(Math.abs(a), Math.abs(b)) * 2 ** -11 + 6e-8;

function compareNumbers(want: ArrayLike<number>, got: ArrayLike<number>, same: Tolerance, what: string): string | null {
  if (want.length !== got.length) return `expected length ${want.length}, found ${got.length}`;
  // Float32 on both sides (the source's packed read, the target's FloatVector views, rows.ts):
  // equal bytes are equal values under every tolerance here; only vectors that differ are looked
  // at value by value.
  if (want instanceof Float32Array && got instanceof Float32Array && bytesOf(want).equals(bytesOf(got))) return null;
  for (let i = 0; i < want.length; i++) {
    if (!same(want[i]!, got[i]!)) return `${what} [${i}]: expected ${want[i]}, found ${got[i]}`;
  }
  return null;
}

function bytesOf(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** First difference between two JSON values as `path: expected … found …`, or null when equal. */
export function diffJson(want: JsonValue | undefined, got: JsonValue | undefined, path: string): string | null {
  if (typeof want === 'bigint' || typeof got === 'bigint') {
    return sameBigNumber(want, got) ? null : `${path}: expected ${show(want)}, found ${show(got)}`;
  }
  if (Array.isArray(want) || Array.isArray(got)) {
    if (!Array.isArray(want) || !Array.isArray(got)) return `${path}: expected ${show(want)}, found ${show(got)}`;
    if (want.length !== got.length) return `${path}: expected ${want.length} items, found ${got.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = diffJson(want[i], got[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isObject(want) || isObject(got)) {
    if (!isObject(want) || !isObject(got)) return `${path}: expected ${show(want)}, found ${show(got)}`;
    const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
    for (const k of keys) {
      // Own keys only: `constructor` missing on one side must read as missing, not as Object.
      const d = diffJson(getOwn(want, k), getOwn(got, k), `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(want, got) || want === got ? null : `${path}: expected ${show(want)}, found ${show(got)}`;
}

/**
 * A bigint (read losslessly from JSON text) against a bigint compares exactly. Against a number,
 * the number is a float64 that came through a double-only path (Qdrant's gRPC Value, say): the
 * bigint is compared at that precision, so 2^64+5 read as the double 2^64 on one side and as the
 * text "18446744073709552000" on the other are the same value, not a mismatch.
 */
function sameBigNumber(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  if (typeof a === 'number' && typeof b === 'bigint') return Number(b) === a;
  if (typeof a === 'bigint' && typeof b === 'number') return Number(a) === b;
  return false;
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return v.toString();
  // A float64 beyond 2^53 by its exact value: JSON.stringify would print 2^64 as 18446744073709552000.
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return BigInt(v).toString();
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
