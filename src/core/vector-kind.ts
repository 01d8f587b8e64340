/**
 * Which kind a VectorValue is. A dense vector is a number[] or a Float32Array (see DenseVector),
 * so `Array.isArray` alone no longer tells dense from sparse.
 */
import type { DenseVector, MultiVector, SparseVector, VectorValue } from './types.ts';

export function isSparseVector(v: VectorValue): v is SparseVector {
  return !Array.isArray(v) && !(v instanceof Float32Array);
}

/** A non-empty list of dense vectors (an empty list reads as an empty dense vector). */
export function isMultiVector(v: VectorValue): v is MultiVector {
  return Array.isArray(v) && v.length > 0 && Array.isArray(v[0]);
}

export function isDenseVector(v: VectorValue): v is DenseVector {
  return !isSparseVector(v) && !isMultiVector(v);
}
