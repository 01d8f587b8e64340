/**
 * The transcoder (src/transcode, decodeScrollResponse packedVectors) against the path it replaces
 * and against the official codecs, by property tests over random pages of points:
 * - the Upsert bytes from packed vectors equal, byte for byte, the Upsert bytes from the number[]
 *   path (same rows, same rejections, same stats), for random plans: Int64/VarChar keys, float32,
 *   float16 and sparse fields, nullable and missing vectors, wrong dimensions, ids that do not fit,
 *   payloads with bigints, unicode and `__proto__` keys, nulls to drop, keys that clash with fields;
 * - the same request decodes, with the Milvus SDK's own protobufjs, to the message the SDK encodes
 *   from the official Qdrant codec's decoding (@qdrant/js-client-grpc + grpc-convert.ts);
 * - float16 conversion is bit for bit the SDK's f32ArrayToF16Bytes.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { ScrollResponseSchema } from '@qdrant/js-client-grpc';
import { f32ArrayToF16Bytes } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan, JsonObject, JsonValue, Point, SparseVector, VectorFieldPlan } from '../../src/core/types.ts';
import { dropNullKeys } from '../../src/mapping/payload.ts';
import { toRows } from '../../src/mapping/rows.ts';
import { encodeWriteRequest } from '../../src/milvus/encode.ts';
import { buildColumns, encodeRow, parsePayload, payloadJson } from '../../src/milvus/rows.ts';
import { diffJson } from '../../src/core/verify.ts';
import { packedPayloadOf } from '../../src/core/packed-payload.ts';
import { prepareUpserts } from '../../src/milvus/writer.ts';
import { fromGrpcPoint } from '../../src/qdrant/grpc-convert.ts';
import { decodeGetResponse, decodeScrollResponse } from '../../src/qdrant/grpc-scroll.ts';
import { float16Column, halfBits, PackedSparse } from '../../src/transcode/index.ts';
import { BlockPool } from '../../src/transcode/arena.ts';
import { TranscodedPayload } from '../../src/transcode/payload-bytes.ts';
import { encodeGetResponse, encodeScrollResponse } from '../../testkit/qdrant/grpc-fast.ts';
import type { RecordOut, VectorJson } from '../../testkit/qdrant/store.ts';
import { sdkUpsertCodec } from './sdk-upsert-codec.ts';
import { mulberry32 } from '../../testkit/datasets/prng.ts';

const codec = sdkUpsertCodec();
after(() => codec.close());

/** Seeded, so a failing case can be replayed from its seed. */
const rng = mulberry32;
type R = () => number;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: R, xs: readonly T[]): T => xs[int(r, 0, xs.length - 1)]!;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Any float32 but NaN (Qdrant cannot hold NaN): random bits, with zeros, subnormals, infinities and plain values mixed in. */
function float(r: R): number {
  const kind = int(r, 0, 9);
  if (kind === 0) return pick(r, [0, -0, Infinity, -Infinity, 1, -1, 65504, 65520, 2 ** -24, 2 ** -25, 1e-45]);
  if (kind <= 4) return Math.fround(r() * 2 - 1);
  do u32[0] = Math.floor(r() * 2 ** 32);
  while (Number.isNaN(f32[0]));
  return f32[0]!;
}

const KEYS = ['a', 'title', 'ключ', '白', '🙂', '__proto__', 'constructor', '', 'k "q"', 'vector', 'pk', '$meta', 'payload_pk', 'x\n'];
function jsonValue(r: R, depth: number, nulls = true): JsonValue {
  const kind = int(r, nulls ? 0 : 1, depth > 2 ? 5 : 7);
  switch (kind) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return int(r, -1e6, 1e6);
    case 3: return pick(r, [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 60n) - 7n]);
    case 4: return pick(r, [0.1, -2.5e-8, 1e21, 123.456, -0, Number.MAX_VALUE]);
    case 5: return pick(r, ['', 'plain', 'é "quoted" \\ back', 'tab\there\u0001', '日本語 🙂', '\u2028sep']);
    case 6: return Array.from({ length: int(r, 0, 3) }, () => (r() < 0.2 ? null : jsonValue(r, depth + 1, nulls)));
    default: return payload(r, depth + 1, nulls);
  }
}
/** `nulls: false`: no null-valued key at any depth (nulls in lists stay), the payloads the transcoder writes itself. */
function payload(r: R, depth = 0, nulls = true): JsonObject {
  const out: JsonObject = {};
  for (let i = int(r, 0, depth === 0 ? 6 : 3); i > 0; i--) {
    Object.defineProperty(out, pick(r, KEYS), { value: jsonValue(r, depth, nulls), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

interface Case { plan: CollectionPlan; records: RecordOut[] }

function field(over: Partial<VectorFieldPlan>): VectorFieldPlan {
  return { source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'IP', index: { type: 'FLAT', params: {} }, nullable: false, ...over };
}

/** A random plan and a page of points for it (some of them rejected by the mapping on purpose). */
function randomCase(seed: number): Case {
  const r = rng(seed);
  const pk = r() < 0.5 ? 'Int64' : 'VarChar';
  const kinds = Array.from({ length: int(r, 1, 3) }, () => pick(r, ['FloatVector', 'Float16Vector', 'SparseFloatVector'] as const));
  const named = kinds.length > 1 || r() < 0.5;
  const vectors = kinds.map((type, i) => {
    const source = named ? `v${i}` : '';
    const sparse = type === 'SparseFloatVector';
    return field({
      // Vectors of 128+ components are decoded packed; shorter ones as numbers: both mixed in.
      source, field: source === '' ? 'vector' : `f_${i}`, type, dim: sparse ? undefined : r() < 0.5 ? int(r, 2, 40) : int(r, 128, 160),
      nullable: r() < 0.25, ...(sparse && r() < 0.5 ? { missingAsEmpty: true } : {}),
    });
  });
  const plan: CollectionPlan = {
    source: 's', target: 't', description: '', primaryKey: { field: 'pk', type: pk, autoId: false }, vectors, dynamicField: true,
    partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'skip' }, ifExists: 'append', sourceCount: 0,
  };
  const records: RecordOut[] = [];
  for (let i = int(r, 1, 25); i > 0; i--) {
    const id = r() < 0.1 ? 2n ** 64n - BigInt(int(r, 1, 5)) : r() < 0.3 ? `00000000-0000-0000-0000-${String(int(r, 0, 999999)).padStart(12, '0')}` : BigInt(int(r, 0, 2 ** 40));
    const vec: Record<string, VectorJson> = {};
    for (const v of vectors) {
      if (r() < 0.1) continue; // the point lacks it
      if (v.type === 'SparseFloatVector') {
        const indices = [...new Set(Array.from({ length: int(r, 0, 6) }, () => int(r, 0, 70000)))].sort((a, b) => a - b);
        vec[v.source] = { indices, values: indices.map(() => float(r)) };
      } else vec[v.source] = Array.from({ length: r() < 0.05 ? v.dim! + 1 : v.dim! }, () => float(r));
    }
    records.push({ id, payload: payload(r, 0, r() < 0.5), vector: named ? vec : (vec[''] ?? {}) });
  }
  return { plan, records };
}

function upsertBytes(plan: CollectionPlan, points: Point[]) {
  const { rows, rejected, stats } = toRows(plan, points);
  const requests = prepareUpserts('db', plan, rows, 1 << 20).map((b) => b.request);
  return { rows, rejected, stats, requests };
}

test('packed vectors give the same Upsert bytes as number[] vectors, and the message the official codecs give', async () => {
  // Rows whose bytes the transcoder wrote although mapping's rules changed the payload (nulls left out, keys renamed).
  let mapped = 0;
  let renamed = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const { plan, records } = randomCase(seed);
    const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0.001);
    const packed = decodeScrollResponse(wire, { packedVectors: true });
    const numbers = decodeScrollResponse(wire);
    const fast = upsertBytes(plan, packed.points);
    const slow = upsertBytes(plan, numbers.points);
    assert.deepEqual(fast.rejected, slow.rejected, `seed ${seed}`);
    assert.deepEqual(fast.stats, slow.stats, `seed ${seed}`);
    assert.equal(fast.requests.length, slow.requests.length, `seed ${seed}`);
    fast.requests.forEach((b, i) => assert.ok(b.equals(slow.requests[i]!), `seed ${seed}: request ${i} differs`));
    if (fast.rows.length === 0) continue;
    for (const row of fast.rows) {
      const json = packedPayloadOf(row);
      if (json instanceof TranscodedPayload && json.nulls > 0) mapped++;
      if (json?.keys.some((k) => !KEYS.includes(k))) renamed++; // a name only a rename makes
    }

    // The official Qdrant decoder, then the SDK's encoder of the same columns.
    const official = fromBinary(ScrollResponseSchema, wire).result.map(fromGrpcPoint);
    const { rows } = toRows(plan, official);
    const encoded = rows.map((row) => encodeRow(plan, row));
    const sdk = await codec.serialize({ db_name: 'db', collection_name: plan.target, num_rows: rows.length, fields_data: buildColumns(plan, encoded) });
    const ours = encodeWriteRequest('db', plan, fast.rows.map((row) => encodeRow(plan, row)));
    assert.deepEqual(await codec.deserialize(ours), await codec.deserialize(sdk), `seed ${seed}`);
  }
  assert.ok(mapped > 50 && renamed > 50, `rows mapped on the bytes: ${mapped} with nulls left out, ${renamed} with keys renamed`);
});

test('a page without rejections hands its float32 column over as one slice of the decoded bytes', () => {
  const plan = randomCase(7).plan;
  const dense: CollectionPlan = { ...plan, primaryKey: { field: 'pk', type: 'Int64', autoId: false }, vectors: [field({ dim: 130 })] };
  const vector = (id: bigint) => [0.5, -1, Number(id), ...new Array<number>(127).fill(0.25)];
  const records: RecordOut[] = [1n, 2n, 3n].map((id) => ({ id, payload: {}, vector: vector(id) }));
  const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0);
  const points = decodeScrollResponse(wire, { packedVectors: true }).points;
  const vectors = points.map((p) => p.vectors[''] as Float32Array);
  assert.ok(vectors.every((v) => v instanceof Float32Array && v.buffer === vectors[0]!.buffer));
  assert.deepEqual(vectors.map((v) => [...v]), [vector(1n), vector(2n), vector(3n)]);
  const [request] = upsertBytes(dense, points).requests;
  assert.ok(request!.includes(Buffer.from(vectors[0]!.buffer, vectors[0]!.byteOffset, 3 * 130 * 4)), 'the column holds the received bytes');
});

test('float16 conversion is bit for bit the SDK\'s (round to nearest, ties to even; subnormals, overflow, -0)', () => {
  const r = rng(16);
  const values: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25, Infinity, -Infinity, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
  for (let i = 0; i < 200_000; i++) values.push(float(r));
  // Every float32 exponent, with mantissas at and around the float16 rounding points.
  for (let e = 0; e < 255; e++) for (const m of [0, 0x1000, 0x1001, 0x0fff, 0x3000, 0x7fffff, 0x400000]) {
    u32[0] = (e << 23) | m;
    values.push(f32[0]!, -f32[0]!);
  }
  const ours = Buffer.from(float16Column([values], values.length));
  const sdk = Buffer.from(f32ArrayToF16Bytes(values));
  for (let i = 0; i < values.length; i++) {
    if (ours.readUInt16LE(i * 2) !== sdk.readUInt16LE(i * 2)) assert.fail(`${values[i]}: ours ${ours.readUInt16LE(i * 2).toString(16)}, SDK ${sdk.readUInt16LE(i * 2).toString(16)}`);
  }
  assert.equal(halfBits(0x7fc00000), Buffer.from(f32ArrayToF16Bytes([NaN])).readUInt16LE(0), 'NaN');
  assert.deepEqual(float16Column([new Float32Array([1, 2]), [3, 4]], 2), new Uint8Array(f32ArrayToF16Bytes([1, 2, 3, 4])));
});

/** One point's payload through the packed decoder: its JSON bytes (if any) and its decoded value, eagerly and lazily. */
function viaWire(p: JsonObject) {
  const wire = encodeScrollResponse({ points: [{ id: 1n, payload: p }], next_page_offset: null }).withTime(0);
  const [packedPoint] = decodeScrollResponse(wire, { packedVectors: true }).points;
  const [plain] = decodeScrollResponse(wire).points;
  return { packed: packedPayloadOf(packedPoint!), lazy: packedPoint!.payload, eager: plain!.payload };
}

test('payload JSON written straight from protobuf is exactly payloadJson of the decoded payload', () => {
  const r = rng(99);
  let written = 0;
  const cases = 3000;
  for (let i = 0; i < cases; i++) {
    const { packed, lazy, eager } = viaWire(payload(r, 0, false));
    assert.deepEqual(lazy, eager);
    if (!packed) continue;
    written++;
    assert.equal(Buffer.from(packed.json).toString('utf8'), payloadJson(eager), `case ${i}`);
    assert.deepEqual(packed.keys, Object.keys(eager));
    // What verify reads back from the target's `$meta` is the payload (-0 reads as 0, as ever).
    assert.equal(diffJson(eager, parsePayload(packed.json), '$'), null, `case ${i}`);
  }
  // Only keys a JS object would reorder ("0"-like: none in KEYS) or repeat send a payload without nulls elsewhere.
  assert.equal(written, cases);
});

test('null-valued keys are left out and counted (any depth, objects in lists too; null elements stay); keys a JS object reorders go to mapping; NUL-first strings are written', () => {
  const dropped: Array<[JsonObject, string, number]> = [
    [{ a: null }, '{}', 1],
    [{ a: { b: [1, { c: null }, null] }, d: null, e: 'x' }, '{"a":{"b":[1,{},null]},"e":"x"}', 2],
    [{ x: 1, n: null, y: { n: null, m: null } }, '{"x":1,"y":{}}', 3],
  ];
  for (const [p, json, nulls] of dropped) {
    const { packed, lazy, eager } = viaWire(p);
    assert.ok(packed instanceof TranscodedPayload, JSON.stringify(p));
    assert.equal(Buffer.from(packed.json).toString(), json);
    assert.equal(packed.nulls, nulls);
    assert.equal(Buffer.from(packed.json).toString(), payloadJson(dropNullKeys(eager, { nulls: 0, bigint: false, bound: 0 })));
    assert.deepEqual(lazy, eager, 'the point\'s own payload keeps its nulls');
  }
  for (const p of [{ 12: 'x', a: 1 }] as JsonObject[]) {
    const { packed, lazy, eager } = viaWire(p);
    assert.equal(packed, undefined, JSON.stringify(p));
    assert.deepEqual(lazy, eager);
  }
  // Strings and keys that start with NUL (payloadJson's bigint marker does): the same text as payloadJson's exact path.
  for (const p of [{ '\u0000k': 1 }, { s: '\u0000q2m-bigint:5', n: -(2n ** 60n) }, { neg: '\u0000big:-9007324826117705', t: '\u0000' }] as JsonObject[]) {
    const { packed, eager } = viaWire(p);
    assert.equal(Buffer.from(packed!.json).toString(), payloadJson(eager), JSON.stringify(p, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
  const kept = viaWire(JSON.parse('{"__proto__":{"x":[null,1]},"big":0,"n":-0}') as JsonObject);
  assert.equal(Buffer.from(kept.packed!.json).toString(), '{"__proto__":{"x":[null,1]},"big":0,"n":0}');
  const big = viaWire({ max: 2n ** 63n - 1n, min: -(2n ** 63n), d: 1e21, s: 'é "q" \\ \n\u0001\u2028🙂' });
  assert.equal(Buffer.from(big.packed!.json).toString(), payloadJson(big.eager));
  assert.equal(Buffer.from(big.packed!.json).toString(), '{"max":9223372036854775807,"min":-9223372036854775808,"d":1e+21,"s":"é \\"q\\" \\\\ \\n\\u0001\u2028🙂"}');
});

test('mapping keeps the transcoded JSON when nothing is promoted: nulls left out and counted, clashing keys renamed on the bytes; the row reads as the mapped payload', () => {
  const plan = { ...randomCase(3).plan, primaryKey: { field: 'pk', type: 'Int64' as const, autoId: false as const }, vectors: [field({ dim: 2 })] };
  const records: RecordOut[] = [
    { id: 1n, payload: { a: 1, b: 'x' }, vector: [1, 2] }, // kept as it is
    { id: 2n, payload: { a: null, b: 'x' }, vector: [1, 2] }, // a null to drop
    { id: 3n, payload: { pk: 7 }, vector: [1, 2] }, // clashes with the primary key field
    { id: 4n, payload: { b: 1, pk: 2, payload_pk: 3 }, vector: [1, 2] }, // the planned name is taken
    { id: 5n, payload: { pk: 2, payload_pk: null, vector: { v: null } }, vector: [1, 2] }, // ... by a null, which goes
  ];
  const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0);
  const { rows, stats } = toRows(plan, decodeScrollResponse(wire, { packedVectors: true }).points);
  const json = rows.map((row) => Buffer.from(packedPayloadOf(row)!.json).toString());
  assert.deepEqual(json, ['{"a":1,"b":"x"}', '{"b":"x"}', '{"payload_pk":7}', '{"b":1,"payload_pk_2":2,"payload_pk":3}', '{"payload_pk":2,"payload_vector":{}}']);
  assert.deepEqual(rows.map((row) => row.dynamic), [{ a: 1, b: 'x' }, { b: 'x' }, { payload_pk: 7 }, { b: 1, payload_pk_2: 2, payload_pk: 3 }, { payload_pk: 2, payload_vector: {} }]);
  rows.forEach((row, i) => assert.equal(payloadJson(row.dynamic), json[i], `row ${i}: dynamic and bytes agree`));
  assert.deepEqual(rows.map((row) => packedPayloadOf(row)!.keys), rows.map((row) => Object.keys(row.dynamic)));
  for (const row of rows) {
    const p = packedPayloadOf(row) as TranscodedPayload;
    const texts = p.keys.map((_, i) => Buffer.from(p.json.subarray(p.keyAt[2 * i], p.keyAt[2 * i + 1])).toString());
    assert.deepEqual(texts, p.keys.map((k) => `${JSON.stringify(k)}:`), 'where each key\'s text is, after renames too');
  }
  assert.equal(stats.nullsDropped, 3);
  assert.equal(stats.renamedCount, 4);
  assert.deepEqual(stats.renamedKeys, { pk: 'payload_pk', vector: 'payload_vector' });
  // A dynamic field set by hand no longer matches the bytes: they are dropped.
  rows[2]!.dynamic = { other: 1 };
  assert.equal(packedPayloadOf(rows[2]!), undefined);
  assert.deepEqual(rows[2]!.dynamic, { other: 1 });
});

test('GetResponse (verify\'s batched fetch) decodes packed like Scroll', () => {
  const records: RecordOut[] = [{ id: 5n, payload: { k: [1, 'v'] }, vector: { a: new Array<number>(128).fill(0.25), s: { indices: [3], values: [1.5] } } }];
  const packed = decodeGetResponse(encodeGetResponse(records).withTime(0), { packedVectors: true });
  const plain = decodeGetResponse(encodeGetResponse(records).withTime(0));
  assert.ok(packed[0]!.vectors.a instanceof Float32Array);
  assert.deepEqual([...(packed[0]!.vectors.a as Float32Array)], plain[0]!.vectors.a);
  const sparse = packed[0]!.vectors.s as SparseVector;
  assert.ok(sparse instanceof PackedSparse, 'sparse decoded into Milvus row bytes');
  assert.deepEqual({ indices: sparse.indices, values: sparse.values }, plain[0]!.vectors.s);
  assert.deepEqual(packed[0]!.payload, plain[0]!.payload);
  assert.equal(Buffer.from(packedPayloadOf(packed[0]!)!.json).toString(), '{"k":[1,"v"]}');
});

test('nothing decoded refers to the response bytes, whose buffer the transport reuses for the next answer', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const { records } = randomCase(seed);
    const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0.001);
    const expected = decodeScrollResponse(Buffer.from(wire)).points;
    for (const packedVectors of [true, false]) {
      const reused = Buffer.from(wire);
      const points = decodeScrollResponse(reused, { packedVectors }).points;
      reused.fill(0xaa); // the next answer arriving in the same buffer
      // Payloads are read only now (a PackedPoint decodes its payload on first read).
      const plain = points.map((p) => ({ id: p.id, payload: p.payload, vectors: Object.fromEntries(Object.entries(p.vectors).map(([k, v]) => [k, v instanceof Float32Array ? [...v] : 'indices' in (v as object) ? { indices: [...(v as SparseVector).indices], values: [...(v as SparseVector).values] } : v])) }));
      assert.deepEqual(plain, expected.map((p) => ({ id: p.id, payload: p.payload, vectors: p.vectors })), `seed ${seed}, packed ${packedVectors}`);
      if (packedVectors) for (const p of points) if (packedPayloadOf(p)) assert.equal(Buffer.from(packedPayloadOf(p)!.json).toString(), payloadJson(dropNullKeys(p.payload, { nulls: 0, bigint: false, bound: 0 })), `seed ${seed}`);
    }
  }
});

test('the pool keeps what the pages in flight released (more than 32 blocks), up to 64 MiB of free blocks', () => {
  const pool = new BlockPool();
  const page = (first: number) =>
    encodeScrollResponse({ points: [{ id: BigInt(first), payload: { n: first }, vector: new Array<number>(130).fill(first) }], next_page_offset: null }).withTime(0);
  // 40 pages in flight at once (e.g. 8 readers, 4 writers: 8 + 12 queued + 4 written), all released together.
  const held = Array.from({ length: 40 }, (_, i) => decodeScrollResponse(page(i), { packedVectors: true, pool }));
  const made = pool.misses.blocks;
  assert.ok(made >= 40, `every held page has its own blocks (${made})`);
  for (const p of held) p.release!();
  const next = Array.from({ length: 40 }, (_, i) => decodeScrollResponse(page(100 + i), { packedVectors: true, pool }));
  assert.equal(pool.misses.blocks, made, 'the next 40 pages take only released blocks');
  assert.deepEqual([...(next[39]!.points[0]!.vectors[''] as Float32Array)], new Array<number>(130).fill(139));

  const big = new BlockPool();
  const blocks = Array.from({ length: 10 }, () => big.take(8 * 2 ** 20));
  for (const b of blocks) big.give(b);
  for (let i = 0; i < 10; i++) big.take(8 * 2 ** 20);
  assert.equal(big.misses.blocks, 12, 'of 80 MiB released, 64 MiB is kept: two 8 MiB blocks are made again');
});

test('a released page\'s blocks serve a later page; a page still held is never written over', () => {
  const pool = new BlockPool();
  const page = (first: number) => {
    const records: RecordOut[] = [0, 1, 2].map((i) => ({ id: BigInt(first + i), payload: { n: first + i, s: `p${first + i}` }, vector: new Array<number>(130).fill(first + i) }));
    return encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0);
  };
  const read = (points: Point[]) => points.map((p) => ({ id: p.id, payload: p.payload, vector: [...(p.vectors[''] as Float32Array)] }));
  const expected = (first: number) => [0, 1, 2].map((i) => ({ id: BigInt(first + i), payload: { n: first + i, s: `p${first + i}` }, vector: new Array<number>(130).fill(first + i) }));
  const one = decodeScrollResponse(page(10), { packedVectors: true, pool });
  const two = decodeScrollResponse(page(20), { packedVectors: true, pool });
  const block = (points: Point[]) => (points[0]!.vectors[''] as Float32Array).buffer;
  assert.notEqual(block(two.points), block(one.points), 'a held page keeps its blocks');
  one.release!();
  one.release!(); // twice is once: the block must not go to two pages
  const three = decodeScrollResponse(page(30), { packedVectors: true, pool });
  const four = decodeScrollResponse(page(40), { packedVectors: true, pool });
  assert.equal(block(three.points), block(one.points), 'the released block is reused');
  assert.notEqual(block(four.points), block(three.points));
  assert.deepEqual(read(two.points), expected(20));
  assert.deepEqual(read(three.points), expected(30));
  assert.deepEqual(read(four.points), expected(40));
  assert.equal(decodeScrollResponse(page(50), { packedVectors: true }).release, undefined, 'no pool: nothing to release, blocks left to the GC');
});
