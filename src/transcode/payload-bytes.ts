/**
 * What the payload transcoder (payload-json.ts) hands to mapping: a payload's `$meta` JSON with
 * what its walk learnt (null-valued keys left out, where each top-level key's text is), and the
 * one edit mapping makes on those bytes: renaming top-level keys that clash with a field.
 */
import type { PackedPayload } from '../core/packed-payload.ts';

/**
 * A payload as `$meta` JSON (PackedPayload), with what the walk learnt on the way: how many
 * null-valued keys it left out, and where each top-level key's `"key":` text starts and ends in
 * `json` (mapping renames a key that clashes with a field on the bytes: renameKeys below).
 */
export class TranscodedPayload implements PackedPayload {
  constructor(
    public json: Uint8Array,
    public keys: string[],
    /** Per top-level key i: its `"key":` text is json[keyAt[2i], keyAt[2i + 1]). */
    readonly keyAt: number[],
    readonly nulls: number,
  ) {}
}

/**
 * `p` with some top-level keys renamed on the bytes: `names[i]` is the new name of `p.keys[i]`
 * (undefined: kept). Mapping decides the names (src/mapping/rows.ts, keys that clash with a field);
 * this only splices their JSON text in where the old keys' text was, so the result is exactly
 * payloadJson of the payload with those keys renamed in place.
 */
export function renameKeys(p: TranscodedPayload, names: ReadonlyArray<string | undefined>): TranscodedPayload {
  const { json: src, keyAt: at } = p;
  let size = src.length;
  for (let i = 0; i < names.length; i++) if (names[i] !== undefined) size += keyText(names[i]!).length - (at[2 * i + 1]! - at[2 * i]!);
  const json = Buffer.allocUnsafe(size);
  const keyAt = new Array<number>(at.length);
  // Only the renamed keys' text changes: the runs between them are copied whole.
  let from = 0;
  let o = 0;
  for (let i = 0; i < p.keys.length; i++) {
    const ks = at[2 * i]!;
    const ke = at[2 * i + 1]!;
    keyAt[2 * i] = ks + o - from;
    const name = names[i];
    if (name === undefined) {
      keyAt[2 * i + 1] = ke + o - from;
      continue;
    }
    o = copyRun(src, from, ks, json, o);
    const text = keyText(name);
    json.set(text, o);
    o += text.length;
    keyAt[2 * i + 1] = o;
    from = ke;
  }
  copyRun(src, from, src.length, json, o);
  const keys = p.keys.map((k, i) => names[i] ?? k);
  return new TranscodedPayload(json, keys, keyAt, p.nulls);
}

/** Below this many bytes a byte loop beats a view and a memcpy (a view is an object to collect). */
const COPY_LOOP_MAX = 256;

/** Copies `src[from, to)` to `dst` at `o`; returns the end of the copy in `dst`. */
function copyRun(src: Uint8Array, from: number, to: number, dst: Uint8Array, o: number): number {
  if (to - from >= COPY_LOOP_MAX) {
    dst.set(src.subarray(from, to), o);
    return o + to - from;
  }
  for (let k = from; k < to; k++) dst[o++] = src[k]!;
  return o;
}

/** `"name":` as JSON (JSON.stringify's escapes, as payloadJson writes keys); a few names, made once. */
const keyTexts = new Map<string, Buffer>();
function keyText(name: string): Buffer {
  let text = keyTexts.get(name);
  if (text === undefined) {
    text = Buffer.from(`${JSON.stringify(name)}:`, 'utf8');
    if (keyTexts.size < 1024) keyTexts.set(name, text);
  }
  return text;
}
