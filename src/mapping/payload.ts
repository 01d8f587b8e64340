/**
 * Payload → Milvus dynamic field, on the hot path (once per point). Copy-on-write throughout:
 * the common payload (no nulls, no clashing keys) is returned as is, without a single allocation,
 * and the source point is never mutated (toRows is pure).
 */
import { stringify as losslessStringify } from 'lossless-json';
import type { JsonObject, JsonValue } from '../core/types.ts';

/** Milvus's limit for one JSON value (the dynamic field of one row), in UTF-8 bytes. */
export const MAX_JSON_BYTES = 65536;

/** Mutable counters threaded through the walk (one object per toRows call, not per point). */
export interface WalkState {
  /** Null-valued keys removed so far. */
  nulls: number;
  /** Set when the current payload holds a bigint (then the slow, lossless serialiser is needed). */
  bigint: boolean;
}

/**
 * Removes null-valued keys at every depth (objects in objects and in arrays) and counts them.
 * Null elements of arrays are kept: Milvus JSON holds them, and removing one would shift the
 * indexes of the others (`tags[2]` would silently mean something else).
 * Returns `obj` itself when nothing was removed.
 */
export function dropNullKeys(obj: JsonObject, state: WalkState): JsonObject {
  let out: JsonObject | undefined;
  for (const key in obj) {
    const value = obj[key] as JsonValue;
    let next: JsonValue | undefined = value;
    if (value === null) {
      state.nulls++;
      next = undefined;
    } else if (typeof value === 'object') {
      next = Array.isArray(value) ? dropNullKeysInArray(value, state) : dropNullKeys(value, state);
    } else if (typeof value === 'bigint') {
      state.bigint = true;
    }
    if (next !== value && out === undefined) out = copyBefore(obj, key);
    if (out !== undefined && next !== undefined) setKey(out, key, next);
  }
  return out ?? obj;
}

function dropNullKeysInArray(arr: JsonValue[], state: WalkState): JsonValue[] {
  let out: JsonValue[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const value = arr[i] as JsonValue;
    let next = value;
    if (value !== null && typeof value === 'object') {
      next = Array.isArray(value) ? dropNullKeysInArray(value, state) : dropNullKeys(value, state);
    } else if (typeof value === 'bigint') {
      state.bigint = true;
    }
    if (next !== value && out === undefined) out = arr.slice(0, i);
    if (out !== undefined) out.push(next);
  }
  return out ?? arr;
}

/** A new object with the keys of `obj` that come before `stop` (unchanged so far). */
function copyBefore(obj: JsonObject, stop: string): JsonObject {
  const out: JsonObject = {};
  for (const key in obj) {
    if (key === stop) break;
    setKey(out, key, obj[key] as JsonValue);
  }
  return out;
}

/** `out[key] = value`, except that a `__proto__` key stays data instead of replacing the prototype. */
export function setKey(out: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * 0 when the payload, serialised as it will be stored, fits MAX_JSON_BYTES; else its UTF-8 size.
 * Native JSON.stringify is several times faster than lossless-json, so it is used unless the
 * payload holds a bigint (which only lossless-json serialises exactly, as a bare number).
 */
export function oversizeBytes(obj: JsonObject, hasBigint: boolean): number {
  const text = hasBigint ? (losslessStringify(obj) ?? '') : JSON.stringify(obj);
  // A UTF-16 unit is 1–3 UTF-8 bytes (a surrogate pair: 4 for 2), so the length alone often decides.
  if (text.length * 3 <= MAX_JSON_BYTES) return 0;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_JSON_BYTES ? bytes : 0;
}
