/**
 * The compare engine's payload shortcut (src/core/compare-payload.ts): a packed source payload
 * against the `$meta` text a target returned. Whatever the shortcut decides, a step must find
 * exactly what the full comparison finds; the shortcut itself must hold for the texts real
 * targets send (the stored bytes; Milvus Lite 3's Python json.dumps re-encoding).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { samePayloadText, TargetRow } from '../../src/core/compare-payload.ts';
import { compareInto, emptyStep } from '../../src/core/compare-step.ts';
import { PackedRow } from '../../src/core/packed-payload.ts';
import type { CollectionPlan, JsonObject, Point, Row } from '../../src/core/types.ts';
import { toRows } from '../../src/mapping/rows.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { isInteger, isSafeNumber, parse } from 'lossless-json';
import { collection, LITE } from './mapping-fixtures.ts';

const plan = planCollection(collection(), LITE).plan;
const field = plan.vectors[0]!.field;
const V = [0.5, 0.25, 0.5, 0.5];

/** Sink.fetch's `$meta` rule (rows.ts parsePayload, not imported: it loads the Milvus SDK, 2 s): unsafe integers as bigint. */
const parsePayload = (text: string | Buffer): JsonObject =>
  parse(String(text), null, (n: string) => (isSafeNumber(n) || !isInteger(n) ? Number(n) : BigInt(n))) as JsonObject;

/** A source row as a packed read maps it: its payload still the JSON text the migration wrote. */
function source(json: string): Row {
  const payload = parsePayload(json);
  const point: Point = { id: 7n, vectors: { '': V }, payload };
  return new PackedRow(7n, { [field]: V }, point, { json: Buffer.from(json), keys: Object.keys(payload) });
}

/** A target row as Sink.fetch decodes it for the walk (lazyPayload): its `$meta` text kept. */
function target(meta: string, vector = V): Row {
  return new TargetRow(7n, { [field]: vector }, undefined, Buffer.from(meta), (b) => parsePayload(Buffer.from(b)));
}

function verdict(want: Row, got: Row): string {
  const step = emptyStep('source', null);
  compareInto(plan, step, want, got);
  return step.equal === 1 ? 'equal' : step.different[0]!.diffs.map((d) => `${d.what} ${d.detail}`).join('; ');
}

/** `$meta` as Milvus Lite 3 sends it (Python json.dumps): top-level keys sorted, ", " and ": ", non-ASCII escaped. */
function pythonDumps(value: JsonObject): string {
  const sorted = Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted)
    .replace(/"(?:[^"\\]|\\.)*"|[,:]/g, (t) => (t === ',' ? ', ' : t === ':' ? ': ' : t))
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

describe('compare: the packed payload shortcut', () => {
  const payload = { city: 'Zürich', tags: ['a', 'b, c: d'], n: 3, x: 0.1, y: 0.30000000000000004, z: -1.5e-7, w: 0.1234567890123456, nested: { ok: true, none: [] } };
  const json = JSON.stringify(payload);

  it('holds for the stored bytes and for Milvus Lite 3 re-encoded text', () => {
    assert.equal(pythonDumps(payload).includes('"b, c: d"'), true);
    assert.equal(samePayloadText(source(json), target(json)), true);
    assert.equal(samePayloadText(source(json), target(pythonDumps(payload))), true);
    assert.equal(verdict(source(json), target(pythonDumps(payload))), 'equal');
  });

  it('still compares the vectors of a row whose payload it found equal', () => {
    assert.match(verdict(source(json), target(json, [0.5, 0.25, 0.5, 0.75])), new RegExp(`^vector:${field} `));
  });

  it('finds every payload difference the full comparison finds, and falls back where text hides one', () => {
    // A changed value, a missing key, a key order (equal, by the full comparison).
    assert.match(verdict(source(json), target(JSON.stringify({ ...payload, n: 4 }))), /^payload \$\.n: expected 3, found 4/);
    assert.match(verdict(source(json), target(JSON.stringify({ ...payload, city: undefined }))), /^payload \$\.city/);
    // A nested key order: equal by the full comparison and by the shortcut (token by token).
    const reordered = { ...payload, nested: { none: [], ok: true } };
    assert.equal(verdict(source(json), target(JSON.stringify(reordered))), 'equal');
    assert.equal(samePayloadText(source(json), target(JSON.stringify(reordered))), true);
    // A key more on the target (sync deletes and rewrites such a row).
    assert.match(verdict(source(json), target(JSON.stringify({ ...payload, extra: 1 }))), /^payload \$\.extra/);
    // 20 digits: JSON.parse would round both to the same double; read exactly, they differ.
    assert.match(verdict(source('{"big":12345678901234567891}'), target('{"big": 12345678901234567000}')), /^payload \$\.big/);
    // The same digits are the same integer at any length: the token test needs no parse.
    assert.equal(samePayloadText(source('{"big":12345678901234567891}'), target('{"big": 12345678901234567891}')), true);
    assert.match(verdict(source('{"big":[-12345678901234567891]}'), target('{"big": [-12345678901234567000]}')), /^payload \$\.big\[0\]/);
  });

  it('takes no shortcut without both texts (a payload mapping changed, a row not fetched by the sink)', () => {
    const plain: Row = { id: 7n, vectors: { [field]: V }, dynamic: payload };
    assert.equal(samePayloadText(plain, target(json)), false);
    assert.equal(samePayloadText(source(json), { ...plain }), false);
    assert.equal(verdict(plain, { ...plain, dynamic: { ...payload, n: 5 } }).startsWith('payload $.n'), true);
  });
});

/** json.dumps with sort_keys at every depth (Milvus Lite 3's `$meta` text). */
function sortedDumps(value: JsonObject): string {
  const sort = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as JsonObject)[k])])) : Array.isArray(v) ? v.map(sort) : v;
  return pythonDumps(sort(value) as JsonObject);
}

describe('compare: a payload the mapping rewrote, as the text the migration wrote', () => {
  // A promoted key (year → Int64 field), a key that clashes with the primary key (id → payload_id),
  // nulls at the top and nested (dropped): toRows rewrites this payload, so it has no packed bytes.
  const year = { name: 'year', type: 'Int64', nullable: true, index: null, onMismatch: 'reject' } as const;
  const mapped = { ...plan, payload: [{ key: 'year', mode: 'field', field: year }] } as unknown as CollectionPlan;
  const point: Point = { id: 7n, vectors: { '': V }, payload: { id: 'ext-7', note: null, year: 2020, city: 'Zürich', nested: { a: null, b: '名前' } } };
  const want = toRows(mapped, [point]).rows[0]!;
  // The sink's serialiser (milvus/rows.ts payloadJson; this payload has no bigint, so JSON.stringify's text).
  const written = JSON.stringify(want.dynamic);
  const lite = (dynamic: JsonObject, yearValue: number | null = 2020): Row =>
    new TargetRow(7n, { [field]: V }, { year: yearValue }, Buffer.from(sortedDumps(dynamic)), (b) => parsePayload(Buffer.from(b)), (p) => JSON.stringify(p));
  const verdictIn = (got: Row): string => {
    const step = emptyStep('source', null);
    compareInto(mapped, step, want, got);
    return step.equal === 1 ? 'equal' : step.different[0]!.diffs.map((d) => `${d.what} ${d.detail}`).join('; ');
  };

  it('is equal to Lite 3 text of what the migration wrote, without parsing it', () => {
    assert.equal(written, '{"payload_id":"ext-7","city":"Zürich","nested":{"b":"名前"}}');
    let parsed = 0;
    const got = new TargetRow(7n, { [field]: V }, { year: 2020 }, Buffer.from(sortedDumps(JSON.parse(written) as JsonObject)), (b) => (parsed++, parsePayload(Buffer.from(b))), (p) => JSON.stringify(p));
    assert.equal(samePayloadText(want, got), true);
    assert.equal(verdictIn(got), 'equal');
    assert.equal(parsed, 0);
  });

  it('still finds a changed promoted field, an unrenamed key, a kept null and a changed character', () => {
    const base = JSON.parse(written) as JsonObject;
    assert.equal(verdictIn(lite(base, 2021)), 'field:year expected 2020, found 2021');
    const { payload_id: pid, ...rest } = base;
    assert.match(verdictIn(lite({ ...rest, id: pid! })), /^payload \$\.payload_id: expected "ext-7", found nothing/);
    assert.match(verdictIn(lite({ ...base, note: null })), /^payload \$\.note: expected nothing, found null/);
    assert.match(verdictIn(lite({ ...base, nested: { a: null, b: '名前' } })), /^payload \$\.nested\.a: expected nothing, found null/);
    assert.match(verdictIn(lite({ ...base, city: 'Zurich' })), /^payload \$\.city: expected "Zürich", found "Zurich"/);
    assert.match(verdictIn(lite({ ...base, year: 2020 })), /^payload \$\.year: expected nothing, found 2020/);
  });

  it('compares in full when the sink gave no serialiser', () => {
    const got = new TargetRow(7n, { [field]: V }, { year: 2020 }, Buffer.from(written), (b) => parsePayload(Buffer.from(b)));
    assert.equal(samePayloadText(want, got), false);
    assert.equal(verdictIn(got), 'equal');
  });
});
