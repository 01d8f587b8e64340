import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CollectionPlan, JsonObject, Point, SourceCollection, TargetCapabilities } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { makeRowMapper, toRows, type ToRowsResult } from '../../src/mapping/rows.ts';
import { dropNullKeys, type WalkState } from '../../src/mapping/payload.ts';
import { MILVUS_25, MILVUS_26, collection, dense, multi, sparse } from './mapping-fixtures.ts';

function planFor(source: SourceCollection, caps: TargetCapabilities = MILVUS_26): CollectionPlan {
  return planCollection(source, caps, { policies: { missingVector: 'skip' } }).plan;
}

const V = [0.1, 0.2, 0.3, 0.4];
const point = (id: bigint | string, payload: JsonObject = {}, vectors: Point['vectors'] = { '': V }): Point => ({ id, vectors, payload });

const intPlan = planFor(collection());
const uuidPlan = planFor(collection({ idKinds: { int: true, uuid: true, intAbove63: true } }));
const UUID = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';
const BIG = 2n ** 60n + 1n;
const TEXT_OVERHEAD = '{"t":""}'.length;

interface Case {
  name: string;
  plan: CollectionPlan;
  points: Point[];
  /** Checked against the result; rows.length and rejected codes are always compared. */
  rows?: number;
  rejected?: string[];
  check?: (r: ToRowsResult, points: Point[]) => void;
}

const cases: Case[] = [
  // ids
  { name: 'Int64: ids stay bigint', plan: intPlan, points: [point(0n), point(2n ** 63n - 1n)], rows: 2,
    check: (r) => assert.deepEqual(r.rows.map((x) => x.id), [0n, 2n ** 63n - 1n]) },
  { name: 'VarChar: UUID as is, ints in decimal', plan: uuidPlan, points: [point(18446744073709551615n), point(7n), point(UUID)], rows: 3,
    check: (r) => assert.deepEqual(r.rows.map((x) => x.id), ['18446744073709551615', '7', UUID]) },
  { name: 'Int64: a UUID or an id ≥ 2^63 is rejected', plan: intPlan, points: [point(UUID), point(2n ** 63n), point(1n)], rows: 1,
    rejected: ['ID_UNFIT', 'ID_UNFIT'], check: (r) => assert.match(r.rejected[1]!.message, /9223372036854775808/) },
  // vectors
  { name: 'vectors go to their fields by source name', plan: planFor(collection({ vectors: [dense(''), dense('image-emb', { datatype: 'uint8' })] })),
    points: [point(1n, {}, { '': V, 'image-emb': [0, 128, 255, 7] })], rows: 1,
    check: (r) => assert.deepEqual(r.rows[0]!.vectors, { vector: V, image_emb: [0, 128, 255, 7] }) },
  { name: 'float16 values pass as numbers', plan: planFor(collection({ vectors: [dense('', { datatype: 'float16' })] })),
    points: [point(1n, {}, { '': [0.5, -2, 65504, 0] })], rows: 1,
    check: (r) => assert.deepEqual(r.rows[0]!.vectors.vector, [0.5, -2, 65504, 0]) },
  { name: 'sparse passes {indices, values}', plan: planFor(collection({ vectors: [sparse('s')] })),
    points: [point(1n, {}, { s: { indices: [3, 9], values: [0.5, 0.25] } })], rows: 1,
    check: (r) => assert.deepEqual(r.rows[0]!.vectors.s, { indices: [3, 9], values: [0.5, 0.25] }) },
  { name: 'multivector passes as a list of vectors', plan: planFor(collection({ vectors: [multi('c')] })),
    points: [point(1n, {}, { c: [V, V] })], rows: 1, check: (r) => assert.deepEqual(r.rows[0]!.vectors.c, [V, V]) },
  { name: 'missing vector → null where nullable', plan: planFor(collection({ vectors: [dense('a'), dense('b', { missingCount: 1 })] })),
    points: [point(1n, {}, { a: V })], rows: 1, check: (r) => assert.deepEqual(r.rows[0]!.vectors, { a: V, b: null }) },
  { name: 'missing vector → rejected where not nullable (skip policy)',
    plan: planFor(collection({ vectors: [dense('a'), dense('b', { missingCount: 1 })] }), MILVUS_25),
    points: [point(1n, {}, { a: V }), point(2n, {}, { a: V, b: V })], rows: 1, rejected: ['MISSING_VECTOR'],
    check: (r) => { assert.equal(r.rejected[0]!.id, '1'); assert.match(r.rejected[0]!.message, /vector "b"/); } },
  { name: 'wrong dimension or kind → VECTOR_INVALID', plan: planFor(collection({ vectors: [dense('a'), sparse('s')] })),
    points: [point(1n, {}, { a: [1, 2], s: { indices: [], values: [] } }), point(2n, {}, { a: V, s: [1, 2] as never })],
    rejected: ['VECTOR_INVALID', 'VECTOR_INVALID'], rows: 0 },
  // payload: nulls
  { name: 'null-valued keys dropped at every depth, null array elements kept', plan: intPlan,
    points: [point(1n, { a: null, b: { c: null, d: 1 }, e: [null, { f: null, g: 2 }, [null, { h: null }]], i: 'x' })], rows: 1,
    check: (r) => {
      assert.deepEqual(r.rows[0]!.dynamic, { b: { d: 1 }, e: [null, { g: 2 }, [null, {}]], i: 'x' });
      assert.equal(r.stats.nullsDropped, 4);
    } },
  { name: 'the source point is not mutated', plan: intPlan, points: [point(1n, { a: null, b: { c: null }, id: 5 })], rows: 1,
    check: (_r, points) => assert.deepEqual(points[0]!.payload, { a: null, b: { c: null }, id: 5 }) },
  { name: 'an unchanged payload is passed without copying', plan: intPlan, points: [point(1n, { a: 1, b: [1, { c: 'x' }] })], rows: 1,
    check: (r, points) => assert.equal(r.rows[0]!.dynamic, points[0]!.payload) },
  // payload: clashing keys
  { name: 'keys named like schema fields are renamed', plan: intPlan, points: [point(1n, { id: 5, vector: 'v', $meta: 1, ok: 2 })], rows: 1,
    check: (r) => {
      assert.deepEqual(r.rows[0]!.dynamic, { payload_id: 5, payload_vector: 'v', payload_$meta: 1, ok: 2 });
      assert.deepEqual(r.stats.renamedKeys, { id: 'payload_id', vector: 'payload_vector', $meta: 'payload_$meta' });
      assert.equal(r.stats.renamedCount, 3);
    } },
  { name: 'a rename never overwrites a key the payload has', plan: intPlan, points: [point(1n, { id: 5, payload_id: 6 })], rows: 1,
    check: (r) => assert.deepEqual(r.rows[0]!.dynamic, { payload_id_2: 5, payload_id: 6 }) },
  { name: 'a null-valued clashing key is dropped, not renamed', plan: intPlan, points: [point(1n, { id: null })], rows: 1,
    check: (r) => { assert.deepEqual(r.rows[0]!.dynamic, {}); assert.equal(r.stats.renamedCount, 0); } },
  { name: 'a renamed primary key field frees `id`', plan: planCollection(collection(), MILVUS_26, { primaryKey: { field: 'pk' } }).plan,
    points: [point(1n, { id: 5, pk: 6 })], rows: 1, check: (r) => assert.deepEqual(r.rows[0]!.dynamic, { id: 5, payload_pk: 6 }) },
  { name: '__proto__ stays a data key', plan: intPlan, points: [point(1n, JSON.parse('{"__proto__": {"x": 1}, "a": null}') as JsonObject)], rows: 1,
    check: (r) => assert.deepEqual(Object.keys(r.rows[0]!.dynamic), ['__proto__']) },
  // payload: numbers and size
  { name: 'integers above 2^53 stay exact', plan: intPlan, points: [point(1n, { big: BIG, list: [BIG] })], rows: 1,
    check: (r) => assert.deepEqual(r.rows[0]!.dynamic, { big: BIG, list: [BIG] }) },
  { name: 'payload of exactly 65,536 bytes is kept', plan: intPlan, points: [point(1n, { t: 'x'.repeat(65536 - TEXT_OVERHEAD) })], rows: 1 },
  { name: 'payload above 65,536 bytes is rejected with its size', plan: intPlan,
    points: [point(1n, { t: 'x'.repeat(65537 - TEXT_OVERHEAD) }), point(2n)], rows: 1, rejected: ['PAYLOAD_TOO_LARGE'],
    check: (r) => assert.match(r.rejected[0]!.message, /Point 1: payload is 65537 bytes/) },
  { name: 'size counts UTF-8 bytes, not characters', plan: intPlan, points: [point(1n, { t: 'é'.repeat(32765) })], rows: 0,
    rejected: ['PAYLOAD_TOO_LARGE'], check: (r) => assert.match(r.rejected[0]!.message, /65538 bytes/) },
  { name: 'size of a payload with bigints is measured losslessly', plan: intPlan,
    points: [point(1n, { n: 2n ** 64n - 1n, t: 'x'.repeat(65536 - '{"n":18446744073709551615,"t":""}'.length + 1) })],
    rows: 0, rejected: ['PAYLOAD_TOO_LARGE'], check: (r) => assert.match(r.rejected[0]!.message, /65537 bytes/) },
];

describe('toRows', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = toRows(c.plan, c.points);
      assert.deepEqual(r.rejected.map((x) => x.code), c.rejected ?? []);
      if (c.rows !== undefined) assert.equal(r.rows.length, c.rows);
      c.check?.(r, c.points);
    });
  }

  it('a mapper gives the same rows as toRows, batch after batch', () => {
    const mapper = makeRowMapper(intPlan);
    const points = [point(1n, { id: 1, a: null }), point(2n)];
    assert.deepEqual(mapper.toRows(points), toRows(intPlan, points));
    assert.deepEqual(toRows(intPlan, points), toRows(intPlan, points));
  });

  it('the size bound that lets small payloads skip serialising is never below the real size', () => {
    const payloads: JsonObject[] = [
      {},
      { a: '\u0000\u001f"\\', b: '😀é中', c: '\ud800' },
      { n: -1.7976931348623157e308, m: 5e-324, t: true, f: false, z: [null, null, [], {}] },
      { deep: { a: [{ b: [{ c: 'x'.repeat(100) }] }] }, keys: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k\n${i}`, i])) },
    ];
    for (const payload of payloads) {
      const walk: WalkState = { nulls: 0, bigint: false, bound: 0 };
      const cleaned = dropNullKeys(payload, walk);
      const bytes = Buffer.byteLength(JSON.stringify(cleaned), 'utf8');
      assert.ok(walk.bound >= bytes, `bound ${walk.bound} < ${bytes} for ${JSON.stringify(payload).slice(0, 40)}`);
    }
  });

  it('maps 100k points quickly', () => {
    const points = Array.from({ length: 100_000 }, (_, i) => point(BigInt(i), { title: `doc ${i}`, tags: ['a', 'b'], n: i, skip: null }));
    const started = performance.now();
    const r = toRows(intPlan, points);
    const ms = performance.now() - started;
    assert.equal(r.rows.length, 100_000);
    assert.equal(r.stats.nullsDropped, 100_000);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });
});
