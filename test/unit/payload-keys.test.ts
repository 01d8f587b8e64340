/**
 * Issue 13, defect 1: payload keys that are also object machinery (`__proto__`, `constructor`,
 * `prototype`) must stay data through every codec and comparison. Before the fix the gRPC decoders
 * assigned `obj[key] = value`, so `{"__proto__": {"polluted": true}}` came out as
 * `{"polluted": true}` (the key became the prototype) — and verify compared two equally wrong sides.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { ScrollResponseSchema } from '@qdrant/js-client-grpc';
import { ProtoWriter } from '../../src/core/protobuf.ts';
import type { JsonObject, JsonValue, Row } from '../../src/core/types.ts';
import { compareRow, diffJson } from '../../src/core/verify.ts';
import { parsePlanFile } from '../../src/mapping/overrides.ts';
import { planCollection, planMigration } from '../../src/mapping/plan.ts';
import { toRows } from '../../src/mapping/rows.ts';
import { parsePayload, payloadJson } from '../../src/milvus/rows.ts';
import { fromGrpcPoint } from '../../src/qdrant/grpc-convert.ts';
import { decodeScrollResponse } from '../../src/qdrant/grpc-scroll.ts';
import { restPoint } from '../../src/qdrant/rest-convert.ts';
import { parseJsonExact } from '../../src/qdrant/rest-json.ts';
import { MILVUS_26, collection } from './mapping-fixtures.ts';

/** The payload every test starts from, as JSON text (JSON.parse keeps `__proto__` as an own key). */
const TEXT = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":2}],"n":null}';
const seeded = (): JsonObject => JSON.parse(TEXT) as JsonObject;
/** What Milvus must hold: the same, with the null-valued key dropped. */
const STORED = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":2}]}';

/** Qdrant json_with_int.proto Value for a JSON value (struct 6, list 7, integer 3, bool 5, null 1). */
function value(v: JsonValue): ProtoWriter {
  const m = new ProtoWriter();
  if (v === null) return m.tag(1, 0).varint(0);
  if (typeof v === 'boolean') return m.tag(5, 0).varint(v ? 1 : 0);
  if (typeof v === 'number') return m.tag(3, 0).varint(v);
  if (typeof v === 'string') return m.string(4, v);
  if (Array.isArray(v)) {
    const list = new ProtoWriter();
    for (const x of v) list.message(1, value(x));
    return m.message(7, list);
  }
  return m.message(6, fields(v as JsonObject, 1));
}

/** map<string, Value> entries as field `n` (Struct.fields is 1, RetrievedPoint.payload is 2). */
function fields(obj: JsonObject, n: number, into = new ProtoWriter()): ProtoWriter {
  for (const key of Object.keys(obj)) into.message(n, new ProtoWriter().string(1, key).message(2, value(obj[key] as JsonValue)));
  return into;
}

/** ScrollResponse with one point (id 7) carrying `payload`. */
function scrollBytes(payload: JsonObject): Buffer {
  const point = new ProtoWriter().message(1, new ProtoWriter().tag(1, 0).varint(7));
  fields(payload, 2, point);
  return new ProtoWriter().message(2, point).toBuffer();
}

const json = (v: unknown): string => JSON.stringify(v);

describe('payload keys __proto__, constructor, prototype', () => {
  it('the gRPC Scroll decoder keeps them as keys (this is what lost `__proto__`)', () => {
    const [p] = decodeScrollResponse(scrollBytes(seeded())).points;
    assert.equal(json(p!.payload), TEXT);
    assert.equal(Object.getPrototypeOf(p!.payload), Object.prototype, 'no payload became a prototype');
    assert.ok(Object.hasOwn(p!.payload, '__proto__'));
  });

  it('the official gRPC codec + fromGrpcPoint keeps them too', () => {
    const p = fromGrpcPoint(fromBinary(ScrollResponseSchema, scrollBytes(seeded())).result[0]!);
    assert.equal(json(p.payload), TEXT);
  });

  it('the REST decoder keeps them (plain and lossless JSON paths)', () => {
    for (const big of ['', ',"big":18446744073709551615']) {
      const record = parseJsonExact(`{"id":7,"payload":${TEXT.slice(0, -1)}${big}}}`);
      const p = restPoint(record);
      assert.ok(Object.hasOwn(p.payload, '__proto__'), `kept with${big ? '' : 'out'} a big integer`);
      assert.deepEqual((p.payload as Record<string, JsonValue>)['__proto__'], { polluted: true });
    }
  });

  it('toRows keeps them while it drops nulls and renames clashing keys', () => {
    const plan = planCollection(collection(), MILVUS_26, {}).plan;
    const payload = { ...seeded(), id: 3 };
    Object.defineProperty(payload, '__proto__', { value: { polluted: true, gone: null }, enumerable: true });
    const { rows, stats } = toRows(plan, [{ id: 1n, vectors: { '': [0.1, 0.2, 0.3, 0.4] }, payload }]);
    assert.equal(json(rows[0]!.dynamic), '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":2}],"payload_id":3}');
    assert.equal(stats.nullsDropped, 2);
  });

  it('the Milvus payload encoding keeps them, also on its bigint path, and decodes them back', () => {
    const payload = JSON.parse(STORED) as JsonObject;
    (payload['__proto__'] as JsonObject).big = 2n ** 64n + 5n;
    const text = payloadJson(payload)!;
    assert.equal(text, '{"__proto__":{"polluted":true,"big":18446744073709551621},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":2}]}');
    const back = parsePayload(text);
    assert.ok(Object.hasOwn(back, '__proto__'));
    assert.equal(diffJson(payload, back, '$'), null);
  });

  it('verify reports each of the three keys missing from the target (before: a lost key passed or crashed verify)', () => {
    const plan = planCollection(collection(), MILVUS_26, {}).plan;
    const want: Row = { id: 1n, vectors: { vector: [0.1, 0.2, 0.3, 0.4] }, dynamic: JSON.parse(STORED) as JsonObject };
    assert.deepEqual(compareRow(plan, want, { ...want, dynamic: JSON.parse(STORED) as JsonObject }), []);
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const dynamic = JSON.parse(STORED) as Record<string, JsonValue>;
      delete dynamic[key];
      const [m] = compareRow(plan, want, { ...want, dynamic });
      assert.equal(m?.what, 'payload', `${key} missing is a mismatch`);
      assert.match(m!.detail, new RegExp(`\\$\\.${key}: expected .*, found nothing`));
    }
    // The lost-`__proto__` shape of the bug: the inner object became the payload's prototype.
    assert.notEqual(diffJson(JSON.parse(STORED) as JsonObject, JSON.parse('{"polluted":true}') as JsonObject, '$'), null);
  });

  it('plan overrides for collections named __proto__ and constructor are kept; others get none', () => {
    const { overrides, problems } = parsePlanFile({ collections: [{ source: '__proto__', target: 'proto_t' }, { source: 'constructor', target: 'ctor_t' }] });
    assert.deepEqual(problems, []);
    assert.deepEqual(Object.keys(overrides), ['__proto__', 'constructor']);
    const planned = planMigration([collection({ name: '__proto__' }), collection({ name: 'constructor' }), collection({ name: 'prototype' })], MILVUS_26, overrides);
    assert.deepEqual(planned.collections.map((c) => c.target), ['proto_t', 'ctor_t', 'prototype']);
  });
});
