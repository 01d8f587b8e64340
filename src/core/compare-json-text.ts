/**
 * Are two JSON texts the same value? Answered on the bytes, without parsing either side: the
 * compare engine's first payload test (compare-payload.ts), run on every row `verify --full` and
 * `sync` compare. The source's text is the transcoder's (JSON.stringify style: no spaces, keys in
 * Qdrant's order); Milvus Lite 3's is Python's json.dumps (keys sorted, `", "` and `": "`).
 * Parsing the target's text and re-serialising it cost a JSON.parse, an object, a stringify and
 * a Buffer per row (basic 100k: ~0.7 s of the check's CPU and a tenth of what it allocated).
 *
 * `true` means equal: objects have the same keys (byte-equal key text, each matched once) with
 * equal values at any depth and in any key order, arrays the same elements in order, and every
 * other value (string, number, true/false/null) the same bytes, so the same value however it is
 * read (integers of any length included). Whitespace between tokens is ignored.
 * `false` means "not shown equal here": texts that spell one value two ways (`\u00e9` against
 * `é`, `1e-07` against `1e-7`) answer false, and the caller compares them in full.
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

export function sameJsonText(a: Uint8Array, b: Uint8Array): boolean {
  const end = value(a, skip(a, 0), b, skip(b, 0), 0);
  return end >= 0 && skip(a, valueEnd(a, skip(a, 0))) === a.length && skip(b, end) === b.length;
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
  const ae = valueEnd(a, i);
  const be = valueEnd(b, j);
  return ae > i && sameBytes(a, i, ae, b, j, be) ? be : -1;
}

function array(a: Uint8Array, i: number, b: Uint8Array, j: number, top: number): number {
  i = skip(a, i + 1);
  j = skip(b, j + 1);
  while (a[i] !== CLOSE_ARRAY || b[j] !== CLOSE_ARRAY) {
    if (a[i] === CLOSE_ARRAY || b[j] === CLOSE_ARRAY) return -1;
    const ae = valueEnd(a, i);
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
    const ve = valueEnd(a, vs);
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
    if (entries[at + 1]! >= 0 && sameBytes(a, entries[at]!, entries[at + 1]!, b, k0, k1)) return at;
  }
  return -1;
}
