/**
 * Issue 10, the row side: promoted keys go to Row.scalars by field name, values that do not fit
 * meet the field's policy (reject / null + `<key>__raw` / fail), and verify's compareRow accounts
 * for each case exactly (a typed value equal to the source's, or the policy's null).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PromotedFieldPlan } from '../../src/core/payload-schema.ts';
import type { CollectionPlan, JsonObject, JsonValue, Point, Row } from '../../src/core/types.ts';
import { compareRow } from '../../src/core/verify.ts';
import { MigrationError } from '../../src/core/errors.ts';
import { fitValue, parseDatetime } from '../../src/mapping/fit.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { toRows } from '../../src/mapping/rows.ts';
import { MILVUS_26, collection } from './mapping-fixtures.ts';

const field = (f: Partial<PromotedFieldPlan> & Pick<PromotedFieldPlan, 'type'>): PromotedFieldPlan =>
  ({ name: 'f', nullable: true, index: null, onMismatch: 'reject', ...f });

describe('value fit per mapping row', () => {
  const big = 2n ** 62n;
  const rows: Array<[string, PromotedFieldPlan, JsonValue, JsonValue | null]> = [
    // [what, field, source value, stored value (null: does not fit)]
    ['keyword → VarChar', field({ type: 'VarChar', maxLength: 8 }), 'acme', 'acme'],
    ['VarChar counts UTF-8 bytes, not characters', field({ type: 'VarChar', maxLength: 8 }), '日本語', null],
    ['VarChar at exactly max_length', field({ type: 'VarChar', maxLength: 9 }), '日本語', '日本語'],
    ['VarChar refuses a number', field({ type: 'VarChar', maxLength: 8 }), 42, null],
    ['uuid → VarChar(36)', field({ type: 'VarChar', maxLength: 36 }), '5c56c793-69f3-4fbf-87e6-c4bf54c28c26', '5c56c793-69f3-4fbf-87e6-c4bf54c28c26'],
    ['integer → Int64', field({ type: 'Int64' }), -7, -7],
    ['Int64 holds a bigint within range', field({ type: 'Int64' }), big, big],
    ['Int64 refuses 2^63', field({ type: 'Int64' }), 2n ** 63n, null],
    ['Int64 refuses a float', field({ type: 'Int64' }), 1.5, null],
    ['Int64 refuses a numeric string', field({ type: 'Int64' }), '12', null],
    ['float → Double', field({ type: 'Double' }), 0.1, 0.1],
    ['Double takes an integer', field({ type: 'Double' }), 3, 3],
    ['Double refuses a bigint beyond 2^53', field({ type: 'Double' }), 2n ** 60n + 1n, null],
    ['bool → Bool', field({ type: 'Bool' }), false, false],
    ['Bool refuses 0', field({ type: 'Bool' }), 0, null],
    ['datetime → Timestamptz (Z)', field({ type: 'Timestamptz' }), '2024-05-06T07:08:09Z', '2024-05-06T07:08:09Z'],
    ['Timestamptz with an offset and fractions', field({ type: 'Timestamptz' }), '2024-05-06T07:08:09.123456+02:00', '2024-05-06T07:08:09.123456+02:00'],
    ['Timestamptz refuses free text', field({ type: 'Timestamptz' }), 'Dec 6 2026', null],
    ['Timestamptz writes a space-separated time as RFC 3339 (no zone: UTC)', field({ type: 'Timestamptz' }), '2024-05-06 07:08', '2024-05-06T07:08:00Z'],
    ['Timestamptz writes a bare date as midnight UTC', field({ type: 'Timestamptz' }), '2024-05-06', '2024-05-06T00:00:00Z'],
    ['Timestamptz writes +hhmm as +hh:mm', field({ type: 'Timestamptz' }), '2024-05-06T07:08:09+0530', '2024-05-06T07:08:09+05:30'],
    ['geo → Geometry POINT WKT', field({ type: 'Geometry' }), { lon: 13.4, lat: 52.5 }, 'POINT (13.4 52.5)'],
    ['Geometry refuses an object with other keys', field({ type: 'Geometry' }), { lon: 1, lat: 2, alt: 3 }, null],
    ['array of keywords → Array<VarChar>', field({ type: 'Array', elementType: 'VarChar', maxLength: 8, maxCapacity: 4 }), ['a', 'b'], ['a', 'b']],
    ['Array refuses too many elements', field({ type: 'Array', elementType: 'Int64', maxCapacity: 2 }), [1, 2, 3], null],
    ['Array refuses mixed element types', field({ type: 'Array', elementType: 'Int64', maxCapacity: 8 }), [1, 'two'], null],
    ['Array refuses a scalar', field({ type: 'Array', elementType: 'Int64', maxCapacity: 8 }), 1, null],
    ['Array<Double> takes integers', field({ type: 'Array', elementType: 'Double', maxCapacity: 8 }), [1, 2.5], [1, 2.5]],
  ];
  for (const [what, f, value, stored] of rows) {
    it(what, () => {
      const fit = fitValue(f, value);
      if (stored === null) assert.equal(fit.ok, false, JSON.stringify(fit, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
      else assert.deepEqual(fit, { ok: true, value: stored });
    });
  }
  it('datetimes compare as instants', () => {
    assert.equal(parseDatetime('2024-05-06T07:08:09+02:00'), parseDatetime('2024-05-06T05:08:09Z'));
    assert.equal(parseDatetime('2024-05-06'), Date.UTC(2024, 4, 6));
  });
});

/** A plan over a collection with keys `n` (integer), `tenant` (keyword), promoted with `policy`. */
function planWith(policy: 'reject' | 'null' | 'fail', partitionKey = false): CollectionPlan {
  const source = collection({
    payloadSchema: { tenant: { dataType: 'keyword', isTenant: true } },
    payloadKeys: [
      { key: 'n', present: 3, sampled: 3, kinds: { integer: 3 } },
      { key: 'tenant', present: 3, sampled: 3, kinds: { string: 3 }, maxStringBytes: 5, index: { type: 'keyword', isTenant: true } },
    ],
  });
  const scalar = { types: ['Int64', 'VarChar'] as const, arrayElementTypes: [], nullable: true, indexTypes: { Int64: ['STL_SORT'], VarChar: ['INVERTED'] }, jsonPathIndex: true, textMatch: false, partitionKey: true };
  const { plan, problems } = planCollection(source, { ...MILVUS_26, scalar: { ...scalar, types: [...scalar.types] } }, {
    payload: [{ key: 'n', mode: 'field', field: { onMismatch: policy } }, { key: 'tenant', mode: 'field', field: { name: 'org' } }],
    ...(partitionKey && { partitionKey: { field: 'org' } }),
  });
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return plan;
}

const point = (id: number, payload: JsonObject): Point => ({ id: BigInt(id), vectors: { '': [0.1, 0.2, 0.3, 0.4] }, payload });

describe('toRows: promoted keys and mismatch policies', () => {
  it('moves promoted keys to scalars by field name (null when absent), leaving the rest dynamic', () => {
    const { rows, rejected } = toRows(planWith('reject'), [point(1, { n: 5, tenant: 'acme', x: 1 }), point(2, { x: 2 }), point(3, { n: null })]);
    assert.deepEqual(rejected, []);
    assert.deepEqual(rows.map((r) => [r.scalars, r.dynamic]), [
      [{ n: 5, org: 'acme' }, { x: 1 }],
      [{ n: null, org: null }, { x: 2 }],
      [{ n: null, org: null }, {}],
    ]);
  });

  it('reject: the point is left out, logged with the key, its JSON type and the field', () => {
    const { rows, rejected } = toRows(planWith('reject'), [point(1, { n: 'seven' }), point(2, { n: 2 })]);
    assert.deepEqual(rows.map((r) => r.id), [2n]);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.id, '1');
    assert.equal(rejected[0]!.code, 'PAYLOAD_TYPE_MISMATCH');
    assert.match(rejected[0]!.message, /^Point 1: payload key "n" is a string; field "n" is Int64 \(policy: reject\)\.$/);
    assert.doesNotMatch(rejected[0]!.message, /seven/, 'the value itself is never logged');
  });

  it('null: the field is null, the value is kept as <key>__raw in the dynamic field, and counted', () => {
    const { rows, rejected, stats } = toRows(planWith('null'), [point(1, { n: 1.5, y: true }), point(2, { n: 2 })]);
    assert.deepEqual(rejected, []);
    assert.deepEqual(rows[0]!.scalars, { n: null, org: null });
    assert.deepEqual(rows[0]!.dynamic, { y: true, n__raw: 1.5 });
    assert.equal(stats.mismatchNulled, 1);
  });

  it('fail: a config error naming the point, the key and the field', () => {
    assert.throws(() => toRows(planWith('fail'), [point(2, { n: 2 }), point(9, { n: [1] })]), (e: unknown) => {
      assert.ok(e instanceof MigrationError);
      assert.equal(e.code, 'PAYLOAD_TYPE_MISMATCH');
      assert.equal(e.kind, 'config');
      assert.match(e.message, /Point 9: payload key "n" is an array; field "n" is Int64 \(policy: fail\)/);
      return true;
    });
  });

  it('the partition key field is never null: a point without the key gets its default', () => {
    const { rows } = toRows(planWith('reject', true), [point(1, { tenant: 'acme' }), point(2, {})]);
    assert.deepEqual(rows.map((r) => r.scalars?.org), ['acme', '']);
  });

  it('a dynamic key named like a promoted field moves out of its way', () => {
    const { rows } = toRows(planWith('reject'), [point(1, { tenant: 'acme', org: 'x' })]);
    assert.deepEqual(rows[0]!.dynamic, { payload_org: 'x' });
  });
});

describe('verify compares promoted fields', () => {
  const plan = planWith('null');
  const [want] = toRows(plan, [point(1, { n: 1.5, tenant: 'acme' })]).rows as [Row];
  const got = (scalars: Record<string, JsonValue>, dynamic: JsonObject = want.dynamic): Row => ({ ...want, dynamic, scalars });

  it('equal when the target holds the typed value and the policy\'s null + __raw', () => {
    assert.deepEqual(compareRow(plan, want, got({ n: null, org: 'acme' })), []);
  });
  const cases: Array<[string, Row, string]> = [
    ['a different value', got({ n: null, org: 'acme2' }), 'field:org'],
    ['a value where the policy put null', got({ n: 1, org: 'acme' }), 'field:n'],
    ['a missing __raw', got({ n: null, org: 'acme' }, {}), 'payload'],
    ['a missing field', got({ n: null }), 'field:org'],
  ];
  for (const [what, row, where] of cases) {
    it(`reports ${what}`, () => assert.deepEqual(compareRow(plan, want, row).map((m) => m.what), [where]));
  }
  it('numbers compare by value across bigint and number', () => {
    const p = planWith('reject');
    const [w] = toRows(p, [point(1, { n: 5 })]).rows as [Row];
    assert.deepEqual(compareRow(p, w, { ...w, scalars: { n: 5n, org: null } }), []);
  });
});
