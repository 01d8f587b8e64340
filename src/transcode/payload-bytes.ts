/**
 * What the payload transcoder (payload-json.ts) hands to mapping: a payload's `$meta` JSON with
 * what its walk learnt (null-valued keys left out, where each top-level key's text and protobuf
 * entry are), and the edits mapping makes on those bytes: renaming top-level keys that clash with
 * a field (renameKeys), taking promoted keys out and appending the values set aside (editKeys).
 */
import type { PackedPayload } from '../core/packed-payload.ts';

/**
 * A payload as `$meta` JSON (PackedPayload), with what the walk learnt on the way: how many
 * null-valued keys it left out, and where each top-level key's `"key":` text starts and ends in
 * `json` (mapping renames a key that clashes with a field on the bytes: renameKeys below).
 *
 * The transcoder's own payloads (fromTable) keep those offsets in their page's table, an Int32Array
 * off the JS heap, and share their `keys` array with every payload of the same keys in the same
 * order (frozen): a page waits seconds for the target, so what a payload holds is promoted and
 * collected by the old generation, and three arrays per payload were half of a decoded 768-d
 * point's ~1 KB of JS heap. keyAt / entryAt are made from the table when first read (mapping's
 * renames and promoted keys; the plain pass-through never reads them).
 */
export class TranscodedPayload implements PackedPayload {
  #keyAt: number[] | undefined;
  #entryAt: number[] | undefined;
  /** fromTable(): per top-level key i, table[at + 4i ..] = its key text's start and end, its entry's start and end. */
  #table: Int32Array | undefined;
  #at = 0;

  constructor(
    public json: Uint8Array,
    public keys: string[],
    /** Per top-level key i: its `"key":` text is json[keyAt[2i], keyAt[2i + 1]). */
    keyAt: number[],
    readonly nulls: number,
    /**
     * The transcoder's own payloads only (undefined once edited): per top-level key i, its map entry
     * in the payload's protobuf bytes is [entryAt[2i], entryAt[2i + 1]), offsets from their start,
     * so mapping can decode one key's value alone (a promoted key's: PackedPoint.entryValue).
     */
    entryAt?: number[],
    /** The transcoder's own payloads only: the top-level keys left out as null-valued (counted in `nulls`). */
    readonly dropped?: string[],
  ) {
    this.#keyAt = keyAt;
    this.#entryAt = entryAt;
  }

  /** The transcoder's payload whose offsets are `table[at, at + 4 * keys.length)` (see #table). */
  static fromTable(json: Uint8Array, keys: string[], table: Int32Array, at: number, nulls: number, dropped: string[] | undefined): TranscodedPayload {
    const p = new TranscodedPayload(json, keys, NONE, nulls, undefined, dropped);
    p.#keyAt = undefined;
    p.#table = table;
    p.#at = at;
    return p;
  }

  get keyAt(): number[] {
    return (this.#keyAt ??= this.#pairs(0));
  }

  /** keyAt[2i + end]: where top-level key i's `"key":` text starts (end 0) or ends (end 1) in `json`, from the table without making keyAt (the edits below). */
  keyOffset(i: number, end: 0 | 1): number {
    return this.#keyAt ? this.#keyAt[2 * i + end]! : this.#table![this.#at + 4 * i + end]!;
  }

  get entryAt(): number[] | undefined {
    return this.#table === undefined ? this.#entryAt : (this.#entryAt ??= this.#pairs(2));
  }

  /** Per key, its two table values from `k` on, as one array. */
  #pairs(k: number): number[] {
    const t = this.#table!;
    const out = new Array<number>(2 * this.keys.length);
    for (let i = 0, j = this.#at + k; i < this.keys.length; i++, j += 4) {
      out[2 * i] = t[j]!;
      out[2 * i + 1] = t[j + 1]!;
    }
    return out;
  }
}

const NONE: number[] = [];

/** Where the JSON text of top-level key i's value ends in `p.json` (before a comma or the closing brace). */
export function valueEnd(p: TranscodedPayload, i: number): number {
  return i + 1 < p.keys.length ? p.keyOffset(i + 1, 0) - 1 : p.json.length - 1;
}

/** A value to append as a new top-level key: `name`, with the JSON text `p.json[from, to)`. */
export interface Appended {
  name: string;
  from: number;
  to: number;
}

/**
 * `p` without the top-level keys i where `remove[i]`, with `append`ed keys after the rest, on the
 * bytes: the kept entries' text is copied in runs, so the result is exactly payloadJson of the
 * payload edited the same way (keys deleted, new keys added at the end). Mapping decides what
 * (src/mapping/rows.ts: promoted keys out, values the `null` policy set aside in as `<key>__raw`);
 * `nulls` is the edited payload's count of null-valued keys left out.
 */
export function editKeys(p: TranscodedPayload, remove: readonly boolean[], append: readonly Appended[], nulls: number): TranscodedPayload {
  const src = p.json;
  const n = p.keys.length;
  // Braces, entries, and a comma between each two.
  let size = 1;
  for (let i = 0; i < n; i++) if (!remove[i]) size += valueEnd(p, i) - p.keyOffset(i, 0) + 1;
  for (const a of append) size += keyText(a.name).length + (a.to - a.from) + 1;
  if (size === 1) size = 2;
  const json = Buffer.allocUnsafe(size);
  const keys: string[] = [];
  const keyAt: number[] = [];
  json[0] = 0x7b;
  let o = 1;
  // Runs of kept entries (with the commas between them) are copied whole.
  let i = 0;
  while (i < n) {
    if (remove[i]) {
      i++;
      continue;
    }
    const first = i;
    while (i < n && !remove[i]) i++;
    if (keys.length > 0) json[o++] = 0x2c;
    const shift = o - p.keyOffset(first, 0);
    for (let k = first; k < i; k++) {
      keys.push(p.keys[k]!);
      keyAt.push(p.keyOffset(k, 0) + shift, p.keyOffset(k, 1) + shift);
    }
    o = copyRun(src, p.keyOffset(first, 0), valueEnd(p, i - 1), json, o);
  }
  for (const a of append) {
    if (keys.length > 0) json[o++] = 0x2c;
    const text = keyText(a.name);
    keys.push(a.name);
    keyAt.push(o, o + text.length);
    json.set(text, o);
    o = copyRun(src, a.from, a.to, json, o + text.length);
  }
  json[o++] = 0x7d;
  return new TranscodedPayload(json, keys, keyAt, nulls);
}

/**
 * `p` with some top-level keys renamed on the bytes: `names[i]` is the new name of `p.keys[i]`
 * (undefined: kept). Mapping decides the names (src/mapping/rows.ts, keys that clash with a field);
 * this only splices their JSON text in where the old keys' text was, so the result is exactly
 * payloadJson of the payload with those keys renamed in place.
 */
export function renameKeys(p: TranscodedPayload, names: ReadonlyArray<string | undefined>): TranscodedPayload {
  const src = p.json;
  let size = src.length;
  for (let i = 0; i < names.length; i++) if (names[i] !== undefined) size += keyText(names[i]!).length - (p.keyOffset(i, 1) - p.keyOffset(i, 0));
  const json = Buffer.allocUnsafe(size);
  const keyAt = new Array<number>(2 * p.keys.length);
  // Only the renamed keys' text changes: the runs between them are copied whole.
  let from = 0;
  let o = 0;
  for (let i = 0; i < p.keys.length; i++) {
    const ks = p.keyOffset(i, 0);
    const ke = p.keyOffset(i, 1);
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
