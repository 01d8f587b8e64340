/**
 * Issue 10, the plan side: payload keys from payload_schema + a sample, the promotion table row by
 * row, indexes per type and what the target accepts, the tenant key proposal, the partition key,
 * and every validation problem with its fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PayloadKeyPlan, ScalarCapabilities } from '../../src/core/payload-schema.ts';
import type { JsonObject, SourceCollection, TargetCapabilities } from '../../src/core/types.ts';
import { parsePlanFile, type CollectionOverrides } from '../../src/mapping/overrides.ts';
import { payloadKeyStats } from '../../src/mapping/payload-keys.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { dataset } from '../../testkit/datasets/index.ts';
import { PAYLOAD_INDEXES } from '../../testkit/datasets/payload.ts';
import { MILVUS_26, collection } from './mapping-fixtures.ts';

/** Milvus 2.6: every scalar type, index types as probed on 2.6. */
export const SCALAR_26: ScalarCapabilities = {
  types: ['Bool', 'Int64', 'Double', 'VarChar', 'Timestamptz', 'Geometry', 'Array'],
  arrayElementTypes: ['Bool', 'Int64', 'Double', 'VarChar'],
  nullable: true,
  indexTypes: {
    Bool: ['INVERTED', 'BITMAP'], Int64: ['INVERTED', 'STL_SORT', 'BITMAP'], Double: ['INVERTED', 'STL_SORT'],
    VarChar: ['INVERTED', 'BITMAP', 'TRIE'], Timestamptz: ['INVERTED', 'STL_SORT'], Geometry: ['RTREE'], Array: ['INVERTED', 'BITMAP'],
  },
  jsonPathIndex: true,
  textMatch: true,
  partitionKey: true,
};
/** Milvus 2.5: no Timestamptz, no Geometry, no STL_SORT on Double. */
export const SCALAR_25: ScalarCapabilities = {
  ...SCALAR_26,
  types: ['Bool', 'Int64', 'Double', 'VarChar', 'Array'],
  indexTypes: { Bool: ['INVERTED', 'BITMAP'], Int64: ['INVERTED', 'STL_SORT'], Double: ['INVERTED'], VarChar: ['INVERTED', 'BITMAP'], Array: ['INVERTED'] },
};
const CAPS_26: TargetCapabilities = { ...MILVUS_26, scalar: SCALAR_26 };
const CAPS_25: TargetCapabilities = { ...MILVUS_26, version: 'v2.5.10', scalar: SCALAR_25 };

/** The `payload` dataset as describe() would see it (whole collection sampled). */
function payloadSource(count = 120): SourceCollection {
  const points = [...dataset('payload', count).points()];
  const schema: SourceCollection['payloadSchema'] = {};
  for (const idx of PAYLOAD_INDEXES) {
    const fs = idx.field_schema as string | { type: string; is_tenant?: boolean; is_principal?: boolean };
    const type = typeof fs === 'string' ? fs : fs.type;
    schema[idx.field_name] = { dataType: type, ...(typeof fs === 'object' && fs.is_tenant && { isTenant: true }), ...(typeof fs === 'object' && fs.is_principal && { isPrincipal: true }) };
  }
  return collection({ name: 'payload', pointsCount: count, payloadSchema: schema, payloadKeys: payloadKeyStats(points.map((p) => p.payload ?? undefined) as Array<JsonObject | undefined>, schema) });
}

const promoteAll = (keys: string[], extra: Partial<NonNullable<CollectionOverrides['payload']>[number]> = {}): CollectionOverrides =>
  ({ payload: keys.map((key) => ({ key, mode: 'field' as const, ...extra })) });
const keyPlan = (payload: PayloadKeyPlan[] | undefined, key: string): PayloadKeyPlan => {
  const p = payload?.find((x) => x.key === key);
  assert.ok(p, `no plan for key ${key}`);
  return p;
};

describe('payload keys in the plan', () => {
  it('lists every key with its stats, dynamic by default, and carries Qdrant indexes as JSON path indexes', () => {
    const { plan, problems } = planCollection(payloadSource(), CAPS_26);
    const keys = plan.payload!.map((p) => p.key);
    for (const k of ['tenant', 'sku', 'mixed', 'long_note', 'nested', 'half', 'maybe_null']) assert.ok(keys.includes(k), k);
    assert.ok(plan.payload!.every((p) => p.mode === 'dynamic'));
    const cast = Object.fromEntries(plan.payload!.map((p) => [p.key, p.jsonIndex?.castType ?? null]));
    assert.deepEqual(
      { tenant: cast.tenant, sku: cast.sku, count: cast.count, price: cast.price, in_stock: cast.in_stock, created_at: cast.created_at, body: cast.body, location: cast.location, tags: cast.tags, ranks: cast.ranks, mixed: cast.mixed },
      { tenant: 'VARCHAR', sku: 'VARCHAR', count: 'DOUBLE', price: 'DOUBLE', in_stock: 'BOOL', created_at: 'VARCHAR', body: 'VARCHAR', location: null, tags: 'ARRAY_VARCHAR', ranks: 'ARRAY_DOUBLE', mixed: null },
    );
    const half = keyPlan(plan.payload, 'half').stats!;
    assert.equal(half.present * 2 >= half.sampled - 3 && half.present * 2 <= half.sampled + 3, true, 'half the points have `half`');
    assert.deepEqual(keyPlan(plan.payload, 'mixed').stats!.kinds, { integer: 94, string: 12, float: 12 }); // 120 points: 12 strings (i % 10 == 3), 12 floats (i % 10 == 7), 2 without payload
    assert.equal(plan.partitionKey, null);
    const tenant = problems.find((p) => p.code === 'TENANT_KEY');
    assert.equal(tenant?.severity, 'warning');
    assert.match(tenant!.fix!, /"mode": "field" on payload key "tenant" and set "partitionKey": \{"field": "tenant", "numPartitions": 16\}/);
  });

  it('without a JSON path index on the target, notes that the Qdrant index is not carried', () => {
    const { plan } = planCollection(payloadSource(20), { ...CAPS_26, scalar: { ...SCALAR_26, jsonPathIndex: false } });
    const count = keyPlan(plan.payload, 'count');
    assert.equal(count.jsonIndex, null);
    assert.match(count.note!, /not carried: the target has no JSON path index/);
  });
});

describe('promotion table (issue 10 §2), Milvus 2.6', () => {
  const { plan, problems } = planCollection(payloadSource(), CAPS_26, promoteAll(['tenant', 'category', 'sku', 'count', 'price', 'in_stock', 'created_at', 'body', 'location', 'tags', 'ranks', 'long_note']));
  const rows: Array<[string, object]> = [
    ['tenant', { type: 'VarChar', maxLength: 64, index: { type: 'BITMAP' } }],
    ['category', { type: 'VarChar', maxLength: 64, index: { type: 'BITMAP' } }],
    ['sku', { type: 'VarChar', maxLength: 36, index: { type: 'INVERTED' } }],
    ['count', { type: 'Int64', index: { type: 'STL_SORT' } }],
    ['price', { type: 'Double', index: { type: 'STL_SORT' } }],
    ['in_stock', { type: 'Bool', index: { type: 'BITMAP' } }],
    ['created_at', { type: 'Timestamptz', index: { type: 'STL_SORT' } }],
    ['body', { type: 'VarChar', index: { type: 'INVERTED' }, enableMatch: true, analyzer: { params: { type: 'standard' } } }],
    ['location', { type: 'Geometry', index: { type: 'RTREE' } }],
    ['tags', { type: 'Array', elementType: 'VarChar', maxCapacity: 8, index: { type: 'INVERTED' } }],
    ['ranks', { type: 'Array', elementType: 'Int64', maxCapacity: 8, index: { type: 'INVERTED' } }],
    ['long_note', { type: 'VarChar', maxLength: 4096, index: { type: 'INVERTED' } }],
  ];
  for (const [key, want] of rows) {
    it(`${key} → ${JSON.stringify(want)}`, () => {
      const f = keyPlan(plan.payload, key);
      assert.equal(f.mode, 'field');
      for (const [k, v] of Object.entries(want)) assert.deepEqual((f.field as unknown as Record<string, unknown>)[k], v, `${key}.${k}`);
      assert.equal(f.field!.nullable, true);
      assert.equal(f.field!.onMismatch, 'reject');
    });
  }
  it('has no errors', () => assert.deepEqual(problems.filter((p) => p.severity === 'error'), []));
});

describe('promotion on a target without the newer types (Milvus 2.5)', () => {
  it('datetime → VarChar ISO 8601 with a note; geo stays dynamic with a warning; Double gets INVERTED', () => {
    const { plan, problems } = planCollection(payloadSource(40), CAPS_25, promoteAll(['created_at', 'location', 'price']));
    const created = keyPlan(plan.payload, 'created_at');
    assert.deepEqual([created.field?.type, created.field?.maxLength], ['VarChar', 64]);
    assert.match(created.note!, /no Timestamptz/);
    assert.equal(keyPlan(plan.payload, 'location').mode, 'dynamic');
    assert.ok(problems.some((p) => p.code === 'PROMOTE_FALLBACK' && p.path === 'payload.location' && p.severity === 'warning'));
    assert.equal(keyPlan(plan.payload, 'price').field?.index?.type, 'INVERTED');
  });

  it('without nullable scalar fields, only the partition key field (never null) can be promoted', () => {
    const noNull = { ...CAPS_25, scalar: { ...SCALAR_25, nullable: false } };
    const { plan, problems } = planCollection(payloadSource(10), noNull, { ...promoteAll(['tenant']), partitionKey: { field: 'tenant' } });
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    assert.deepEqual([keyPlan(plan.payload, 'tenant').field?.nullable, plan.partitionKey?.field], [false, 'tenant']);
  });

  it('refuses promotion where the target has no nullable scalar fields, or was not probed', () => {
    for (const caps of [{ ...CAPS_25, scalar: { ...SCALAR_25, nullable: false } }, MILVUS_26]) {
      const { plan, problems } = planCollection(payloadSource(10), caps, promoteAll(['count']));
      assert.equal(keyPlan(plan.payload, 'count').mode, 'dynamic');
      const p = problems.find((x) => x.code === 'PROMOTE_UNSUPPORTED');
      assert.equal(p?.severity, 'error');
      assert.match(p!.fix!, /remove "mode": "field" for key "count"/);
    }
  });
});

describe('partition key and validation problems', () => {
  const tenantPk: CollectionOverrides = { ...promoteAll(['tenant']), partitionKey: { field: 'tenant' } };

  it('a promoted tenant key becomes a non-nullable partition key with a default and INVERTED', () => {
    const { plan, problems } = planCollection(payloadSource(40), CAPS_26, tenantPk);
    assert.deepEqual(plan.partitionKey, { field: 'tenant', numPartitions: 16, fromTenantKey: 'tenant' });
    const f = keyPlan(plan.payload, 'tenant').field!;
    assert.deepEqual([f.nullable, f.defaultValue, f.index?.type], [false, '', 'INVERTED']);
    assert.equal(problems.filter((p) => p.code === 'TENANT_KEY').length, 0);
  });

  const cases: Array<[string, CollectionOverrides, string, RegExp]> = [
    ['partition key on a dynamic key', { partitionKey: { field: 'tenant' } }, 'PARTITION_KEY_NOT_FIELD', /Set "mode": "field" on payload key "tenant"/],
    ['partition key on a Double', { ...promoteAll(['price']), partitionKey: { field: 'price' } }, 'PARTITION_KEY_TYPE', /VarChar or Int64/],
    ['numPartitions 0', { ...tenantPk, partitionKey: { field: 'tenant', numPartitions: 0 } }, 'NUM_PARTITIONS', /between 1 and 1024/],
    ['numPartitions 4096', { ...tenantPk, partitionKey: { field: 'tenant', numPartitions: 4096 } }, 'NUM_PARTITIONS', /between 1 and 1024/],
    ['field named like the primary key', { payload: [{ key: 'count', mode: 'field', field: { name: 'id' } }] }, 'DUPLICATE_FIELD', /Rename it/],
    ['field named like the vector', { payload: [{ key: 'count', mode: 'field', field: { name: 'vector' } }] }, 'DUPLICATE_FIELD', /Rename it/],
    ['two keys on one field', { payload: [{ key: 'count', mode: 'field', field: { name: 'n' } }, { key: 'half', mode: 'field', field: { name: 'n' } }] }, 'DUPLICATE_FIELD', /Rename it/],
    ['an invalid field name', { payload: [{ key: 'count', mode: 'field', field: { name: 'a-b' } }] }, 'INVALID_NAME', /letters, digits/],
    ['a nested object', promoteAll(['nested']), 'PROMOTE_UNSUPPORTED', /Keep it dynamic/],
    ['an index the target refuses', { payload: [{ key: 'count', mode: 'field', field: { index: { type: 'TRIE' } } }] }, 'INDEX_UNSUPPORTED', /one of those, or null/],
    ['maxLength above 65535', { payload: [{ key: 'tenant', mode: 'field', field: { maxLength: 70000 } }] }, 'FIELD_MAX_LENGTH', /between 1 and 65535/],
    ['maxCapacity above 4096', { payload: [{ key: 'tags', mode: 'field', field: { maxCapacity: 5000 } }] }, 'FIELD_MAX_CAPACITY', /between 1 and 4096/],
  ];
  for (const [what, ov, code, fix] of cases) {
    it(`${what}: ${code} with a fix`, () => {
      const { problems } = planCollection(payloadSource(30), CAPS_26, ov);
      const p = problems.find((x) => x.code === code);
      assert.ok(p, `${code} in ${JSON.stringify(problems.map((x) => x.code))}`);
      assert.equal(p.severity, 'error');
      assert.match(p.fix!, fix);
    });
  }

  it('partition key on a target without one, and JSON index without JSON path index: errors', () => {
    const noPk = { ...CAPS_26, scalar: { ...SCALAR_26, partitionKey: false, jsonPathIndex: false } };
    const { problems } = planCollection(payloadSource(10), noPk, { ...tenantPk, payload: [...tenantPk.payload!, { key: 'count', jsonIndex: { castType: 'DOUBLE', indexType: 'INVERTED' } }] });
    assert.deepEqual(problems.filter((p) => p.severity === 'error').map((p) => p.code).sort(), ['JSON_INDEX_UNSUPPORTED', 'PARTITION_KEY_UNSUPPORTED']);
  });

  it('a key the sample never saw can be promoted with its type; the source description is not changed', () => {
    const source = payloadSource(10);
    const before = JSON.stringify(source.payloadKeys);
    const { plan, problems } = planCollection(source, CAPS_26, { payload: [{ key: 'rare', mode: 'field', field: { type: 'Array', elementType: 'VarChar' } }] });
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    const f = keyPlan(plan.payload, 'rare').field!;
    assert.deepEqual([f.type, f.elementType, f.maxLength, f.maxCapacity], ['Array', 'VarChar', 256, 64]);
    assert.equal(JSON.stringify(source.payloadKeys), before);
  });

  it('a type that some sampled values do not fit warns how many meet the policy', () => {
    const { plan, problems } = planCollection(payloadSource(30), CAPS_26, { payload: [{ key: 'mixed', mode: 'field', field: { type: 'Int64' } }] });
    assert.equal(keyPlan(plan.payload, 'mixed').field?.type, 'Int64');
    const p = problems.find((x) => x.code === 'VALUES_MISMATCH');
    assert.match(p?.message ?? '', /^6 of 30 sampled values under "mixed" are not Int64 values/);
  });

  it('a short maxLength against the sample warns that long values meet the policy', () => {
    const { problems } = planCollection(payloadSource(30), CAPS_26, { payload: [{ key: 'long_note', mode: 'field', field: { maxLength: 100 } }] });
    assert.ok(problems.some((p) => p.code === 'VALUES_TOO_LONG' && p.severity === 'warning'));
  });
});

describe('plan file round trip', () => {
  it('a written plan, edited to promote a key and set the partition key, reads back to the same plan', () => {
    const source = payloadSource(40);
    const first = planCollection(source, CAPS_26, { ...promoteAll(['tenant', 'count'], { }), partitionKey: { field: 'tenant', numPartitions: 8 } }).plan;
    const json = JSON.parse(JSON.stringify({ collections: [first] }));
    const { overrides, problems } = parsePlanFile(json);
    assert.deepEqual(problems, []);
    const again = planCollection(source, CAPS_26, overrides['payload']).plan;
    for (const [i, p] of first.payload!.entries()) assert.deepEqual(again.payload![i], p, p.key);
    assert.deepEqual(again.payload, first.payload);
    assert.deepEqual(again.partitionKey, first.partitionKey);
  });

  it('refuses unknown members in a payload entry, naming the path', () => {
    const { problems } = parsePlanFile({ collections: [{ source: 'payload', payload: [{ key: 'a', mode: 'field', field: { kind: 'x' } }] }] });
    assert.equal(problems[0]?.code, 'PLAN_FILE_INVALID');
    assert.match(problems[0]!.path!, /collections\[0\]\.payload\[0\]\.field/);
  });
});
