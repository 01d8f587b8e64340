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
  const texts: Array<Buffer | undefined> = names.map((n) => (n === undefined ? undefined : keyText(n)));
  let size = p.json.length;
  for (let i = 0; i < texts.length; i++) if (texts[i]) size += texts[i]!.length - (p.keyAt[2 * i + 1]! - p.keyAt[2 * i]!);
  const json = Buffer.allocUnsafe(size);
  const keyAt: number[] = [];
  let from = 0;
  let o = 0;
  for (let i = 0; i < p.keys.length; i++) {
    const text = texts[i];
    const ks = p.keyAt[2 * i]!;
    const ke = p.keyAt[2 * i + 1]!;
    json.set(p.json.subarray(from, ks), o);
    o += ks - from;
    keyAt.push(o);
    if (text) {
      json.set(text, o);
      o += text.length;
    } else {
      json.set(p.json.subarray(ks, ke), o);
      o += ke - ks;
    }
    keyAt.push(o);
    from = ke;
  }
  json.set(p.json.subarray(from), o);
  const keys = p.keys.map((k, i) => names[i] ?? k);
  return new TranscodedPayload(json, keys, keyAt, p.nulls);
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
