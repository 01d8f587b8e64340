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
 * - null-valued keys (at any depth, in objects inside lists too) are left out and counted, as
 *   mapping's dropNullKeys does (null elements of lists stay): mapping's rule, done here on the
 *   bytes so that a payload with nulls needs no JS object; mapping adds the count to its stats
 *   (src/mapping/rows.ts). So the JSON is payloadJson of dropNullKeys(payload).
 *
 * A payload this cannot write exactly that way is left to the general path (returns undefined):
 * a key a JS object would reorder (array-index-like: "0", "12") or a repeated key (dropped ones
 * included), bytes that are not valid UTF-8, a Value with two kinds set. (A string or key that
 * starts with NUL is written like any other: payloadJson gives those payloads to lossless-json,
 * whose text is JSON.stringify's with exact integers, i.e. this one.)
 */
import { isUtf8 } from 'node:buffer';
import type { PageMemory } from './arena.ts';
import { TranscodedPayload } from './payload-bytes.ts';

const FAIL = -1;
/** entry(): a null-valued key, left out (nothing written). */
const NULL = -2;

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
    this.table = this.ints(size >> 4);
  }

  /** Room for `n` more ints in `table`. The payload being written moves with the rest; earlier payloads keep the old table. */
  ensureTable(n: number): void {
    if (this.tablePos + n <= this.table.length) return;
    const next = this.ints(Math.max(this.table.length * 2, this.tablePos + n + 256));
    next.set(this.table.subarray(0, this.tablePos));
    this.table = next;
  }

  private ints(n: number): Int32Array {
    return this.memory ? new Int32Array(this.memory.take(n * 4), 0, n) : new Int32Array(n);
  }

  /** The page's offsets table (TranscodedPayload.fromTable): where each payload's keys and entries are. */
  table: Int32Array;
  tablePos = 0;

  /** The last buffer copy() read (a page's points share their response), its ArrayBuffer and offset. */
  #from: Uint8Array | undefined;
  #fromBuffer: ArrayBufferLike = new ArrayBuffer(0);
  #fromOffset = 0;

  /**
   * Copies `src[from, to)` here; returns where the copy starts in `buf` (the buffer now current).
   * TypedArray set() from a plain view, not Buffer.prototype.copy: copy's inline caches are shared
   * with every caller in the process, and in a migrate its loads went generic (perf: a LoadIC
   * builtin under this copy, ~6 % of readPoint's samples); set() from a view measured ~26 against
   * ~48 ns per 300 B (node 20 microbench, copy's caches polluted as a busy process's are).
   */
  copy(src: Buffer, from: number, to: number): number {
    this.ensure(to - from);
    const at = this.pos;
    if (src !== this.#from) {
      this.#from = src;
      this.#fromBuffer = src.buffer;
      this.#fromOffset = src.byteOffset;
    }
    this.buf.set(new Uint8Array(this.#fromBuffer, this.#fromOffset + from, to - from), at);
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

  /** A safe integer in decimal, as String(n) writes it (-0 as 0), without making the string. */
  int(n: number): void {
    this.ensure(17);
    const o = this.buf;
    let p = this.pos;
    if (n < 0) {
      o[p++] = 0x2d;
      n = -n;
    }
    let len = 1;
    for (let v = n; v >= 10; v = Math.floor(v / 10)) len++;
    p += len;
    this.pos = p;
    do {
      const q = Math.floor(n / 10);
      o[--p] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
}

/*
 * The transcoder's state lives in module-level `var`s, not `let`s: every read of a module `let`
 * from a function is checked for its temporal dead zone, and these are read per byte (varint,
 * the scans). `var` measured ~5 % less time per payload (ref768, real pages: /tmp/A/pj.mts,
 * 1.205 -> 1.145 µs min alternating in one process).
 */
/* eslint-disable no-var */
/** The input of the payload being written (one at a time: decoding is synchronous) and the cursor in it. */
var src: Buffer = Buffer.alloc(0);
var at = 0;

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
function int64Json(out: JsonOut): void {
  const start = at;
  const n = varint();
  // Up to 7 bytes a varint is at most 49 bits: non-negative and exact as a number.
  if (at - start <= 7) return out.int(n);
  // Beyond, no bigint (a rich payload's counters above 2^53 made one per byte): the low 49 bits
  // and the rest, as numbers, then decimal in two parts below (bigInt64Json).
  at = start;
  let low = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    low += (src[at++]! & 0x7f) * scale;
    scale *= 128;
  }
  let high = 0;
  scale = 1;
  for (;;) {
    const b = src[at++]!;
    high += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
  }
  // int64 is two's complement: bit 63 (bit 14 of `high`) set is a negative value; varint bits
  // above 63 are not part of it.
  high %= 2 ** 15;
  if (high < 2 ** 14) return bigInt64Json(high, low, out);
  out.byte(0x2d);
  // The magnitude, 2^64 - value, in the same two parts.
  if (low === 0) return bigInt64Json(2 ** 15 - high, 0, out);
  bigInt64Json(2 ** 15 - high - 1, TWO_49 - low, out);
}

const TWO_49 = 2 ** 49;

/**
 * high * 2^49 + low (high < 2^15, low < 2^49) in decimal, exactly, with numbers only: in base 1e8,
 * 2^49 = 5629499 * 1e8 + 53421312, so the value is (high * 5629499 + low / 1e8 + carry) * 1e8 +
 * the rest, every part an integer far below 2^53.
 */
function bigInt64Json(high: number, low: number, out: JsonOut): void {
  const lowHigh = Math.floor(low / 1e8);
  const lowRest = low - lowHigh * 1e8 + high * 53421312;
  const carry = Math.floor(lowRest / 1e8);
  const upper = high * 5629499 + lowHigh + carry;
  const rest = lowRest - carry * 1e8;
  if (upper === 0) return out.int(rest);
  out.int(upper);
  out.ensure(8);
  const o = out.buf;
  let p = out.pos + 8;
  out.pos = p;
  let r = rest;
  for (let i = 0; i < 8; i++) {
    const q = Math.floor(r / 10);
    o[--p] = 0x30 + (r - q * 10);
    r = q;
  }
}

const POW10 = [1, 10, 100, 1000, 10000];

/**
 * A double as String(d) writes it (non-finite: null), mostly without making that string: an
 * integral one below 2^53 as its digits, and one with at most 4 decimals (prices, scores, ratings)
 * as the digits of d * 10^k with the point put back. String(d) is the fewest digits that read back
 * as d; the first k for which round(|d| * 10^k) / 10^k reads back as |d| gives exactly those
 * (below 2^31 the k-decimal numbers are far further apart than neighbouring doubles, so there is
 * one candidate, and it is found: the product's rounding error is far below 0.5).
 */
function doubleJson(d: number, out: JsonOut): void {
  if (Number.isSafeInteger(d)) return out.int(d);
  const a = Math.abs(d);
  if (a >= 1e-4 && a < 2 ** 31) {
    for (let k = 1; k <= 4; k++) {
      const scale = POW10[k]!;
      const m = Math.round(a * scale);
      if (m / scale !== a) continue;
      const whole = Math.floor(m / scale);
      let frac = m - whole * scale;
      if (d < 0) out.byte(0x2d);
      out.int(whole);
      out.ensure(k + 1);
      const o = out.buf;
      let p = out.pos + k + 1;
      out.pos = p;
      for (let i = 0; i < k; i++) {
        const q = Math.floor(frac / 10);
        o[--p] = 0x30 + (frac - q * 10);
        frac = q;
      }
      o[--p] = 0x2e;
      return;
    }
  }
  out.ascii(Number.isFinite(d) ? String(d) : 'null');
}

function skip(wire: number): void {
  if (wire === 0) varint();
  else if (wire === 1) at += 8;
  else if (wire === 2) at += varint();
  else if (wire === 5) at += 4;
  else throw new RangeError(`unsupported wire type ${wire}`);
}

/**
 * Keys by their bytes: a small two-way cache, so that the keys a collection repeats on every
 * point (in any order: Qdrant sends each point's keys in its own order) are checked, escaped and
 * made into strings once, not once per key per point. A slot holds a copy of the key's bytes, its
 * string and its JSON text with the colon (`"key":`), or no text when the key must go to the
 * general path (reordered by JS objects, not UTF-8). A third key of one set replaces one of two.
 */
const INTERN_SLOTS = 1024;
const INTERN_MAX_BYTES = 64;
const internBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(INTERN_SLOTS).fill(undefined);
const internNames: string[] = new Array<string>(INTERN_SLOTS).fill('');
const internJson: Array<Uint8Array | null> = new Array<Uint8Array | null>(INTERN_SLOTS).fill(null);

/** The key entry() wrote last: its string, and its slot (-1: not cached). */
var keyName = '';
var keySlot = -1;
/**
 * Per set of two slots (a key lives in either slot of its set, see key()), the payload that used
 * it last (payloadToJson's count): a repeated key, without a search.
 */
const internSeen = new Float64Array(INTERN_SLOTS >> 1);
/** Per set, the slot the next miss replaces when both are taken (they take turns). */
const internVictim = new Uint8Array(INTERN_SLOTS >> 1);
var payloadNo = 0;

/** What a cached key's JSON is: fails (general path), its bytes in quotes, or escaped (internJson). */
const KEY_FAILS = 0;
const KEY_PLAIN = 1;
const KEY_ESCAPED = 2;
const internKind = new Uint8Array(INTERN_SLOTS);

/** Writes `"key":` for the UTF-8 key `src[start, end)` and sets keyName, or FAIL (general path). */
function key(start: number, end: number, out: JsonOut): number {
  keySlot = -1;
  const n = end - start;
  if (n > INTERN_MAX_BYTES) return freshKey(start, end, out, -1);
  // The bytes are written out as they are hashed: most keys need no escape, and then they are
  // already in place once the cache confirms it (one pass over the key less).
  out.ensure(n + 3);
  const o = out.buf;
  const s = src;
  let p = out.pos + 1;
  let h = 0x811c9dc5; // FNV-1a
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    o[p++] = c;
    h = Math.imul(h ^ c, 0x01000193);
  }
  // Two slots per hash (a set): two keys of one collection that share a hash ('depth' and 'k' of
  // the rich workload did, at 512 one-way slots) would otherwise push each other out on every point.
  let slot = (h >>> 0) & (INTERN_SLOTS - 2);
  let bytes = internBytes[slot];
  if (bytes === undefined || !sameBytes(bytes, start, end)) {
    bytes = internBytes[++slot];
    if (bytes === undefined || !sameBytes(bytes, start, end)) return freshKey(start, end, out, victim(slot - 1));
  }
  const kind = internKind[slot]!;
  if (kind === KEY_PLAIN) {
    o[out.pos] = 0x22;
    o[p++] = 0x22;
    o[p++] = 0x3a;
    out.pos = p;
  } else if (kind === KEY_FAILS) return FAIL;
  else {
    const json = internJson[slot]!;
    out.ensure(json.length);
    out.buf.set(json, out.pos);
    out.pos += json.length;
  }
  keyName = internNames[slot]!;
  keySlot = slot;
  return 0;
}

/** Which slot of the set starting at `first` a new key takes: an empty one, else each in turn. */
function victim(first: number): number {
  if (internBytes[first] === undefined) return first;
  if (internBytes[first + 1] === undefined) return first + 1;
  const set = first >> 1;
  const turn = internVictim[set]! ^ 1;
  internVictim[set] = turn;
  return first + turn;
}

/** `src[start, end)` equals `bytes`. */
function sameBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== src[start + i]) return false;
  return true;
}

/** A key not in the cache: checked and written the long way, then kept in `slot` (unless -1). */
function freshKey(start: number, end: number, out: JsonOut, slot: number): number {
  const at = out.pos;
  const ok = plainKey(start, end) && string(start, end, out) !== FAIL;
  if (ok) out.byte(0x3a);
  keyName = src.toString('utf8', start, end);
  if (slot >= 0) {
    internBytes[slot] = Uint8Array.prototype.slice.call(src, start, end);
    internNames[slot] = keyName;
    internJson[slot] = ok ? Uint8Array.prototype.slice.call(out.buf, at, out.pos) : null;
    internKind[slot] = !ok ? KEY_FAILS : out.pos - at === end - start + 3 ? KEY_PLAIN : KEY_ESCAPED;
    // internSeen of the set stays: a key replaced here during this payload still counts as seen
    // (a nested key may take the slot of a top-level one that then comes again, in either slot).
    keySlot = slot;
  }
  return ok ? 0 : FAIL;
}

/**
 * The `$meta` JSON of one point's payload, from the map entries (field 2 of RetrievedPoint) among
 * the fields in `buf[from, to)` (other fields there are skipped), or undefined when the general path
 * must decide (see above).
 */
export function payloadToJson(buf: Buffer, from: number, to: number, out: JsonOut): TranscodedPayload | undefined {
  if (buf !== src) {
    src = buf;
    srcBase = buf.byteOffset;
    if (wordsOf !== buf.buffer) {
      wordsOf = buf.buffer;
      words = new Int32Array(buf.buffer, 0, buf.buffer.byteLength >> 2);
    }
  }
  const start = out.pos;
  const tableStart = out.tablePos;
  let n = 0;
  // The keys' slots, hashed in order (keyList): -1 once a key is not cached, then no list is shared.
  let listHash = 0x811c9dc5;
  let dropped: string[] | undefined;
  const no = ++payloadNo;
  nulls = 0;
  structTop = 0;
  out.byte(0x7b);
  at = from;
  while (at < to) {
    const entryStart = at;
    const t = varint();
    if (t !== 0x12) {
      skip(t & 7);
      continue;
    }
    const len = varint();
    const end = at + len;
    const written = entry(end, out, n > 0);
    if (written === FAIL) return fail(out, start, tableStart);
    // A repeated key goes to the general path. A cached key whose set this payload has not used
    // cannot be a repeat; otherwise (a repeat, or two keys sharing a slot) and for keys too long
    // to cache, the keys so far (left-out ones too) are searched.
    if (keySlot >= 0 && internSeen[keySlot >> 1] !== no) internSeen[keySlot >> 1] = no;
    else if (listed(keyName, n) || dropped?.includes(keyName)) return fail(out, start, tableStart);
    if (written === NULL) {
      (dropped ??= []).push(keyName);
      nulls++;
      continue;
    }
    keyList[n++] = keyName;
    listHash = keySlot < 0 || listHash < 0 ? -1 : Math.imul(listHash ^ keySlot, 0x01000193) >>> 0;
    out.ensureTable(4);
    const table = out.table;
    const p = out.tablePos;
    table[p] = keyStart - start;
    table[p + 1] = keyEnd - start;
    table[p + 2] = entryStart - from;
    table[p + 3] = end - from;
    out.tablePos = p + 4;
  }
  out.byte(0x7d);
  // A plain Uint8Array view: half the cost of a Buffer's subarray (~30 vs ~65 ns), one per payload.
  const b = out.buf;
  return TranscodedPayload.fromTable(new Uint8Array(b.buffer, b.byteOffset + start, out.pos - start), keysOf(n, listHash), out.table, tableStart, nulls, dropped);
}

/** The top-level keys written so far of the payload being written (its first n entries: one list, reused). */
const keyList: string[] = [];

/** `name` is among keyList's first n keys. */
function listed(name: string, n: number): boolean {
  for (let i = 0; i < n; i++) if (keyList[i] === name) return true;
  return false;
}

/**
 * Key lists shared by payloads, by the hash of their slots: the points of a collection mostly
 * repeat a few key orders, and a list per payload was ~180 B of heap kept as long as its page.
 */
const LISTS = 256;
const lists: Array<readonly string[] | undefined> = new Array<readonly string[] | undefined>(LISTS).fill(undefined);
/** Per list in `lists`: frozen yet (it is, from its second payload on). */
const listFrozen = new Uint8Array(LISTS);

/**
 * keyList's first n keys as a list, the one already kept for them when there is one (hash -1: none
 * can be). A list is frozen once a second payload shares it: freezing every list cost ~45 ns a
 * payload, and most lists are never shared (Qdrant sends each point's keys in an order of its own).
 */
function keysOf(n: number, hash: number): string[] {
  const i = hash & (LISTS - 1);
  const kept = hash < 0 ? undefined : lists[i];
  if (kept !== undefined && kept.length === n) {
    let k = 0;
    while (k < n && kept[k] === keyList[k]) k++;
    if (k === n) {
      if (listFrozen[i] === 0) {
        Object.freeze(kept);
        listFrozen[i] = 1;
      }
      return kept as string[];
    }
  }
  const keys = keyList.slice(0, n);
  if (hash >= 0) {
    lists[i] = keys;
    listFrozen[i] = 0;
  }
  return keys;
}

function fail(out: JsonOut, start: number, tableStart: number): undefined {
  out.pos = start;
  out.tablePos = tableStart;
  return undefined;
}

/** Null-valued keys left out by the payload being written (payloadToJson). */
var nulls = 0;
/** Where the last entry() written put its `"key":` text in `out.buf`: [keyStart, keyEnd). */
var keyStart = 0;
var keyEnd = 0;

/**
 * One map entry (key 1, value 2) ending at `end`, as `"key":value` (after a comma when `comma`);
 * the cursor ends at `end`. A null value: nothing is written, NULL is returned (keyName is set).
 */
function entry(end: number, out: JsonOut, comma: boolean): number {
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
  const mark = out.pos;
  if (comma) out.byte(0x2c);
  const ks0 = out.pos;
  if (key(ks, ke, out) === FAIL) return FAIL;
  const name = keyName;
  const slot = keySlot;
  const ke0 = out.pos;
  // An absent value is Value's default, null: a null-valued key, left out (mapping's rule).
  let r = NULL;
  if (vs >= 0) {
    at = vs;
    r = valueJson(ve, out, true);
    if (r === FAIL) return FAIL;
  }
  at = end;
  keyName = name;
  keySlot = slot;
  if (r === NULL) {
    out.pos = mark;
    return NULL;
  }
  keyStart = ks0;
  keyEnd = ke0;
  return 0;
}

/** A key a JS object keeps in insertion order (array-index-like keys are moved first). */
function plainKey(start: number, end: number): boolean {
  if (start === end) return true;
  const first = src[start]!;
  if (first < 0x30 || first > 0x39) return true;
  // Digits only: an array index (canonical, below 2^32 - 1) is reordered by JS objects.
  for (let i = start; i < end; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return true;
  return !(end - start <= 10 && (first !== 0x30 || end - start === 1) && Number(src.toString('latin1', start, end)) < 0xffffffff);
}

/** Value ending at `end`: null 1, double 2, integer 3, string 4, bool 5, struct 6, list 7.
 *  `inObject`: a null here is a null-valued key: NULL, nothing written. */
function valueJson(end: number, out: JsonOut, inObject: boolean): number {
  let kinds = 0;
  let isNull = false;
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
      // null: kept as an element of a list; a null-valued key is left out (NULL, below).
      skip(wire);
      isNull = true;
    } else if (field === 2 && wire === 1) {
      const d = src.readDoubleLE(at);
      at += 8;
      doubleJson(d, out);
    } else if (field === 3 && wire === 0) int64Json(out);
    else if (field === 5 && wire === 0) out.ascii(varint() !== 0 ? 'true' : 'false');
    else if (wire === 2 && field >= 4) {
      const len = varint();
      const s = at;
      const e = s + len;
      if (field === 4 ? string(s, e, out) === FAIL : field === 6 ? struct(e, out) === FAIL : list(e, out) === FAIL) return FAIL;
      at = e;
    } else return FAIL; // a kind on an unexpected wire type: the general path reads it as null
  }
  if (kinds === 0 || isNull) {
    if (inObject) return NULL;
    out.ascii('null');
  }
  return 0;
}

/**
 * The keys of the structs being written, the innermost's last (structKeys[its base, structTop)): a
 * nested object's repeated key is found in one list shared by all of them, not a Set per object
 * (~740 B per point of the rich workload). A payload that fails leaves it as it is: payloadToJson
 * starts each payload at 0.
 */
const structKeys: string[] = [];
var structTop = 0;

/** Struct ending at `end`: fields 1 (map entries). A key repeated in one struct (a left-out one too) goes to the general path. */
function struct(end: number, out: JsonOut): number {
  const base = structTop;
  // Past a few dozen keys, a Set: the scan of structKeys is quadratic.
  let seen: Set<string> | undefined;
  let written = 0;
  out.byte(0x7b);
  while (at < end) {
    const t = varint();
    if (t !== 0x0a) {
      skip(t & 7);
      continue;
    }
    const len = varint();
    const e = at + len;
    // A nested struct in the value uses structKeys above structTop and gives it back.
    const r = entry(e, out, written > 0);
    if (r === FAIL) return FAIL;
    if (r === NULL) nulls++;
    else written++;
    // Keys that are valid UTF-8 (others failed) are equal strings exactly when their bytes are equal.
    const id = keyName;
    if (seen) {
      if (seen.has(id)) return FAIL;
      seen.add(id);
      continue;
    }
    for (let i = base; i < structTop; i++) if (structKeys[i] === id) return FAIL;
    structKeys[structTop++] = id;
    if (structTop - base > 32) seen = new Set(structKeys.slice(base, structTop));
  }
  structTop = base;
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

/** The buffer `src` is a view of, as 32-bit words (made once per buffer: a page's points share it),
 *  and where `src` starts in it; set by payloadToJson (typed-array getters cost, once per string). */
var words: Int32Array<ArrayBufferLike> = new Int32Array(0);
var wordsOf: ArrayBufferLike | undefined;
var srcBase = 0;
/** Set by plainEnd(): the bytes it passed have the high bit set somewhere (not pure ASCII). */
var plainHigh = false;

/**
 * The index of the first byte of `src[start, end)` that JSON must escape (below 0x20, `"`, `\`),
 * or `end`. Four bytes at a time where aligned: a byte-by-byte scan was the transcoder's hottest
 * loop (~1 in 8 of decode time on 768-d points' ~220 bytes of strings). The word test has no false
 * negatives (a borrow only ever comes from a byte that matches), and a match is re-checked bytewise.
 */
function plainEnd(start: number, end: number): number {
  const s = src;
  const base = srcBase;
  let high = 0;
  let i = start;
  if (end - start >= 8) {
    for (; ((base + i) & 3) !== 0; i++) {
      const c = s[i]!;
      if (c < 0x20 || c === 0x22 || c === 0x5c) return done(i, high);
      high |= c;
    }
    const w = words;
    const last = (base + end) >> 2;
    let k = (base + i) >> 2;
    for (; k < last; k++) {
      const x = w[k]!;
      const q = x ^ 0x22222222;
      const b = x ^ 0x5c5c5c5c;
      if ((((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080) break;
      high |= x;
    }
    i = (k << 2) - base;
  }
  for (; i < end; i++) {
    const c = s[i]!;
    if (c < 0x20 || c === 0x22 || c === 0x5c) break;
    high |= c;
  }
  return done(i, high);
}

function done(i: number, high: number): number {
  plainHigh = (high & 0x80808080) !== 0;
  return i;
}

/** A JSON string literal of the UTF-8 bytes `src[start, end)`, escaped as JSON.stringify does. */
function string(start: number, end: number, out: JsonOut): number {
  // Locals, not the module's bindings: the byte loops below are the payload's hottest.
  const s = src;
  // Most strings need no escape: found by a read-only scan, then copied whole (a byte loop that
  // also writes cost ~2x as much on 768-d points' ~250 bytes of payload text).
  const n = end - start;
  if (plainEnd(start, end) === end) {
    out.ensure(n + 2);
    const o = out.buf;
    let p = out.pos;
    o[p++] = 0x22;
    // Longer strings are copied within one buffer where they can be (grpc-scroll.ts writes the
    // JSON beside its copy of the payload): a memmove without the view Buffer.copy makes per call,
    // ~190 B per 768-d point to collect. Across buffers when `out` grew during this payload.
    if (n < PLAIN_COPY_MIN) for (let i = start; i < end; i++) o[p++] = s[i]!;
    else if (o === s) o.copyWithin(p, start, end);
    else s.copy(o, p, start, end);
    o[out.pos + 1 + n] = 0x22;
    // Invalid UTF-8 decodes to U+FFFD on the general path: let it write that.
    if (plainHigh && !isUtf8(s.subarray(start, end))) return FAIL;
    out.pos += n + 2;
    return 0;
  }
  out.ensure(n * 6 + 2);
  const o = out.buf;
  let p = out.pos;
  o[p++] = 0x22;
  let high = 0;
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
  if (high >= 0x80 && !isUtf8(s.subarray(start, end))) return FAIL;
  out.pos = p;
  return 0;
}
/* eslint-enable no-var */
