/**
 * Vector normalisation on upsert (what Qdrant does to a vector before storing it) and columnar
 * storage. Dense vectors live in chunked Float32Array slabs indexed by a point's slot, so a million
 * 128-d points cost ~512 MB of off-heap memory and no per-vector JS object.
 */
import { notExistingVector, validationError, wrongInput } from './errors.ts';
import type { Datatype, Distance, VectorConfig } from './config.ts';

export interface SparseValue {
  indices: number[];
  values: number[];
}
export type StoredVector = Float32Array | SparseValue | number[][];

/** Rounds to the nearest IEEE half-precision value (ties to even), like Rust's `f16::from_f32`. */
export function toHalfPrecision(input: number): number {
  const x = Math.fround(input);
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity; // above f16 max (65504) after rounding
  let e = Math.max(Math.floor(Math.log2(a)), -14);
  if (e > -14 && 2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const quantum = 2 ** (Math.max(e, -14) - 10);
  const scaled = a / quantum;
  let rounded = Math.round(scaled);
  if (scaled % 1 === 0.5 && rounded % 2 === 1) rounded -= 1;
  return Math.sign(x) * rounded * quantum;
}

/** Rust's saturating `f32 as u8`: truncates toward zero, clamps to 0..255, NaN becomes 0. */
export function toUint8(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.min(255, Math.max(0, Math.trunc(x)));
}

function toNumbers(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) throw wrongInput(`${path}: expected an array of numbers`);
  return value.map((v) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw wrongInput(`${path}: expected an array of numbers`);
  });
}

/** Cosine vectors are stored unit length (uint8 excepted: it cannot hold fractions). */
function denseValues(raw: unknown, size: number, distance: Distance, datatype: Datatype, path: string): Float32Array {
  const values = toNumbers(raw, path);
  if (values.length !== size) throw wrongInput(`Vector dimension error: expected dim: ${size}, got ${values.length}`);
  if (datatype === 'uint8') return Float32Array.from(values, toUint8);
  const out = Float32Array.from(values);
  if (distance === 'Cosine') {
    let sum = 0;
    for (const v of out) sum += v * v;
    const length = Math.sqrt(sum);
    if (length >= 1.1920929e-7) for (let i = 0; i < out.length; i++) out[i] = out[i]! / length;
  }
  if (datatype === 'float16') for (let i = 0; i < out.length; i++) out[i] = toHalfPrecision(out[i]!);
  return out;
}

function sparseValue(raw: unknown, path: string): SparseValue {
  const obj = raw as { indices?: unknown; values?: unknown } | null;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw wrongInput(`${path}: expected a sparse vector {indices, values}`);
  }
  const indices = toNumbers(obj.indices, `${path}.indices`);
  const values = toNumbers(obj.values, `${path}.values`);
  if (indices.length !== values.length) throw validationError(`${path}.values: must be the same length as indices`);
  if (indices.some((i) => !Number.isInteger(i) || i < 0 || i > 0xffffffff)) {
    throw wrongInput(`${path}.indices: expected u32 integers`);
  }
  const order = indices.map((_, i) => i).sort((a, b) => indices[a]! - indices[b]!);
  const sorted = order.map((i) => indices[i]!);
  if (sorted.some((v, i) => i > 0 && v === sorted[i - 1])) throw validationError(`${path}.indices: must be unique`);
  return { indices: sorted, values: order.map((i) => Math.fround(values[i]!)) };
}

/** Validates and normalises one vector for `config`, returning what the store keeps. */
export function normaliseVector(config: VectorConfig, raw: unknown, path: string): StoredVector {
  if (config.kind === 'sparse') return sparseValue(raw, path);
  if (config.kind === 'dense') return denseValues(raw, config.size, config.distance, config.datatype, path);
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every(Array.isArray)) {
    throw wrongInput(`${path}: expected a non-empty multivector (array of arrays of numbers)`);
  }
  return raw.map((row) => Array.from(denseValues(row, config.size, config.distance, config.datatype, path)));
}

/**
 * Splits a REST point's `vector` field into named raw vectors: a bare array is the unnamed vector
 * (dense, or multi when its items are arrays), an object maps names to vectors. Unknown names are
 * Qdrant's 400 "Not existing vector name".
 */
export function splitVectorStruct(raw: unknown, vectors: Map<string, VectorConfig>): Array<[VectorConfig, unknown]> {
  if (raw === undefined || raw === null) return [];
  const entries: Array<[string, unknown]> = Array.isArray(raw) ? [['', raw]] : Object.entries(raw as object);
  return entries.map(([name, value]) => {
    const config = vectors.get(name);
    if (!config) throw notExistingVector(name);
    return [config, value];
  });
}

const CHUNK_SLOTS = 4096;

/** Dense vectors of one name, by slot, in fixed-size Float32Array chunks. */
export class DenseColumn {
  private readonly chunks: Float32Array[] = [];
  private readonly present: Uint8Array[] = [];
  constructor(readonly dim: number) {}

  set(slot: number, vector: Float32Array): void {
    const c = Math.floor(slot / CHUNK_SLOTS);
    while (this.chunks.length <= c) {
      this.chunks.push(new Float32Array(CHUNK_SLOTS * this.dim));
      this.present.push(new Uint8Array(CHUNK_SLOTS));
    }
    const at = (slot % CHUNK_SLOTS) * this.dim;
    this.chunks[c]!.set(vector, at);
    this.present[c]![slot % CHUNK_SLOTS] = 1;
  }

  delete(slot: number): void {
    const present = this.present[Math.floor(slot / CHUNK_SLOTS)];
    if (present) present[slot % CHUNK_SLOTS] = 0;
  }

  has(slot: number): boolean {
    return this.present[Math.floor(slot / CHUNK_SLOTS)]?.[slot % CHUNK_SLOTS] === 1;
  }

  /** A view into the slab (no copy): callers must not keep it across writes to the same slot. */
  get(slot: number): Float32Array | undefined {
    if (!this.has(slot)) return undefined;
    const at = (slot % CHUNK_SLOTS) * this.dim;
    return this.chunks[Math.floor(slot / CHUNK_SLOTS)]!.subarray(at, at + this.dim);
  }
}

/** Sparse and multi vectors: few per collection in tests, kept as plain values by slot. */
export class MapColumn {
  private readonly values = new Map<number, SparseValue | number[][]>();
  set(slot: number, v: SparseValue | number[][]): void {
    this.values.set(slot, v);
  }
  delete(slot: number): void {
    this.values.delete(slot);
  }
  has(slot: number): boolean {
    return this.values.has(slot);
  }
  get(slot: number): SparseValue | number[][] | undefined {
    return this.values.get(slot);
  }
}

export type Column = DenseColumn | MapColumn;

/** The REST/JSON form of a stored vector. */
export function vectorToJson(v: Float32Array | SparseValue | number[][]): number[] | number[][] | SparseValue {
  if (!(v instanceof Float32Array)) return v;
  // An indexed loop: Array.from goes through the iterator protocol and is ~10x slower here.
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]!;
  return out;
}
