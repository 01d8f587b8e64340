/**
 * Payload → Milvus dynamic field, on the hot path (once per point). Copy-on-write throughout:
 * the common payload (no nulls, no clashing keys) is returned as is, without a single allocation,
 * and the source point is never mutated (toRows is pure).
 */
import { stringify as losslessStringify } from 'lossless-json';
import { setOwn } from '../core/own.ts';
import type { JsonObject, JsonValue } from '../core/types.ts';

/** Milvus's limit for one JSON value (the dynamic field of one row), in UTF-8 bytes. */
export const MAX_JSON_BYTES = 65536;

/** Mutable counters threaded through the walk (one object per toRows call, not per point). */
export interface WalkState {
  /** Null-valued keys removed so far. */
  nulls: number;
  /** Set when the current payload holds a bigint (then the slow, lossless serialiser is needed). */
  bigint: boolean;
  /**
   * Upper bound of the current payload's JSON size in bytes, summed during the walk, so that the
   * common small payload is never serialised just to be measured (serialising is most of the cost).
   */
  bound: number;
}

// Worst-case JSON bytes: a UTF-16 unit escapes to at most 6 bytes (\u001f); a double prints in ≤ 24.
const PER_CHAR = 6;
const NUMBER_BYTES = 24;

/**
 * Removes null-valued keys at every depth (objects in objects and in arrays) and counts them.
 * Null elements of arrays are kept: Milvus JSON holds them, and removing one would shift the
 * indexes of the others (`tags[2]` would silently mean something else).
 * Returns `obj` itself when nothing was removed.
 */
export function dropNullKeys(obj: JsonObject, state: WalkState): JsonObject {
  let out: JsonObject | undefined;
  state.bound += 2;
  for (const key in obj) {
    const value = obj[key] as JsonValue;
    let next: JsonValue | undefined = value;
    state.bound += key.length * PER_CHAR + 4;
    if (value === null) {
      state.nulls++;
      next = undefined;
    } else if (typeof value === 'object') {
      next = Array.isArray(value) ? dropNullKeysInArray(value, state) : dropNullKeys(value, state);
    } else addScalar(value, state);
    if (next !== value && out === undefined) out = copyBefore(obj, key);
    if (out !== undefined && next !== undefined) setKey(out, key, next);
  }
  return out ?? obj;
}

function dropNullKeysInArray(arr: JsonValue[], state: WalkState): JsonValue[] {
  let out: JsonValue[] | undefined;
  state.bound += 2;
  for (let i = 0; i < arr.length; i++) {
    const value = arr[i] as JsonValue;
    let next = value;
    state.bound += 1;
    if (value !== null && typeof value === 'object') {
      next = Array.isArray(value) ? dropNullKeysInArray(value, state) : dropNullKeys(value, state);
    } else addScalar(value, state);
    if (next !== value && out === undefined) out = arr.slice(0, i);
    if (out !== undefined) out.push(next);
  }
  return out ?? arr;
}

function addScalar(value: string | number | boolean | bigint | null, state: WalkState): void {
  if (typeof value === 'string') state.bound += value.length * PER_CHAR + 2;
  else if (typeof value === 'bigint') state.bigint = true; // exact size only by serialising
  else state.bound += value === null ? 4 : NUMBER_BYTES;
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
export const setKey: (out: JsonObject, key: string, value: JsonValue) => void = setOwn;

/**
 * 0 when the payload, serialised as it will be stored, fits MAX_JSON_BYTES; else its UTF-8 size.
 * `state` is the walk of this payload: when its bound (plus `slack` for renamed keys) fits, the
 * payload is not serialised at all. Else native JSON.stringify, several times faster than
 * lossless-json, unless the payload holds a bigint (only lossless-json writes it exactly).
 */
export function oversizeBytes(obj: JsonObject, state: WalkState, slack: number): number {
  if (!state.bigint && state.bound + slack <= MAX_JSON_BYTES) return 0;
  const text = state.bigint ? (losslessStringify(obj) ?? '') : JSON.stringify(obj);
  // A UTF-16 unit is 1–3 UTF-8 bytes (a surrogate pair: 4 for 2), so the length alone often decides.
  if (text.length * 3 <= MAX_JSON_BYTES) return 0;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_JSON_BYTES ? bytes : 0;
}
