/**
 * Are two JSON texts the same value? Answered on the bytes, without parsing either side: the
 * compare engine's first payload test (compare-payload.ts), run on every row `verify --full` and
 * `sync` compare. The source's text is what the migration wrote (JSON.stringify style: no spaces,
 * keys in Qdrant's order, non-ASCII as raw UTF-8); Milvus Lite 3's is Python's json.dumps (keys
 * sorted, `", "` and `": "`, every non-ASCII character as a `\u` escape).
 * Parsing the target's text and re-serialising it cost a JSON.parse, an object, a stringify and
 * a Buffer per row (basic 100k: ~0.7 s of the check's CPU and a tenth of what it allocated).
 *
 * `true` means equal: objects have the same keys (each matched once) with equal values at any
 * depth and in any key order, arrays the same elements in order, strings and keys the same
 * characters once escapes are read (`\u00e9` and `é` alike), and every other value (number,
 * true/false/null) the same bytes, so the same value however it is read (integers of any length
 * included). Whitespace between tokens is ignored.
 * `false` means "not shown equal here": texts that spell one number two ways (`1e-07` against
 * `1e-7`) answer false, and the caller compares them in full.
 * The texts are trusted to be JSON (both come from serialisers); broken text answers false.
 */

/** Entries of the objects being compared: [keyStart, keyEnd, valueStart, valueEnd] per source
 *  entry, nested objects above their parent's. Grows when needed; reused across calls. */
let entries = new Int32Array(256);

const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Where each container of `a` ends (the index after its closing bracket), by the index of its
 *  opening one: one pass over `a` first, so skipping a nested value of `a` (as the object walk does
 *  for every entry) costs nothing instead of a scan per level of nesting. Reused across calls. */
let ends = new Int32Array(4096);
let open = new Int32Array(64);

export function sameJsonText(a: Uint8Array, b: Uint8Array): boolean {
  if (!markEnds(a)) return false;
  const end = value(a, skip(a, 0), b, skip(b, 0), 0);
  return end >= 0 && skip(a, aEnd(a, skip(a, 0))) === a.length && skip(b, end) === b.length;
}

/** Fills `ends` for `a`'s containers; false when its brackets do not balance. */
function markEnds(a: Uint8Array): boolean {
  if (ends.length < a.length) ends = new Int32Array(Math.max(a.length, 2 * ends.length));
  let depth = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a[i];
    if (c === QUOTE) {
      i = stringEnd(a, i) - 1;
      if (i < 0) return false;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === open.length) {
        const grown = new Int32Array(2 * open.length);
        grown.set(open);
        open = grown;
      }
      open[depth++] = i;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0) return false;
      const at = open[--depth]!;
      if (a[at] !== (c === CLOSE_OBJECT ? OPEN_OBJECT : OPEN_ARRAY)) return false;
      ends[at] = i + 1;
    }
  }
  return depth === 0;
}

/** valueEnd for `a`, whose containers markEnds has measured. */
function aEnd(a: Uint8Array, i: number): number {
  const c = a[i];
  return c === OPEN_OBJECT || c === OPEN_ARRAY ? ends[i]! : valueEnd(a, i);
}

function skip(s: Uint8Array, i: number): number {
  while (i < s.length && (s[i] === SPACE || s[i] === 0x0a || s[i] === 0x0d || s[i] === 0x09)) i++;
  return i;
}

/** The index after the string that opens at `i`, or -1. */
function stringEnd(s: Uint8Array, i: number): number {
  for (i++; i < s.length; i++) {
    const c = s[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** The index after the value that starts at `i` (a string, a container, or a scalar's bytes), or -1. */
function valueEnd(s: Uint8Array, i: number): number {
  const c = s[i];
  if (c === QUOTE) return stringEnd(s, i);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    while (i < s.length) {
      const d = s[i];
      if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || d === SPACE || d === 0x0a || d === 0x0d || d === 0x09) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  for (; i < s.length; i++) {
    const d = s[i];
    if (d === QUOTE) {
      i = stringEnd(s, i) - 1;
      if (i < 0) return -1;
    } else if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
    else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return i + 1;
  }
  return -1;
}

function sameBytes(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) if (a[a0 + k] !== b[b0 + k]) return false;
  return true;
}

/**
 * Compares the values at a[i] and b[j]; answers the index after b's value when equal, else -1.
 * `top`: where this call's object entries start in `entries`.
 */
function value(a: Uint8Array, i: number, b: Uint8Array, j: number, top: number): number {
  const c = a[i];
  if (c !== b[j]) return -1;
  if (c === OPEN_OBJECT) return object(a, i, b, j, top);
  if (c === OPEN_ARRAY) return array(a, i, b, j, top);
  const ae = aEnd(a, i);
  const be = valueEnd(b, j);
  if (ae <= i || be <= j) return -1;
  return (c === QUOTE ? sameString(a, i, ae, b, j, be) : sameBytes(a, i, ae, b, j, be)) ? be : -1;
}

function array(a: Uint8Array, i: number, b: Uint8Array, j: number, top: number): number {
  i = skip(a, i + 1);
  j = skip(b, j + 1);
  while (a[i] !== CLOSE_ARRAY || b[j] !== CLOSE_ARRAY) {
    if (a[i] === CLOSE_ARRAY || b[j] === CLOSE_ARRAY) return -1;
    const ae = aEnd(a, i);
    j = value(a, i, b, j, top);
    if (j < 0 || ae < 0) return -1;
    i = afterItem(a, ae);
    j = afterItem(b, j);
    if (i < 0 || j < 0) return -1;
  }
  return j + 1;
}

/** Past the whitespace and the comma after an item, to the next item or the closing bracket; -1 on broken text. */
function afterItem(s: Uint8Array, i: number): number {
  i = skip(s, i);
  if (s[i] === COMMA) return skip(s, i + 1);
  return s[i] === CLOSE_ARRAY || s[i] === CLOSE_OBJECT ? i : -1;
}

/** Objects: a's entries noted in `entries` from `top` on, then each of b's matched to one of them by key bytes. */
function object(a: Uint8Array, i: number, b: Uint8Array, j: number, top: number): number {
  let n = 0;
  for (i = skip(a, i + 1); a[i] !== CLOSE_OBJECT; n++) {
    const ke = a[i] === QUOTE ? stringEnd(a, i) : -1;
    const colon = ke < 0 ? -1 : skip(a, ke);
    if (colon < 0 || a[colon] !== COLON) return -1;
    const vs = skip(a, colon + 1);
    const ve = aEnd(a, vs);
    if (ve < 0) return -1;
    const at = top + 4 * n;
    if (at + 4 > entries.length) {
      const grown = new Int32Array(entries.length * 2);
      grown.set(entries);
      entries = grown;
    }
    entries[at] = i;
    entries[at + 1] = ke;
    entries[at + 2] = vs;
    entries[at + 3] = ve;
    i = afterItem(a, ve);
    if (i < 0) return -1;
  }
  const nested = top + 4 * n;
  let matched = 0;
  let at0 = top - 4;
  for (j = skip(b, j + 1); b[j] !== CLOSE_OBJECT; matched++) {
    const ke = b[j] === QUOTE ? stringEnd(b, j) : -1;
    const colon = ke < 0 ? -1 : skip(b, ke);
    if (colon < 0 || b[colon] !== COLON) return -1;
    // From the entry after the last match: keys in the same order (or sorted on both sides) are
    // found at once, so a large object costs a pass, not a search per key.
    const at = find(a, top, n, (at0 - top) / 4 + 1, b, j, ke);
    if (at < 0) return -1;
    at0 = at;
    // Matched once: a key b repeats finds no second partner.
    entries[at + 1] = -1;
    j = value(a, entries[at + 2]!, b, skip(b, colon + 1), nested);
    if (j < 0) return -1;
    j = afterItem(b, j);
    if (j < 0) return -1;
  }
  return matched === n ? j + 1 : -1;
}

/** The `entries` index of a's unmatched entry whose key text equals b[k0, k1), or -1; the search
 *  starts at entry `from` and wraps around. */
function find(a: Uint8Array, top: number, n: number, from: number, b: Uint8Array, k0: number, k1: number): number {
  for (let k = 0; k < n; k++) {
    const at = top + 4 * ((from + k) % n);
    if (entries[at + 1]! >= 0 && sameString(a, entries[at]!, entries[at + 1]!, b, k0, k1)) return at;
  }
  return -1;
}

/**
 * Two string tokens (quotes included) that hold the same characters: the same bytes, or the same
 * characters once escapes are read, so `"\u00e9"` (Python's json.dumps, ensure_ascii: every
 * non-ASCII character escaped, astral ones as surrogate pairs) equals `"é"` (JSON.stringify's raw
 * UTF-8). Read as code points, a surrogate pair of escapes as one and a lone surrogate escape as
 * itself: equal sequences are exactly equal strings as JSON.parse builds them (UTF-16 units).
 * Keys that differ are told apart at their first character, so the key search stays cheap.
 */
function sameString(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): boolean {
  if (sameBytes(a, a0, a1, b, b0, b1)) return true;
  let i = a0 + 1;
  let j = b0 + 1;
  while (i < a1 - 1 && j < b1 - 1) {
    const ca = pointAt(a, i, a1 - 1);
    i = pointEnd;
    const cb = pointAt(b, j, b1 - 1);
    j = pointEnd;
    if (ca !== cb || ca < 0) return false;
  }
  return i === a1 - 1 && j === b1 - 1;
}

/** Set by pointAt: the index after the code point's bytes. */
let pointEnd = 0;

/**
 * The code point that starts at s[i] inside a string token ending before `end`: an escape (a
 * `\uD8xx\uDCxx` pair read as one) or a UTF-8 sequence. -1 for bytes a decoder would not read
 * as that character (a broken escape; malformed, overlong or surrogate UTF-8): never equal to
 * anything, so such text falls to the full compare.
 */
function pointAt(s: Uint8Array, i: number, end: number): number {
  const c = s[i]!;
  pointEnd = i + 1;
  if (c === BACKSLASH) return escapeAt(s, i, end);
  if (c < 0x80) return c;
  const n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n === 0 || c > 0xf4 || i + n > end) return -1;
  let cp = c & (0x7f >> n);
  for (let k = i + 1; k < i + n; k++) {
    const d = s[k]!;
    if ((d & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (d & 0x3f);
  }
  pointEnd = i + n;
  if (n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return -1;
  if (n === 4 && (cp < 0x10000 || cp > 0x10ffff)) return -1;
  return cp;
}

function escapeAt(s: Uint8Array, i: number, end: number): number {
  pointEnd = i + 2;
  switch (s[i + 1]) {
    case QUOTE: return QUOTE;
    case BACKSLASH: return BACKSLASH;
    case 0x2f: return 0x2f;
    case 0x62: return 0x08;
    case 0x66: return 0x0c;
    case 0x6e: return 0x0a;
    case 0x72: return 0x0d;
    case 0x74: return 0x09;
    case 0x75: break;
    default: return -1;
  }
  const u = hex4(s, i + 2, end);
  if (u < 0) return -1;
  pointEnd = i + 6;
  if (u < 0xd800 || u > 0xdbff || s[i + 6] !== BACKSLASH || s[i + 7] !== 0x75) return u;
  const low = hex4(s, i + 8, end);
  if (low < 0xdc00 || low > 0xdfff) return u;
  pointEnd = i + 12;
  return 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
}

/** The four hex digits at s[i, i + 4) as a number, or -1. */
function hex4(s: Uint8Array, i: number, end: number): number {
  if (i + 4 > end) return -1;
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const h = hexDigit(s[k]!);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}
