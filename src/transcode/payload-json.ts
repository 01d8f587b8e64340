/**
 * Qdrant payload (protobuf map<string, Value>, json_with_int.proto) → the JSON bytes of Milvus's
 * `$meta`, in one pass over the bytes: no JS string, object or number is made for a value. The
 * output is exactly what milvus/rows.ts payloadJson writes for the payload grpc-scroll.ts would
 * decode (a property test holds them equal):
 * - strings are copied as the UTF-8 they are, with JSON.stringify's escapes (\" \\ \b \t \n \f \r,
 *   \u00xx for the other control characters);
 * - integers (int64) are written in decimal, exact at any size; doubles as JSON.stringify prints
 *   them (non-finite: null);
 * - keys in the order a JS object would hold them.
 *
 * A payload this cannot write exactly that way is left to the general path (returns undefined):
 * a null-valued key at any depth (mapping drops those and counts them), a key a JS object would
 * reorder (array-index-like: "0", "12") or a repeated key, bytes that are not valid UTF-8, a
 * string or key starting with NUL (payloadJson's bigint marker), a Value with two kinds set.
 */
import { isUtf8 } from 'node:buffer';
import type { PackedPayload } from '../core/packed-payload.ts';
import type { PageMemory } from './arena.ts';

const FAIL = -1;

/** Escapes of the bytes below 0x20 as JSON.stringify writes them. */
const ESCAPES: string[] = Array.from({ length: 0x20 }, (_, c) => `\\u${c.toString(16).padStart(4, '0')}`);
ESCAPES[0x08] = '\\b';
ESCAPES[0x09] = '\\t';
ESCAPES[0x0a] = '\\n';
ESCAPES[0x0c] = '\\f';
ESCAPES[0x0d] = '\\r';

/** A growing output buffer shared by the points of one page; each payload's JSON (and its protobuf, kept for a lazy decode) is a slice of it. */
export class JsonOut {
  buf: Buffer;
  pos = 0;

  /** `memory`: the page's (arena.ts), so the buffers are reused once the page is released. */
  constructor(size = 1 << 16, private readonly memory?: PageMemory) {
    this.buf = memory ? Buffer.from(memory.take(size)) : Buffer.allocUnsafe(size);
  }

  /** Copies `src[from, to)` here; returns where the copy starts in `buf` (the buffer now current). */
  copy(src: Buffer, from: number, to: number): number {
    this.ensure(to - from);
    const at = this.pos;
    src.copy(this.buf, at, from, to);
    this.pos += to - from;
    return at;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Earlier payloads keep their slices of the old buffer: it is never written again.
    const size = Math.max(this.buf.length * 2, this.pos + n + 1024);
    const next = this.memory ? Buffer.from(this.memory.take(size)) : Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
}

/** The input of the payload being written (one at a time: decoding is synchronous) and the cursor in it. */
let src: Buffer = Buffer.alloc(0);
let at = 0;

function varint(): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const b = src[at++]!;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
  }
}

/** int64 varint as decimal text, exact at any size. */
function int64Text(): string {
  const start = at;
  const n = varint();
  if (n <= Number.MAX_SAFE_INTEGER && at - start < 9) return String(n);
  at = start;
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = src[at++]!;
    v |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7n;
  }
  return BigInt.asIntN(64, v).toString();
}

function skip(wire: number): void {
  if (wire === 0) varint();
  else if (wire === 1) at += 8;
  else if (wire === 2) at += varint();
  else if (wire === 5) at += 4;
  else throw new RangeError(`unsupported wire type ${wire}`);
}

/**
 * Key strings by their bytes: a small direct-mapped cache, so that the keys a collection repeats
 * on every point (in any order: Qdrant sends each point's keys in its own order) are made into
 * strings once, not once per key per point, which measured as much CPU and garbage as the rest
 * of the payload. A slot holds a copy of the key's bytes and its string; a collision replaces it.
 */
const INTERN_SLOTS = 512;
const INTERN_MAX_BYTES = 64;
const internBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(INTERN_SLOTS).fill(undefined);
const internNames: string[] = new Array<string>(INTERN_SLOTS).fill('');

/** The string of the UTF-8 key `src[start, end)`. */
function keyName(start: number, end: number): string {
  if (end - start > INTERN_MAX_BYTES) return src.toString('utf8', start, end);
  let h = 0x811c9dc5; // FNV-1a
  for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  const slot = (h >>> 0) & (INTERN_SLOTS - 1);
  const bytes = internBytes[slot];
  if (bytes !== undefined && sameBytes(bytes, start, end)) return internNames[slot]!;
  const name = src.toString('utf8', start, end);
  internBytes[slot] = Uint8Array.prototype.slice.call(src, start, end);
  internNames[slot] = name;
  return name;
}

/** `src[start, end)` equals `bytes`. */
function sameBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== src[start + i]) return false;
  return true;
}

/**
 * The `$meta` JSON of one point's payload, from the map entries (field 2 of RetrievedPoint) among
 * the fields in `buf[from, to)` (other fields there are skipped), or undefined when the general path
 * must decide (see above).
 */
export function payloadToJson(buf: Buffer, from: number, to: number, out: JsonOut): PackedPayload | undefined {
  src = buf;
  const start = out.pos;
  const keys: string[] = [];
  out.byte(0x7b);
  at = from;
  while (at < to) {
    const t = varint();
    if (t !== 0x12) {
      skip(t & 7);
      continue;
    }
    const len = varint();
    const end = at + len;
    if (keys.length > 0) out.byte(0x2c);
    if (entry(end, out) === FAIL) return fail(out, start);
    const name = keyName(keyStart, keyEnd);
    if (keys.includes(name)) return fail(out, start);
    keys.push(name);
  }
  out.byte(0x7d);
  return { json: out.buf.subarray(start, out.pos), keys };
}

function fail(out: JsonOut, start: number): undefined {
  out.pos = start;
  return undefined;
}

/** The key of the entry entry() wrote last. */
let keyStart = 0;
let keyEnd = 0;

/** One map entry (key 1, value 2) ending at `end`, as `"key":value`; the cursor ends at `end`. */
function entry(end: number, out: JsonOut): number {
  let ks = at;
  let ke = at;
  let vs = -1;
  let ve = -1;
  while (at < end) {
    const t = varint();
    if (t === 0x0a) {
      const len = varint();
      ks = at;
      ke = at += len;
    } else if (t === 0x12 && vs < 0) {
      const len = varint();
      vs = at;
      ve = at += len;
    } else if (t >>> 3 === 1 || t >>> 3 === 2) return FAIL;
    else skip(t & 7);
  }
  // An absent value is Value's default, null: a null-valued key, mapping's to drop.
  if (vs < 0 || !plainKey(ks, ke)) return FAIL;
  if (string(ks, ke, out) === FAIL) return FAIL;
  out.byte(0x3a);
  at = vs;
  if (valueJson(ve, out, true) === FAIL) return FAIL;
  at = end;
  keyStart = ks;
  keyEnd = ke;
  return 0;
}

/** A key a JS object keeps in insertion order (array-index-like keys are moved first) and that is not the bigint marker. */
function plainKey(start: number, end: number): boolean {
  if (start === end) return true;
  const first = src[start]!;
  if (first === 0) return false;
  if (first < 0x30 || first > 0x39) return true;
  // Digits only: an array index (canonical, below 2^32 - 1) is reordered by JS objects.
  for (let i = start; i < end; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return true;
  return !(end - start <= 10 && (first !== 0x30 || end - start === 1) && Number(src.toString('latin1', start, end)) < 0xffffffff);
}

/** Value ending at `end`: null 1, double 2, integer 3, string 4, bool 5, struct 6, list 7.
 *  `inObject`: a null here is a null-valued key. */
function valueJson(end: number, out: JsonOut, inObject: boolean): number {
  let kinds = 0;
  while (at < end) {
    const t = varint();
    const field = t >>> 3;
    const wire = t & 7;
    if (field < 1 || field > 7) {
      skip(wire);
      continue;
    }
    if (++kinds > 1) return FAIL;
    if (field === 1) {
      // null: kept as an element of a list; a null-valued key is mapping's to drop.
      if (inObject) return FAIL;
      skip(wire);
      out.ascii('null');
    } else if (field === 2 && wire === 1) {
      const d = src.readDoubleLE(at);
      at += 8;
      out.ascii(Number.isFinite(d) ? String(d) : 'null');
    } else if (field === 3 && wire === 0) out.ascii(int64Text());
    else if (field === 5 && wire === 0) out.ascii(varint() !== 0 ? 'true' : 'false');
    else if (wire === 2 && field >= 4) {
      const len = varint();
      const s = at;
      const e = s + len;
      if (field === 4 ? string(s, e, out) === FAIL : field === 6 ? struct(e, out) === FAIL : list(e, out) === FAIL) return FAIL;
      at = e;
    } else return FAIL; // a kind on an unexpected wire type: the general path reads it as null
  }
  if (kinds === 0) {
    if (inObject) return FAIL;
    out.ascii('null');
  }
  return 0;
}

/** Struct ending at `end`: fields 1 (map entries). A key repeated in one struct goes to the general path. */
function struct(end: number, out: JsonOut): number {
  let seen: Set<string> | undefined;
  let first: string | undefined;
  out.byte(0x7b);
  while (at < end) {
    const t = varint();
    if (t !== 0x0a) {
      skip(t & 7);
      continue;
    }
    const len = varint();
    const e = at + len;
    if (first !== undefined) out.byte(0x2c);
    if (entry(e, out) === FAIL) return FAIL;
    const id = src.toString('latin1', keyStart, keyEnd);
    if (first === undefined) first = id;
    else {
      seen ??= new Set([first]);
      if (seen.has(id)) return FAIL;
      seen.add(id);
    }
  }
  out.byte(0x7d);
  return 0;
}

/** ListValue ending at `end`: values 1. Null elements stay (mapping keeps them: removing one would shift the rest). */
function list(end: number, out: JsonOut): number {
  out.byte(0x5b);
  let first = true;
  while (at < end) {
    const t = varint();
    if (t !== 0x0a) {
      skip(t & 7);
      continue;
    }
    const len = varint();
    const e = at + len;
    if (!first) out.byte(0x2c);
    first = false;
    if (valueJson(e, out, false) === FAIL) return FAIL;
    at = e;
  }
  out.byte(0x5d);
  return 0;
}

/** Below this many bytes the byte loop beats a call into memcpy. */
const PLAIN_COPY_MIN = 24;

/** A JSON string literal of the UTF-8 bytes `src[start, end)`, escaped as JSON.stringify does. */
function string(start: number, end: number, out: JsonOut): number {
  // Locals, not the module's bindings: the byte loop below is the payload's hottest.
  const s = src;
  if (end > start && s[start] === 0) return FAIL;
  // Most strings need no escape: found by a read-only scan, then copied in one memcpy (a byte loop
  // that also writes cost ~2x as much on 768-d points' ~250 bytes of payload text).
  let high = 0;
  let plain = end;
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      plain = i;
      break;
    }
    high |= c;
  }
  if (plain === end && end - start >= PLAIN_COPY_MIN) {
    out.ensure(end - start + 2);
    const o = out.buf;
    o[out.pos] = 0x22;
    s.copy(o, out.pos + 1, start, end);
    o[out.pos + 1 + end - start] = 0x22;
    if (high >= 0x80 && !isUtf8(s.subarray(start, end))) return FAIL;
    out.pos += end - start + 2;
    return 0;
  }
  out.ensure((end - start) * 6 + 2);
  const o = out.buf;
  let p = out.pos;
  o[p++] = 0x22;
  high = 0;
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      high |= c;
      o[p++] = c;
    } else if (c >= 0x20) {
      o[p++] = 0x5c;
      o[p++] = c;
    } else {
      const e = ESCAPES[c]!;
      for (let k = 0; k < e.length; k++) o[p++] = e.charCodeAt(k);
    }
  }
  o[p++] = 0x22;
  // Invalid UTF-8 decodes to U+FFFD on the general path: let it write that.
  if (high >= 0x80 && !isUtf8(s.subarray(start, end))) return FAIL;
  out.pos = p;
  return 0;
}
