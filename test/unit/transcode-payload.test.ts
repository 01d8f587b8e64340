/**
 * The payload transcoder's fast paths (src/transcode/payload-json.ts), byte for byte against
 * milvus/rows.ts payloadJson of the decoded payload, and the decoded payload against the official
 * Qdrant codec (@qdrant/js-client-grpc + grpc-convert.ts):
 * - the key cache (each key's `"key":` text made once): more distinct keys than cache slots, long
 *   keys that are never cached, keys repeated in one payload (also after a nested object pushed
 *   the first copy out of the cache), which must go to the general path;
 * - the four-bytes-at-a-time string scan: escapes, control characters (NUL first too: payloadJson's
 *   exact path) and multi-byte UTF-8 at every position and alignment;
 * - integers (int64 of every size, without a bigint), integral doubles and doubles of up to 4
 *   decimals written from their digits, not a string.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { ScrollResponseSchema } from '@qdrant/js-client-grpc';
import { ProtoWriter } from '../../src/core/protobuf.ts';
import { PackedPoint, packedPayloadOf } from '../../src/core/packed-payload.ts';
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import { payloadJson } from '../../src/milvus/rows.ts';
import { fromGrpcPoint } from '../../src/qdrant/grpc-convert.ts';
import { decodeScrollResponse } from '../../src/qdrant/grpc-scroll.ts';
import { BlockPool } from '../../src/transcode/arena.ts';
import { TranscodedPayload } from '../../src/transcode/payload-bytes.ts';
import { mulberry32 } from '../../testkit/datasets/prng.ts';

type R = () => number;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** A protobuf Value (json_with_int.proto) for the JSON values used here; `dup` lists repeat a struct key. */
type Wire = JsonValue | { dup: Array<[string, Wire]> };
function value(v: Wire): ProtoWriter {
  const w = new ProtoWriter();
  if (v === null) return w.tag(1, 0).varint(0);
  if (typeof v === 'boolean') return w.tag(5, 0).varint(v ? 1 : 0);
  if (typeof v === 'bigint') return w.tag(3, 0).varint(BigInt.asUintN(64, v));
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 2 ** 40 && v % 3 === 0 ? w.tag(3, 0).varint(BigInt.asUintN(64, BigInt(v))) : w.double(2, v);
  if (typeof v === 'string') return w.string(4, v);
  if (Array.isArray(v)) {
    const list = new ProtoWriter();
    for (const x of v) list.message(1, value(x));
    return w.message(7, list);
  }
  const entries: Array<[string, Wire]> = 'dup' in v && Array.isArray(v.dup) ? (v.dup as Array<[string, Wire]>) : Object.entries(v as JsonObject);
  const struct = new ProtoWriter();
  for (const [k, x] of entries) struct.message(1, new ProtoWriter().string(1, k).message(2, value(x)));
  return w.message(6, struct);
}

/** A ScrollResponse of points whose payloads are the given map entries, in this order (repeats allowed). */
function response(payloads: Array<Array<[string, Wire]>>): Buffer {
  const m = new ProtoWriter();
  payloads.forEach((entries, i) => {
    const point = new ProtoWriter().message(1, new ProtoWriter().tag(1, 0).varint(i + 1));
    for (const [k, v] of entries) point.message(2, new ProtoWriter().string(1, k).message(2, value(v)));
    m.message(2, point);
  });
  return m.toBuffer();
}

/** Decodes one response three ways and checks them against each other; returns how many payloads were transcoded. */
function check(wire: Buffer, label: string): number {
  const pool = new BlockPool();
  const packed = decodeScrollResponse(wire, { packedVectors: true, pool });
  const plain = decodeScrollResponse(wire).points;
  const official = fromBinary(ScrollResponseSchema, wire).result.map((p) => fromGrpcPoint(p));
  let written = 0;
  // Key lists seen so far: one that a second payload shares must be frozen by then.
  const lists = new Set<readonly string[]>();
  packed.points.forEach((p, i) => {
    assert.deepEqual(plain[i]!.payload, official[i]!.payload, `${label} point ${i}: our decoder vs the official one`);
    const json = packedPayloadOf(p);
    if (json) {
      written++;
      assert.equal(Buffer.from(json.json).toString('utf8'), payloadJson(plain[i]!.payload), `${label} point ${i}`);
      assert.deepEqual(json.keys, Object.keys(plain[i]!.payload), `${label} point ${i} keys`);
      checkOffsets(p, json as TranscodedPayload, plain[i]!.payload, `${label} point ${i}`);
      if (lists.has(json.keys)) assert.ok(Object.isFrozen(json.keys), `${label} point ${i}: a key list shared by two payloads is frozen`);
      lists.add(json.keys);
    }
    assert.deepEqual(p.payload, plain[i]!.payload, `${label} point ${i}: lazy payload`);
  });
  packed.release?.();
  return written;
}

/** Where the transcoder says each key's text and protobuf entry are (mapping renames and promotes keys there). */
function checkOffsets(p: unknown, json: TranscodedPayload, payload: JsonObject, label: string): void {
  const texts = json.keys.map((_, k) => Buffer.from(json.json.subarray(json.keyAt[2 * k], json.keyAt[2 * k + 1])).toString());
  assert.deepEqual(texts, json.keys.map((k) => `${JSON.stringify(k)}:`), `${label}: keyAt`);
  const entryAt = json.entryAt!;
  const alone = json.keys.map((k, i) => PackedPoint.entryValue(p as PackedPoint, k, entryAt[2 * i]!, entryAt[2 * i + 1]!));
  assert.deepEqual(alone, json.keys.map((k) => payload[k]), `${label}: entryAt`);
}

/** Random strings over the characters that matter to the scan: plain ASCII, escapes, controls, multi-byte. */
function text(r: R): string {
  const parts = ['a', 'b', 'Z', ' ', '~', '"', '\\', '\n', '\t', '\u0000', '\u0001', '\u001f', '\u007f', 'é', '日', '🙂', '\u2028'];
  let s = '';
  for (let i = int(r, 0, 40); i > 0; i--) s += r() < 0.8 ? parts[int(r, 0, 4)]! : parts[int(r, 0, parts.length - 1)]!;
  return s;
}

test('strings with escapes, controls and multi-byte characters at every position are written as JSON.stringify writes them', () => {
  const r = mulberry32(7);
  for (let round = 0; round < 40; round++) {
    // A key of random length shifts each string's alignment in the response.
    const payloads = Array.from({ length: 50 }, () => [['k'.repeat(int(r, 1, 7)), text(r)], ['s', text(r)], ['l', [text(r), text(r)]]] as Array<[string, Wire]>);
    assert.equal(check(response(payloads), `round ${round}`), payloads.length);
  }
});

test('integers and integral doubles are written as their digits, exactly as payloadJson writes them', () => {
  const numbers = [0, -0, 1, -1, 3, 9, 10, 99, 100, 2 ** 31, -(2 ** 31), 2 ** 32 + 3, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 60, 1e20, 1e21, -1e21, 0.5, 123.456, 5e-324];
  const payloads = numbers.map((n, i) => [['n', n], ['i', BigInt(i) * 1234567n - 9n]] as Array<[string, Wire]>);
  payloads.push([['max', 2n ** 63n - 1n], ['min', -(2n ** 63n)], ['m1', -1n], ['big', 2n ** 53n + 1n]]);
  assert.equal(check(response(payloads), 'numbers'), payloads.length);
});

test('int64 of every size (50-64 bits and negative: written from two numbers, no bigint) is exactly its decimal', () => {
  const r = mulberry32(13);
  const values: bigint[] = [2n ** 49n - 1n, 2n ** 49n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 63n) + 1n, -1n, -(2n ** 49n), -(2n ** 49n) - 1n, 10n ** 18n, -(10n ** 18n), 99999999n * 10n ** 8n];
  for (let i = 0; i < 5000; i++) {
    const bits = BigInt(int(r, 1, 64));
    const v = BigInt(Math.floor(r() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(r() * 2 ** 32));
    values.push(BigInt.asIntN(64, v % 2n ** bits));
  }
  const payloads = values.map((v) => [['i', v]] as Array<[string, Wire]>);
  assert.equal(check(response(payloads), 'int64'), payloads.length);
});

test('doubles with a few decimals (written from their digits) and any others print as String(d)', () => {
  const r = mulberry32(5);
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const doubles: number[] = [0.1, 0.2, 0.3, 1.5, -2.25, 0.0001, 0.00012, 0.0009999, 99.999, 12.3456, 12.34567, 2 ** 31 - 0.5, 2 ** 31 + 0.5, 1e15 + 0.5, 0.1 + 0.2, 1 / 3, 5e-5, 4.35, 1.005, 8.675];
  for (let i = 0; i < 4000; i++) {
    const kind = i % 4;
    if (kind === 0) doubles.push(Math.round((r() - 0.5) * 10 ** int(r, 1, 12)) / 10 ** int(r, 1, 6)); // a few decimals, any magnitude
    else if (kind === 1) doubles.push(Number((r() * 100).toFixed(int(r, 1, 4)))); // what users type: scores, prices
    else if (kind === 2) doubles.push((r() - 0.5) * 2 ** int(r, -20, 40)); // full precision
    else {
      do {
        u32[0] = Math.floor(r() * 2 ** 32);
        u32[1] = Math.floor(r() * 2 ** 32);
      } while (!Number.isFinite(f64[0]));
      doubles.push(f64[0]!);
    }
  }
  const payloads = doubles.map((d) => [['d', d]] as Array<[string, Wire]>);
  assert.equal(check(response(payloads), 'doubles'), payloads.length);
});

test('more keys than the key cache holds, long keys and repeated keys: written exactly, or left to the general path', () => {
  const r = mulberry32(11);
  // 3,000 distinct keys (the cache has 512 slots), some longer than the 64 bytes it keeps.
  const names = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? `long_${'x'.repeat(60)}_${i}` : `key_${i.toString(36)}`));
  const payloads: Array<Array<[string, Wire]>> = [];
  for (let i = 0; i < 300; i++) payloads.push(Array.from({ length: int(r, 1, 12) }, () => names[int(r, 0, names.length - 1)]!).filter((k, j, a) => a.indexOf(k) === j).map((k) => [k, int(r, 0, 5)]));
  assert.equal(check(response(payloads), 'many keys'), payloads.length);

  // A key repeated in one payload: the general path decides (protobuf's last value wins).
  const nested: Array<[string, Wire]> = names.slice(0, 2000).map((k) => [k, 1]);
  const repeats: Array<Array<[string, Wire]>> = [
    [['a', 1], ['b', 2], ['a', 3]],
    [[names[5]!, 1], [names[5]!, 2]],
    [[names[0]!, 1], [names[3]!, 2], [names[0]!, 'again']],
    // The first `k` may be pushed out of the cache by the nested object's 2,000 keys before it comes again.
    [['k', 1], ['o', { dup: nested }], ['k', 2]],
    [['o', { dup: [['x', 1], ['y', 2], ['x', 3]] }]],
    [[names[0]!, 1], ['n', { dup: [[names[0]!, 'inner']] }]], // the same key at two depths is no repeat
  ];
  const written = check(response(repeats), 'repeats');
  assert.equal(written, 1, 'only the payload whose key appears once per object is transcoded');
});

test('payloads with the same keys in the same order share one key list; offsets stay right when a page outgrows its offsets table', () => {
  const r = mulberry32(29);
  const names = Array.from({ length: 24 }, (_, i) => `key_${i}`);
  // 300 points of 16-24 keys: ~5,000 keys' offsets, far more than a small page's first table holds.
  const payloads = Array.from({ length: 300 }, (_, i) => {
    const keys = i % 3 === 0 ? names.slice(0, 16) : i % 3 === 1 ? [...names].reverse() : names.slice(0, int(r, 16, 24));
    return keys.map((k) => [k, r() < 0.5 ? text(r) : int(r, 0, 1000)] as [string, Wire]);
  });
  const wire = response(payloads);
  assert.equal(check(wire, 'shared lists'), payloads.length);
  const points = decodeScrollResponse(wire, { packedVectors: true }).points;
  const lists = points.map((p) => packedPayloadOf(p)!.keys);
  assert.equal(lists[0], lists[3], 'the same keys in the same order: one list');
  assert.equal(lists[1], lists[4], 'likewise in another order');
  assert.ok(Object.isFrozen(lists[0]) && Object.isFrozen(lists[1]), 'a shared list is frozen (mapping reads it for every payload that shares it)');
  assert.notEqual(lists[0], lists[1]);
  assert.deepEqual(lists[1], [...names].reverse());
});

test('long strings stay exact when the page\'s JSON buffer grows in the middle of a payload (written from the copy in the old buffer)', () => {
  const r = mulberry32(31);
  for (let round = 0; round < 20; round++) {
    // Payloads of a few KB against a buffer sized by a quarter of the response: it grows several
    // times a page, sometimes between a payload's copy and its strings.
    const payloads = Array.from({ length: 40 }, () => [['a', 'x'.repeat(int(r, 24, 200))], ['b', 'é'.repeat(int(r, 300, 3000))], ['c', 'y'.repeat(int(r, 24, 5000))]] as Array<[string, Wire]>);
    assert.equal(check(response(payloads), `round ${round}`), payloads.length);
  }
});

test('objects inside objects and lists: a key repeated in one object goes to the general path, the same key in another object does not', () => {
  const wide: Array<[string, Wire]> = Array.from({ length: 40 }, (_, i) => [`w${i}`, i]);
  const payloads: Array<Array<[string, Wire]>> = [
    // Siblings and nested objects reuse their parents' and each other's keys: no repeat.
    [['a', { a: 1, b: { a: 2, b: { a: 3 } }, c: [{ a: 1, b: 2 }, { a: 3, b: 4 }] }], ['b', { a: 0, b: 1 }], ['c', [[{ x: 1 }], { x: 2, y: { x: 3 } }]]],
    // More keys than the scan handles before a Set takes over, each once.
    [['wide', Object.fromEntries(wide)], ['after', { w0: 1, w1: 2 }]],
    // Repeated after the Set took over, in an object after a nested one, in an object in a list.
    [['wide', { dup: [...wide, ['w3', 'again']] }]],
    [['o', { dup: [['x', { x: 1, y: 2 }], ['y', 2], ['x', 3]] }]],
    [['l', [{ ok: 1 }, { dup: [['p', 1], ['q', null], ['q', 2]] }]]],
    // After payloads that failed half way through nested objects, the next is written as usual.
    [['o', { x: { y: 1 }, y: 2 }], ['x', 1]],
  ];
  const wire = response(payloads);
  check(wire, 'nested keys');
  const transcoded = decodeScrollResponse(wire, { packedVectors: true }).points.map((p) => packedPayloadOf(p) !== undefined);
  assert.deepEqual(transcoded, [true, true, false, false, false, true]);
});
