/**
 * Promoted payload keys on the byte path (src/mapping/rows.ts mapPromotedBytes) against the object
 * path (decode the payload, extractScalars, dropNullKeys, moveClashingKeys, payloadJson), by
 * property tests over random plans and pages, in the manner of transcode.test.ts:
 * - the same rows (id, vectors, dynamic as read, scalars), rejections (codes and reasons), stats
 *   (nulls dropped, renames, values set aside) and Upsert bytes, byte for byte, for random plans
 *   promoting 1-4 keys to every scalar type (Int64 with values up to the int64 limits and doubles
 *   beyond 2^53, Double, Bool, VarChar with max_length, Timestamptz, Geometry, Array of each
 *   element type with max_capacity), the reject and null policies, non-nullable fields with a
 *   default, field names that clash with payload keys, `<key>__raw` names already taken, promoted
 *   keys that are null or hold nulls, oversize payloads;
 * - the `fail` policy throws the same error on both paths;
 * - the byte path really is taken (the rows carry the edited transcoder bytes) and decodes nothing
 *   but the promoted keys' values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArrayElementType, PayloadKeyPlan, PromotedFieldPlan, ScalarFieldType } from '../../src/core/payload-schema.ts';
import type { CollectionPlan, JsonObject, JsonValue, Point, Row } from '../../src/core/types.ts';
import { PackedPoint, packedPayloadOf } from '../../src/core/packed-payload.ts';
import { dropNullKeys } from '../../src/mapping/payload.ts';
import { makeRowMapper } from '../../src/mapping/rows.ts';
import { payloadJson } from '../../src/milvus/rows.ts';
import { prepareUpserts } from '../../src/milvus/writer.ts';
import { decodeScrollResponse } from '../../src/qdrant/grpc-scroll.ts';
import { TranscodedPayload } from '../../src/transcode/payload-bytes.ts';
import { encodeScrollResponse } from '../../testkit/qdrant/grpc-fast.ts';
import type { RecordOut } from '../../testkit/qdrant/store.ts';
import { mulberry32 } from '../../testkit/datasets/prng.ts';

type R = () => number;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: R, xs: readonly T[]): T => xs[int(r, 0, xs.length - 1)]!;

/** Payload keys: the promoted ones come from here too, so they meet every kind of neighbour. */
const KEYS = ['a', 'title', 'n', 'price', 'ok', 'when', 'geo', 'tags', 'ключ', '🙂', '__proto__', 'constructor', '', 'k "q"', 'pk', 'vector', 'payload_pk', 'n__raw', 'tags__raw', 'f_0'];

function setKey(o: JsonObject, k: string, v: JsonValue): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Any payload value, nulls (null-valued keys and null elements) included. */
function jsonValue(r: R, depth: number): JsonValue {
  switch (int(r, 0, depth > 2 ? 6 : 8)) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return int(r, -1e6, 1e6);
    case 3: return pick(r, [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 60n) - 7n, 2n ** 64n + 5n]);
    case 4: return pick(r, [0.1, -2.5e-8, 1e21, 123.456, 2 ** 60, -(2 ** 53) - 2, Infinity, -Infinity, Number.MAX_VALUE, 7.5]);
    case 5: return pick(r, ['', 'plain', 'é "quoted" \\ back', 'tab\there\u0001', '日本語 🙂', '2024-01-02T03:04:05Z', '2024-01-02', 'Dec 6 2026', 'x'.repeat(50)]);
    case 6: return pick(r, [{ lon: 1.5, lat: -2 }, { lon: 10, lat: 20, x: null }, { lon: 'a', lat: 1 }, { lat: 3 }]) as JsonValue;
    case 7: return Array.from({ length: int(r, 0, 5) }, () => (r() < 0.15 ? null : jsonValue(r, depth + 1)));
    default: return object(r, depth + 1);
  }
}

function object(r: R, depth: number): JsonObject {
  const out: JsonObject = {};
  for (let i = int(r, 0, 3); i > 0; i--) setKey(out, pick(r, KEYS), jsonValue(r, depth));
  return out;
}

/** A value meant for a field of type `f` (fitting, or misfitting on purpose, or any value). */
function valueFor(r: R, f: PromotedFieldPlan): JsonValue {
  if (r() < 0.25) return jsonValue(r, 1);
  const scalar = (t: ScalarFieldType | ArrayElementType): JsonValue => {
    switch (t) {
      case 'Int64': return pick(r, [int(r, -1e9, 1e9), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 3n, 0, 2 ** 60, 2.5]);
      case 'Double': return pick(r, [Math.fround(r() * 100), -0.125, 1e21, int(r, -5, 5), 2n ** 53n + 3n, 2 ** 53, Infinity]);
      case 'Bool': return r() < 0.5;
      case 'VarChar': return pick(r, ['', 'short', 'é🙂ü', 'x'.repeat(int(r, 0, 50)), '"\\\n']);
      case 'Timestamptz': return pick(r, ['2024-01-02T03:04:05Z', '2024-01-02 03:04', '2024-01-02T03:04:05.123456789+05:30', '2024-01-02', '2024-13-45', 'yesterday']);
      case 'Geometry': return pick(r, [{ lon: 1.25, lat: -3 }, { lon: 180, lat: 90 }, { lon: 1, lat: 2, extra: null }, { lat: 1, lon: 'x' }]) as JsonValue;
      default: return null;
    }
  };
  if (f.type !== 'Array') return scalar(f.type);
  return Array.from({ length: int(r, 0, (f.maxCapacity ?? 4) + 1) }, () => (r() < 0.05 ? null : scalar(f.elementType!)));
}

const TYPES: ScalarFieldType[] = ['Int64', 'Double', 'Bool', 'VarChar', 'Timestamptz', 'Geometry', 'Array'];
const ELEMENTS: ArrayElementType[] = ['Int64', 'Double', 'Bool', 'VarChar'];

function promotedField(r: R, key: string, j: number, policy: PromotedFieldPlan['onMismatch']): PromotedFieldPlan {
  const type = pick(r, TYPES);
  // Field names: the key itself where it is a valid one, else f_<j>; sometimes a name a payload key also has (that key is then renamed).
  const name = r() < 0.2 ? pick(r, ['title', 'a', 'n__raw']) : /^[A-Za-z_]\w*$/.test(key) && !['pk', 'vector', 'constructor', '__proto__'].includes(key) ? key : `f_${j}`;
  const f: PromotedFieldPlan = { name, type, nullable: true, index: null, onMismatch: policy };
  if (type === 'VarChar') f.maxLength = int(r, 2, 40);
  if (type === 'Array') {
    f.elementType = pick(r, ELEMENTS);
    f.maxCapacity = int(r, 1, 4);
    if (f.elementType === 'VarChar') f.maxLength = int(r, 2, 40);
  }
  // A partition-key-like field: not nullable, a default for a point without a value.
  if ((type === 'VarChar' || type === 'Int64') && r() < 0.2) {
    f.nullable = false;
    f.defaultValue = type === 'VarChar' ? '' : 0;
  }
  return f;
}

interface Case { plan: CollectionPlan; records: RecordOut[] }

function randomCase(seed: number, policies: ReadonlyArray<PromotedFieldPlan['onMismatch']> = ['reject', 'null']): Case {
  const r = mulberry32(seed);
  const keys = [...new Set(Array.from({ length: int(r, 1, 4) }, () => pick(r, KEYS)))];
  const payload: PayloadKeyPlan[] = keys.map((key, j) => ({ key, mode: 'field', field: promotedField(r, key, j, pick(r, policies)) }));
  // Field names are unique in a plan.
  const seen = new Set<string>(['pk', 'vector']);
  for (const [j, k] of payload.entries()) {
    if (seen.has(k.field!.name)) k.field!.name = `f_${j}`;
    seen.add(k.field!.name);
  }
  if (r() < 0.3) payload.push({ key: 'a', mode: 'dynamic' }); // a key the plan keeps dynamic
  const plan: CollectionPlan = {
    source: 's', target: 't', description: '', primaryKey: { field: 'pk', type: r() < 0.5 ? 'Int64' : 'VarChar', autoId: false },
    vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'IP', index: { type: 'FLAT', params: {} }, nullable: false }],
    dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'skip' }, ifExists: 'append', sourceCount: 0, payload,
  };
  const fields = payload.filter((k) => k.mode === 'field');
  const records: RecordOut[] = [];
  for (let i = int(r, 1, 20); i > 0; i--) {
    const p = object(r, 0);
    for (let k = int(r, 0, 4); k > 0; k--) setKey(p, pick(r, KEYS), jsonValue(r, 0));
    for (const k of fields) {
      const roll = r();
      if (roll < 0.1) continue; // absent
      setKey(p, k.key, roll < 0.2 ? null : valueFor(r, k.field!));
    }
    if (r() < 0.03) setKey(p, 'big', 'x'.repeat(66_000)); // too large for `$meta`, unless promoted away
    const vector = r() < 0.05 ? [1, 2, 3] : [r(), r(), r(), r()];
    records.push({ id: BigInt(int(r, 0, 2 ** 40)), payload: p, vector });
  }
  return { plan, records };
}

/** A row as plain data: what a sink reads of it. */
function plainRow(row: Row) {
  return {
    id: row.id,
    vectors: Object.fromEntries(Object.entries(row.vectors).map(([k, v]) => [k, v instanceof Float32Array ? [...v] : v])),
    dynamic: row.dynamic,
    scalars: row.scalars,
  };
}

function mapped(plan: CollectionPlan, points: Point[]) {
  const { rows, rejected, stats } = makeRowMapper(plan).toRows(points);
  const requests = prepareUpserts('db', plan, rows, 1 << 20).map((b) => b.request);
  return { rows, rejected, stats, requests };
}

/** The points with their transcoded bytes dropped (assigning a payload drops them): mapping takes the object path. */
function withoutBytes(points: Point[]): Point[] {
  for (const p of points) {
    const payload = p.payload;
    p.payload = payload;
    assert.equal(packedPayloadOf(p), undefined);
  }
  return points;
}

const stringify = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

test('promoted keys read from the transcoder\'s bytes give the object path\'s rows, rejections, stats and Upsert bytes', () => {
  let onBytes = 0;
  let setAside = 0;
  let nulledOut = 0;
  let rejected = 0;
  let renamed = 0;
  for (let seed = 1; seed <= 600; seed++) {
    const { plan, records } = randomCase(seed);
    const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0.001);
    const packed = decodeScrollResponse(wire, { packedVectors: true }).points;
    // The same points with their bytes dropped: the object path.
    const objects = withoutBytes(decodeScrollResponse(wire, { packedVectors: true }).points);
    // And as number[] vectors and plain payloads, the path the transcoder replaced.
    const numbers = decodeScrollResponse(wire).points;
    const fast = mapped(plan, packed);
    const slow = mapped(plan, objects);
    const plain = mapped(plan, numbers);
    const what = `seed ${seed}: ${stringify(plan.payload)}`;
    assert.deepEqual(fast.rejected, slow.rejected, what);
    assert.deepEqual(fast.stats, slow.stats, what);
    assert.deepEqual(fast.rows.map(plainRow), slow.rows.map(plainRow), what);
    assert.equal(fast.requests.length, slow.requests.length, what);
    fast.requests.forEach((b, i) => assert.ok(b.equals(slow.requests[i]!), `${what}: request ${i} differs`));
    assert.deepEqual(plain.rejected, slow.rejected, what);
    plain.requests.forEach((b, i) => assert.ok(b.equals(fast.requests[i]!), `${what}: request ${i} differs from the number[] path's`));
    for (const row of fast.rows) {
      const json = packedPayloadOf(row);
      if (!(json instanceof TranscodedPayload)) continue;
      onBytes++;
      // The bytes are the mapped payload's JSON, and each key's text is where keyAt says.
      assert.equal(Buffer.from(json.json).toString(), payloadJson(row.dynamic), what);
      assert.deepEqual(json.keys, Object.keys(row.dynamic), what);
      assert.deepEqual(json.keys.map((_, i) => Buffer.from(json.json.subarray(json.keyAt[2 * i], json.keyAt[2 * i + 1])).toString()), json.keys.map((k) => `${JSON.stringify(k)}:`), what);
      if (json.keys.some((k) => k.endsWith('__raw') && !Object.keys(row.dynamic).includes(k.slice(0, -5)))) setAside++;
    }
    nulledOut += fast.stats.mismatchNulled;
    rejected += fast.rejected.filter((x) => x.code === 'PAYLOAD_TYPE_MISMATCH' || x.code === 'PAYLOAD_TOO_LARGE').length;
    renamed += fast.stats.renamedCount;
  }
  // The cases the test is for really occur.
  assert.ok(onBytes > 2000, `rows mapped on the bytes: ${onBytes}`);
  assert.ok(setAside > 100 && nulledOut > 100, `values set aside: ${setAside} rows, ${nulledOut} counted`);
  assert.ok(rejected > 200, `points rejected for a misfit or size: ${rejected}`);
  assert.ok(renamed > 200, `keys renamed: ${renamed}`);
});

test('the fail policy stops the page with the same error on both paths', () => {
  let failed = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const { plan, records } = randomCase(seed, ['fail', 'null']);
    const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0.001);
    const outcome = (points: Point[]) => {
      try {
        return { ok: mapped(plan, points).requests.map((b) => b.toString('base64')) };
      } catch (e) {
        const err = e as Error & { code?: string; fix?: string };
        return { error: [err.message, err.code, err.fix] };
      }
    };
    const objects = withoutBytes(decodeScrollResponse(wire, { packedVectors: true }).points);
    const fast = outcome(decodeScrollResponse(wire, { packedVectors: true }).points);
    assert.deepEqual(fast, outcome(objects), `seed ${seed}`);
    if (fast.error) {
      failed++;
      assert.match(fast.error[0]!, /policy: fail/);
      assert.equal(fast.error[1], 'PAYLOAD_TYPE_MISMATCH');
    }
  }
  assert.ok(failed > 50, `pages stopped: ${failed}`);
});

/** One page through the byte path: its rows, their JSON, the rejections and the stats. */
function onePage(plan: CollectionPlan, payloads: JsonObject[]) {
  const records: RecordOut[] = payloads.map((payload, i) => ({ id: BigInt(i + 1), payload, vector: [1, 2, 3, 4] }));
  const points = decodeScrollResponse(encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0), { packedVectors: true }).points;
  const { rows, rejected, stats } = makeRowMapper(plan).toRows(points);
  const json = rows.map((row) => Buffer.from(packedPayloadOf(row)!.json).toString());
  return { rows, rejected, stats, json };
}

function planWith(...fields: Array<[string, Partial<PromotedFieldPlan> & Pick<PromotedFieldPlan, 'type'>]>): CollectionPlan {
  const { plan } = randomCase(1);
  return {
    ...plan, primaryKey: { field: 'pk', type: 'Int64', autoId: false },
    payload: fields.map(([key, f]) => ({ key, mode: 'field' as const, field: { name: key, nullable: true, index: null, onMismatch: 'null' as const, ...f } })),
  };
}

test('what the byte path does with promoted keys, case by case', () => {
  const plan = planWith(['n', { type: 'Int64' }], ['tags', { type: 'Array', elementType: 'VarChar', maxCapacity: 2, maxLength: 8 }], ['geo', { type: 'Geometry', onMismatch: 'reject' }]);
  const { rows, rejected, stats, json } = onePage(plan, [
    { a: 1, n: 2n ** 63n - 1n, b: 'x', tags: ['p', 'q'] }, // promoted out of the middle and the end: exact int64
    { n: 2.5, a: { z: null }, tags: ['way too long a tag'] }, // misfits set aside as n__raw, tags__raw
    { n: null, tags: null, a: 1 }, // promoted nulls: not counted as dropped nulls
    { geo: { lon: 1, lat: 2, q: null } }, // a geo point with a third key is no geo point: rejected
    { geo: { lon: 1.5, lat: -2 }, n: 7, pk: 3 }, // all promoted; a key named like the primary key renamed
  ]);
  assert.deepEqual(json, ['{"a":1,"b":"x"}', '{"a":{},"n__raw":2.5,"tags__raw":["way too long a tag"]}', '{"a":1}', '{"payload_pk":3}']);
  assert.deepEqual(rows.map((row) => row.scalars), [
    { n: 2n ** 63n - 1n, tags: ['p', 'q'], geo: null },
    { n: null, tags: null, geo: null },
    { n: null, tags: null, geo: null },
    { n: 7, tags: null, geo: 'POINT (1.5 -2)' },
  ]);
  assert.deepEqual(rejected.map((x) => [x.id, x.code]), [['4', 'PAYLOAD_TYPE_MISMATCH']]);
  assert.match(rejected[0]!.message, /payload key "geo" is an object that is not a \{lon, lat\} geo point; field "geo" is Geometry \(policy: reject\)/);
  assert.deepEqual(stats, { nullsDropped: 1, renamedKeys: { pk: 'payload_pk' }, renamedCount: 1, mismatchNulled: 2 });
  // Each row's dynamic field, when read, is the mapped payload (made by the object path's rules).
  rows.forEach((row, i) => assert.equal(payloadJson(row.dynamic), json[i]));
  assert.deepEqual(rows[1]!.dynamic, { a: {}, n__raw: 2.5, tags__raw: ['way too long a tag'] });
});

test('the byte path decodes only the promoted keys\' values; a `<key>__raw` name the payload already has goes to the object path', () => {
  const plan = planWith(['n', { type: 'Int64' }]);
  const records: RecordOut[] = [
    { id: 1n, payload: { n: 5, rest: { deep: [1, 2, 3] } }, vector: [1, 2, 3, 4] },
    { id: 2n, payload: { n: 'five', n__raw: 'taken', m: null }, vector: [1, 2, 3, 4] },
  ];
  const points = decodeScrollResponse(encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0), { packedVectors: true }).points;
  // The payload decoder a PackedPoint holds runs once per promoted value on the byte path, never for the whole payload.
  const calls: Array<[number, number]> = [];
  const spy = PackedPoint.entryValue;
  PackedPoint.entryValue = (p, key, from, to) => {
    calls.push([from, to]);
    return spy.call(PackedPoint, p, key, from, to);
  };
  try {
    const { rows, stats } = makeRowMapper(plan).toRows(points);
    assert.equal(calls.length, 2, 'one value decoded per point with the key');
    assert.equal(Buffer.from(packedPayloadOf(rows[0]!)!.json).toString(), '{"rest":{"deep":[1,2,3]}}');
    // Point 2: "n__raw" is taken; extractScalars overwrites it in place, so the object path decides, and its row has no bytes.
    assert.equal(packedPayloadOf(rows[1]!), undefined);
    assert.deepEqual(rows[1]!.dynamic, { n__raw: 'five' });
    assert.deepEqual(rows.map((r) => r.scalars), [{ n: 5 }, { n: null }]);
    assert.deepEqual(stats, { nullsDropped: 1, renamedKeys: {}, renamedCount: 0, mismatchNulled: 1 });
  } finally {
    PackedPoint.entryValue = spy;
  }
  assert.equal(payloadJson(dropNullKeys({ rest: { deep: [1, 2, 3] } }, { nulls: 0, bigint: false, bound: 0 })), '{"rest":{"deep":[1,2,3]}}');
});

test('an oversize payload\'s nulls are counted on the bytes as the object path counts them (nothing promoted too)', () => {
  for (const plan of [planWith(), planWith(['n', { type: 'Int64' }])]) {
    const records: RecordOut[] = [{ id: 1n, payload: { a: null, n: 1, big: 'x'.repeat(66_000), c: { d: null } }, vector: [1, 2, 3, 4] }];
    const wire = encodeScrollResponse({ points: records, next_page_offset: null }).withTime(0);
    const fast = mapped(plan, decodeScrollResponse(wire, { packedVectors: true }).points);
    const slow = mapped(plan, decodeScrollResponse(wire).points);
    assert.deepEqual(fast.rejected.map((x) => x.code), ['PAYLOAD_TOO_LARGE']);
    assert.deepEqual(fast.rejected, slow.rejected);
    assert.deepEqual(fast.stats, slow.stats);
    assert.equal(fast.stats.nullsDropped, 2);
  }
});

test('a double -0 under a promoted Double key is -0 on the byte path too (its JSON text is `0`)', () => {
  // The test server sends integers for -0, so the wire is patched: the double 0.5 becomes -0.
  const wire = Buffer.from(encodeScrollResponse({ points: [{ id: 1n, payload: { z: 0.5, s: 'x' }, vector: [1, 2, 3, 4] }], next_page_offset: null }).withTime(0));
  const at = wire.indexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0xe0, 0x3f]));
  assert.ok(at > 0);
  Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]).copy(wire, at);
  const [point] = decodeScrollResponse(wire, { packedVectors: true }).points;
  assert.equal(Buffer.from(packedPayloadOf(point!)!.json).toString(), '{"z":0,"s":"x"}');
  const plan = planWith(['z', { type: 'Double' }]);
  const fast = mapped(plan, decodeScrollResponse(wire, { packedVectors: true }).points);
  const slow = mapped(plan, decodeScrollResponse(wire).points);
  assert.ok(Object.is(fast.rows[0]!.scalars!.z, -0));
  assert.equal(Buffer.from(packedPayloadOf(fast.rows[0]!)!.json).toString(), '{"s":"x"}');
  assert.ok(fast.requests[0]!.equals(slow.requests[0]!), 'the Double column holds -0 on both paths');
});
