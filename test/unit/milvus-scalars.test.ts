/**
 * Promoted payload fields (issue 10) in the sink, without a server: the Upsert bytes decoded by the
 * SDK's own protobuf (every scalar type, nulls, arrays, int64 beyond 2^53), query columns back
 * into Row.scalars (compact and dense nullable columns, Timestamptz as µs, Geometry as WKB), and
 * the DDL (field schemas, partition key, scalar and JSON path indexes, append diffs).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MilvusClient, type FieldType } from '@zilliz/milvus2-sdk-node';
import type { PayloadKeyPlan, PromotedFieldPlan } from '../../src/core/payload-schema.ts';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { decodeScalarColumn, microsToIso, wkbToWkt } from '../../src/milvus/decode-scalars.ts';
import { encodeWriteRequest } from '../../src/milvus/encode.ts';
import { decodeRows, encodeRow } from '../../src/milvus/rows.ts';
import { createCollectionRequest } from '../../src/milvus/schema.ts';
import { jsonIndexRequests, scalarIndexRequests, scalarSchemaDiff } from '../../src/milvus/schema-scalars.ts';

// Only the SDK's (de)serializers are used: nothing is ever sent (port 1).
const client = new MilvusClient({ address: '127.0.0.1:1', telemetry: { enabled: false } } as ConstructorParameters<typeof MilvusClient>[0]);
client.connectPromise.catch(() => undefined);
after(() => client.closeConnection().catch(() => undefined));

const field = (name: string, type: PromotedFieldPlan['type'], over: Partial<PromotedFieldPlan> = {}): PayloadKeyPlan => ({
  key: name, mode: 'field', field: { name, type, nullable: true, index: { type: 'INVERTED' }, onMismatch: 'reject', ...over } as PromotedFieldPlan,
});

const plan: CollectionPlan = {
  source: 's', target: 'coll', description: '', primaryKey: { field: 'id', type: 'Int64', autoId: false }, vectors: [],
  dynamicField: true, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'fail', sourceCount: 0,
  payload: [
    field('b', 'Bool'), field('i', 'Int64'), field('d', 'Double'), field('s', 'VarChar', { maxLength: 20 }),
    field('t', 'Timestamptz'), field('g', 'Geometry', { index: null }),
    field('ai', 'Array', { elementType: 'Int64', maxCapacity: 8, index: null }),
    field('as', 'Array', { elementType: 'VarChar', maxCapacity: 4, maxLength: 10, index: null }),
    field('tenant', 'VarChar', { maxLength: 16, nullable: false as true, index: { type: 'BITMAP' } }),
    { key: 'colour', mode: 'dynamic', jsonIndex: { castType: 'VARCHAR', indexType: 'INVERTED' } },
    { key: 'a b', mode: 'dynamic', jsonIndex: { castType: 'DOUBLE', indexType: 'INVERTED' } },
    { key: 'plain', mode: 'dynamic', jsonIndex: null },
  ],
  partitionKey: { field: 'tenant', numPartitions: 8 },
};

const rows: Row[] = [
  { id: 1n, vectors: {}, dynamic: { colour: 'red' }, scalars: { b: true, i: -5, d: 0.25, s: 'ü', t: '2024-01-02T03:04:05+02:00', g: { lon: 1.5, lat: -2 }, ai: [1, 2n ** 60n + 1n], as: ['x', ''], tenant: 'acme' } },
  { id: 2n, vectors: {}, dynamic: {}, scalars: { b: null, i: null, d: null, s: null, t: null, g: null, ai: null, as: null, tenant: '' } },
  { id: 3n, vectors: {}, dynamic: {}, scalars: { b: false, i: 2n ** 63n - 1n, d: -1e300, s: '', t: '2024-06-01T00:00:00Z', g: 'POINT(3 4)', ai: [], as: [], tenant: 'b' } },
];

test('promoted fields go into the Upsert as typed columns the SDK decodes: nulls as valid_data, values compact', async () => {
  const pool = (client as unknown as { channelPool: { acquire(): Promise<Record<string, { requestDeserialize(b: Buffer): unknown }>>; release(c: unknown): void } }).channelPool;
  const stub = await pool.acquire();
  pool.release(stub);
  const req = stub.Upsert!.requestDeserialize(encodeWriteRequest('db', plan, rows.map((r) => encodeRow(plan, r)))) as {
    fields_data: Array<{ field_name: string; type: string; valid_data: boolean[]; scalars: Record<string, unknown> }>;
  };
  const col = new Map(req.fields_data.map((f) => [f.field_name, f]));
  const data = (name: string, key: string) => (col.get(name)!.scalars[key] as { data: unknown[] }).data;
  assert.deepEqual(req.fields_data.map((f) => f.field_name), ['id', 'b', 'i', 'd', 's', 't', 'g', 'ai', 'as', 'tenant', '$meta']);
  assert.deepEqual(col.get('b')!.valid_data, [true, false, true]);
  assert.deepEqual(data('b', 'bool_data'), [true, false]);
  assert.deepEqual(data('i', 'long_data'), ['-5', '9223372036854775807']);
  assert.deepEqual(data('d', 'double_data'), [0.25, -1e300]);
  assert.deepEqual(data('s', 'string_data'), ['ü', '']);
  // Timestamptz travels as the RFC 3339 text (the proxy parses the offset), like the SDK sends it.
  assert.equal(col.get('t')!.type, 'Timestamptz');
  assert.deepEqual(data('t', 'string_data'), ['2024-01-02T03:04:05+02:00', '2024-06-01T00:00:00Z']);
  assert.deepEqual(data('g', 'geometry_wkt_data'), ['POINT(1.5 -2)', 'POINT(3 4)']);
  const arrays = col.get('ai')!.scalars.array_data as { data: Array<{ long_data?: { data: string[] } }>; element_type: string };
  assert.equal(arrays.element_type, 'Int64');
  assert.deepEqual(arrays.data.map((a) => a.long_data?.data ?? []), [['1', String(2n ** 60n + 1n)], []]);
  // Not nullable: no valid_data, every row's value.
  assert.deepEqual(col.get('tenant')!.valid_data, []);
  assert.deepEqual(data('tenant', 'string_data'), ['acme', '', 'b']);
});

test('a value of the wrong type is a system error naming the field, not a silent coercion', () => {
  const bad: Row = { id: 9n, vectors: {}, dynamic: {}, scalars: { ...rows[0]!.scalars, i: 'seven' } };
  assert.throws(() => encodeWriteRequest('db', plan, [encodeRow(plan, bad)]), (e: Error & { code?: string }) => e.code === 'SINK_SCALAR_VALUE' && /Field i \(Int64\)/.test(e.message));
  const missing: Row = { id: 9n, vectors: {}, dynamic: {}, scalars: { ...rows[0]!.scalars, tenant: null } };
  assert.throws(() => encodeWriteRequest('db', plan, [encodeRow(plan, missing)]), /tenant/);
});

test('query columns come back into Row.scalars: dense (Milvus) and compact nullable columns, µs and WKB forms', () => {
  const f = plan.payload!.find((k) => k.key === 'i')!.field!;
  // Dense: a value per row, nulls as zero values (what Milvus Lite 3 and Milvus send).
  assert.deepEqual(decodeScalarColumn(f, { valid_data: [true, false, true], scalars: { long_data: { data: ['-5', '0', '9223372036854775807'] } } }, 3), [-5, null, 2n ** 63n - 1n]);
  // Compact: only the valid values.
  assert.deepEqual(decodeScalarColumn(f, { valid_data: [false, true], scalars: { long_data: { data: ['7'] } } }, 2), [null, 7]);
  const t = plan.payload!.find((k) => k.key === 't')!.field!;
  assert.deepEqual(decodeScalarColumn(t, { scalars: { timestamptz_data: { data: ['1704157445000000', '1717200000123000'] } } }, 2), ['2024-01-02T01:04:05Z', '2024-06-01T00:00:00.123Z']);
  assert.equal(microsToIso(-1n), '1969-12-31T23:59:59.999999Z');
  const wkb = Buffer.alloc(21);
  wkb.writeUInt8(1, 0);
  wkb.writeUInt32LE(1, 1);
  wkb.writeDoubleLE(1.5, 5);
  wkb.writeDoubleLE(-2, 13);
  assert.equal(wkbToWkt(wkb), 'POINT (1.5 -2)');
  const raw = [
    { field_name: 'id', scalars: { long_data: { data: ['1', '2'] } } },
    { field_name: 'ai', valid_data: [true, false], scalars: { array_data: { data: [{ long_data: { data: ['1', '1152921504606846977'] } }, {}] } } },
    { field_name: 'as', valid_data: [true, true], scalars: { array_data: { data: [{ string_data: { data: ['x'] } }, {}] } } },
    { field_name: '$meta', scalars: { json_data: { data: [Buffer.from('{"colour":"red"}'), Buffer.from('{}')] } } },
  ];
  const [one, two] = decodeRows(plan, raw as never);
  assert.deepEqual(one!.scalars!.ai, [1, 2n ** 60n + 1n]);
  assert.deepEqual(one!.scalars!.as, ['x']);
  assert.equal(two!.scalars!.ai, null);
  assert.deepEqual(two!.scalars!.as, [], 'an empty array (a ScalarField with no data) is an empty array, not null');
  assert.equal(one!.scalars!.b, null, 'a column the server did not send reads as null');
  assert.deepEqual(one!.dynamic, { colour: 'red' });
});

test('DDL: typed nullable fields, the partition key with num_partitions, scalar and JSON path indexes', () => {
  const req = createCollectionRequest(plan, 'db') as { fields: FieldType[]; num_partitions?: number };
  const byName = new Map(req.fields.map((f) => [f.name, f]));
  assert.equal(req.num_partitions, 8);
  assert.equal(byName.get('b')!.nullable, true);
  assert.equal(byName.get('s')!.max_length, 20);
  assert.equal(byName.get('as')!.max_length, 10);
  assert.equal(byName.get('as')!.max_capacity, 4);
  assert.equal(byName.get('tenant')!.is_partition_key, true);
  assert.equal(byName.get('tenant')!.nullable, undefined, 'the partition key is not nullable');
  assert.deepEqual(scalarIndexRequests(plan, 'db').map((r) => [r.field_name, r.index_type]), [['b', 'INVERTED'], ['i', 'INVERTED'], ['d', 'INVERTED'], ['s', 'INVERTED'], ['t', 'INVERTED'], ['tenant', 'BITMAP']]);
  const json = jsonIndexRequests(plan, 'db');
  assert.deepEqual(json.map((r) => [r.field_name, r.index_name, r.params]), [
    ['colour', 'q2m_json_colour', { json_path: 'colour', json_cast_type: 'VARCHAR' }],
    ['$meta', 'q2m_json_a_b', { json_path: '$meta["a b"]', json_cast_type: 'DOUBLE' }],
  ]);
});

test('appending into an existing collection names each promoted field that does not match', () => {
  const diff = scalarSchemaDiff(plan, [
    { name: 'b', data_type: 'Bool', nullable: true },
    { name: 'i', data_type: 'VarChar', nullable: true },
    { name: 's', data_type: 'VarChar', nullable: false, max_length: 10 },
    { name: 'ai', data_type: 'Array', element_type: 'Double', nullable: true },
  ]);
  assert.ok(diff.includes('payload field `i`: existing VarChar, plan Int64'));
  assert.ok(diff.includes('payload field `s`: plan writes nulls, existing field is not nullable'));
  assert.ok(diff.includes('payload field `s`: existing max_length 10, plan needs 20'));
  assert.ok(diff.includes('payload field `ai`: existing elements Double, plan Int64'));
  assert.ok(diff.includes('payload field `tenant`: missing in the existing collection'));
  assert.ok(diff.includes('partition key: existing none, plan `tenant`'));
});
