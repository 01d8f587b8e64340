/**
 * sameJsonText (src/core/compare-json-text.ts): the compare engine's token-by-token payload test.
 * It may answer false for equal values spelt two ways (the caller then compares in full), but a
 * `true` must always mean equal: property-tested on random payloads written as the transcoder
 * writes them (compact, Qdrant's key order) and as Milvus Lite 3's json.dumps does (keys sorted,
 * `", "` and `": "`), and on changed copies of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'lossless-json';
import { sameJsonText } from '../../src/core/compare-json-text.ts';

type J = null | boolean | string | { num: string } | J[] | { [k: string]: J };
const isNum = (v: J): v is { num: string } => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && 'num' in v && typeof v.num === 'string';

/** A small deterministic PRNG (mulberry32): the same cases every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'name', 'rank', 'x y', 'k"q', 'c,d', 'e:f', '{', 'é', 'num2', '', '名前', 'größe_🚀', 'eà'];
const STRINGS = ['', 'x', 'a, b: c', '"quoted"', 'back\\slash', '[1, 2]', '{"k": 1}', 'tab\there', 'Zürich', 'line\nbreak', '名前-7', '🚀 up', 'del\u007f', 'ctl\u0001', 'Zurich', 'è'];
const NUMBERS = ['0', '-1', '3', '24.383', '1e-7', '-0.5', '12345678901234567891', '9007199254740993', '1.5e+300'];

function gen(r: () => number, depth: number): J {
  const k = r();
  if (depth > 2 || k < 0.45) {
    const s = r();
    if (s < 0.1) return null;
    if (s < 0.2) return r() < 0.5;
    if (s < 0.6) return { num: NUMBERS[Math.floor(r() * NUMBERS.length)]! };
    return STRINGS[Math.floor(r() * STRINGS.length)]!;
  }
  if (k < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => gen(r, depth + 1));
  const o: { [k: string]: J } = {};
  for (let n = Math.floor(r() * 5); n > 0; n--) o[KEYS[Math.floor(r() * KEYS.length)]!] = gen(r, depth + 1);
  return o;
}

/** Python's json.dumps (ensure_ascii): every character outside printable ASCII as a \u escape, astral ones as surrogate pairs. */
const asciiOnly = (json: string): string => json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Writes a value: compact in a shuffled key order (the source), or json.dumps style with sorted keys and escapes (the target). */
function write(v: J, style: 'source' | 'target', r: () => number): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return style === 'target' ? asciiOnly(JSON.stringify(v)) : JSON.stringify(v);
  if (isNum(v)) return v.num;
  const [comma, colon] = style === 'source' ? [',', ':'] : [', ', ': '];
  if (Array.isArray(v)) return `[${v.map((x) => write(x, style, r)).join(comma)}]`;
  const keys = Object.keys(v);
  if (style === 'source') keys.sort(() => r() - 0.5);
  else keys.sort();
  const key = (k: string) => (style === 'target' ? asciiOnly(JSON.stringify(k)) : JSON.stringify(k));
  return `{${keys.map((k) => `${key(k)}${colon}${write(v[k]!, style, r)}`).join(comma)}}`;
}

/** A copy changed in one place (a value, a key, an element more or less). */
function mutate(v: J, r: () => number): J {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? `${v}!` : v === null ? false : isNum(v) ? v : null;
  if (isNum(v)) return { num: v.num === '0' ? '1' : `${v.num}1` };
  if (Array.isArray(v)) {
    if (v.length === 0 || r() < 0.3) return [...v, null];
    const i = Math.floor(r() * v.length);
    return v.map((x, k) => (k === i ? mutate(x, r) : x));
  }
  const keys = Object.keys(v);
  if (keys.length === 0 || r() < 0.2) return { ...v, added: 1 as unknown as J };
  const key = keys[Math.floor(r() * keys.length)]!;
  if (r() < 0.3) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === key ? `${k}_` : k, x]));
  return { ...v, [key]: mutate(v[key]!, r) };
}

const bytes = (s: string) => Buffer.from(s, 'utf8');
const parsed = (s: string) => parse(s);

describe('sameJsonText', () => {
  it('finds a payload equal to itself written compact in any key order and as json.dumps writes it', () => {
    const r = rng(11);
    for (let n = 0; n < 1000; n++) {
      const v = gen(r, 0);
      assert.equal(sameJsonText(bytes(write(v, 'source', r)), bytes(write(v, 'target', r))), true, write(v, 'source', r));
      assert.equal(sameJsonText(bytes(write(v, 'target', r)), bytes(write(v, 'source', r))), true);
    }
  });

  it('never calls two different payloads equal', () => {
    const r = rng(12);
    let differ = 0;
    for (let n = 0; n < 1000; n++) {
      const v = gen(r, 0);
      const a = write(v, 'source', r);
      const b = write(mutate(v, r), 'target', r);
      const equal = isDeepStrictEqual(parsed(a), parsed(b));
      if (!equal) differ++;
      if (sameJsonText(bytes(a), bytes(b))) assert.ok(equal, `${a} vs ${b}`);
    }
    assert.ok(differ > 600, `mutations made ${differ} different pairs`);
  });

  it('matches the keys of a large object in the same, reversed or any order, and finds one changed value', () => {
    const r = rng(13);
    const entries = Array.from({ length: 3000 }, (_, k) => [`key${k}`, k] as const);
    const text = (list: ReadonlyArray<readonly [string, number]>, sep: string) => `{${list.map(([k, v]) => `"${k}":${sep}${v}`).join(`,${sep}`)}}`;
    const shuffled = [...entries].sort(() => r() - 0.5);
    const source = bytes(text(entries, ''));
    assert.equal(sameJsonText(source, bytes(text(entries, ' '))), true);
    assert.equal(sameJsonText(source, bytes(text([...entries].reverse(), ' '))), true);
    assert.equal(sameJsonText(source, bytes(text(shuffled, ' '))), true);
    const changed = shuffled.map(([k, v]) => [k, k === 'key1500' ? v + 1 : v] as const);
    assert.equal(sameJsonText(source, bytes(text(changed, ' '))), false);
  });

  it('reads string escapes: json.dumps \\u escapes equal raw UTF-8, one changed character does not', () => {
    const same = (a: string, b: string) => sameJsonText(bytes(a), bytes(b));
    assert.equal(same('{"a":"é"}', '{"a": "\\u00e9"}'), true);
    assert.equal(same('{"a":"é"}', '{"a": "\\u00E9"}'), true);
    assert.equal(same('{"größe_🚀":"名前-1"}', '{"gr\\u00f6\\u00dfe_\\ud83d\\ude80": "\\u540d\\u524d-1"}'), true);
    assert.equal(same('{"a":"a/b\\n"}', '{"a": "a\\/b\\u000a"}'), true);
    assert.equal(same('{"a":"é"}', '{"a": "\\u00e8"}'), false);
    assert.equal(same('{"a":"名前-1"}', '{"a": "\\u540d\\u524d-2"}'), false);
    assert.equal(same('{"a":"🚀"}', '{"a": "\\ud83d"}'), false);
    assert.equal(same('{"a":"🚀"}', '{"a": "\\ud83d\\ude80\\ude80"}'), false);
    assert.equal(same('{"é":1}', '{"\\u00e9": 1}'), true);
    assert.equal(same('{"é":1,"e":2}', '{"e": 2, "\\u00e9": 1}'), true);
    assert.equal(same('{"é":1}', '{"e": 1}'), false);
    // Bytes no decoder reads as the escaped character (overlong, surrogate, cut-off UTF-8), a broken escape: not shown equal.
    assert.equal(sameJsonText(Buffer.from([0x22, 0xc0, 0xaf, 0x22]), bytes('"/"')), false);
    assert.equal(sameJsonText(Buffer.from([0x22, 0xed, 0xa0, 0xbd, 0x22]), bytes('"\\ud83d"')), false);
    assert.equal(sameJsonText(Buffer.from([0x22, 0xc3, 0x22]), bytes('"\\u00c3"')), false);
    assert.equal(same('"\\x41"', '"A"'), false);
    assert.equal(same('"\\u00g9"', '"\\u00g8"'), false);
  });

  it('holds a key the target repeats or lacks, and spellings it cannot read, for a full comparison', () => {
    assert.equal(sameJsonText(bytes('{"a":1,"b":1}'), bytes('{"a": 1, "a": 1}')), false);
    assert.equal(sameJsonText(bytes('{"a":1,"b":1}'), bytes('{"a": 1}')), false);
    assert.equal(sameJsonText(bytes('{"a":1}'), bytes('{"a": 1, "b": 1}')), false);
    assert.equal(sameJsonText(bytes('{"a":[1,2]}'), bytes('{"a": [2, 1]}')), false);
    assert.equal(sameJsonText(bytes('{"a":1e-7}'), bytes('{"a": 1e-07}')), false);
    assert.equal(sameJsonText(bytes('{"a":1}'), bytes('{"a": 1} x')), false);
    assert.equal(sameJsonText(bytes('{"a":1'), bytes('{"a": 1')), false);
    assert.equal(sameJsonText(bytes(''), bytes('')), false);
    assert.equal(sameJsonText(bytes('{}'), bytes('{ }')), true);
    assert.equal(sameJsonText(bytes('{"b":{"y":[],"x":{}},"a":"s"}'), bytes('{"a": "s", "b": {"x": {}, "y": []}}')), true);
  });
});
