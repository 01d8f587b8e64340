/**
 * gRPC `Filter` → the REST JSON filter the store evaluates. Every condition kind of qdrant_common.proto
 * is translated; the store decides what it supports (it answers 400 for the rest).
 */
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import { asArray, asMsg, idFromGrpc, toBigint, toNumber, type Msg } from './grpc-values.ts';

/** An int64 from a Match as a JSON integer (bigint only beyond Number's safe range). */
function jsonInt(v: unknown): number | bigint {
  const b = toBigint(v) ?? 0n;
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

function strings(v: unknown): string[] {
  return asArray(asMsg(v)?.strings).map(String);
}

function ints(v: unknown): Array<number | bigint> {
  return asArray(asMsg(v)?.integers).map(jsonInt);
}

function matchFromGrpc(m: Msg): JsonObject {
  switch (m.match_value) {
    case 'keyword': return { value: String(m.keyword) };
    case 'integer': return { value: jsonInt(m.integer) };
    case 'boolean': return { value: m.boolean === true };
    case 'text': return { text: String(m.text) };
    case 'phrase': return { phrase: String(m.phrase) };
    case 'text_any': return { text_any: String(m.text_any) };
    case 'prefix': return { prefix: String(m.prefix) };
    case 'keywords': return { any: strings(m.keywords) };
    case 'integers': return { any: ints(m.integers) };
    case 'except_keywords': return { except: strings(m.except_keywords) };
    case 'except_integers': return { except: ints(m.except_integers) };
    default: return {};
  }
}

/** Copies the set bounds (lt/gt/gte/lte) of a Range or ValuesCount, converting each with `conv`. */
function bounds(m: Msg, conv: (v: unknown) => JsonValue | undefined): JsonObject {
  const out: JsonObject = {};
  for (const k of ['lt', 'gt', 'gte', 'lte']) {
    const v = m[k] === undefined || m[k] === null ? undefined : conv(m[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** google.protobuf.Timestamp → RFC 3339 text, the form REST datetime ranges take. */
function timestamp(v: unknown): string | undefined {
  const m = asMsg(v);
  if (!m) return undefined;
  const ms = Number(toBigint(m.seconds) ?? 0n) * 1000 + Math.floor((toNumber(m.nanos) ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

function geoPoint(v: unknown): JsonObject {
  const m = asMsg(v) ?? {};
  return { lon: toNumber(m.lon) ?? 0, lat: toNumber(m.lat) ?? 0 };
}

function lineString(v: unknown): JsonObject {
  return { points: asArray(asMsg(v)?.points).map(geoPoint) };
}

function fieldFromGrpc(f: Msg): JsonObject {
  const key = String(f.key ?? '');
  const m = (name: string) => asMsg(f[name]);
  if (f.is_empty === true) return { is_empty: { key } };
  if (f.is_null === true) return { is_null: { key } };
  const out: JsonObject = { key };
  const match = m('match');
  if (match) out.match = matchFromGrpc(match);
  const range = m('range');
  if (range) out.range = bounds(range, toNumber);
  const dt = m('datetime_range');
  if (dt) out.range = bounds(dt, timestamp);
  const vc = m('values_count');
  if (vc) out.values_count = bounds(vc, (x) => toNumber(x));
  const box = m('geo_bounding_box');
  if (box) out.geo_bounding_box = { top_left: geoPoint(box.top_left), bottom_right: geoPoint(box.bottom_right) };
  const radius = m('geo_radius');
  if (radius) out.geo_radius = { center: geoPoint(radius.center), radius: toNumber(radius.radius) ?? 0 };
  const polygon = m('geo_polygon');
  if (polygon) {
    out.geo_polygon = { exterior: lineString(polygon.exterior), interiors: asArray(polygon.interiors).map(lineString) };
  }
  return out;
}

function conditionFromGrpc(c: unknown): JsonObject {
  const m = asMsg(c) ?? {};
  const inner = asMsg(m[String(m.condition_one_of)]) ?? {};
  switch (m.condition_one_of) {
    case 'field': return fieldFromGrpc(inner);
    case 'is_empty': return { is_empty: { key: String(inner.key) } };
    case 'is_null': return { is_null: { key: String(inner.key) } };
    case 'has_id': return { has_id: asArray(inner.has_id).map(idFromGrpc) };
    case 'has_vector': return { has_vector: String(inner.has_vector) };
    case 'nested': return { nested: { key: String(inner.key), filter: filterFromGrpc(inner.filter) ?? {} } };
    case 'filter': return filterFromGrpc(inner) ?? {};
    default: return {};
  }
}

/** Returns undefined for an absent filter, so requests without one stay without one. */
export function filterFromGrpc(f: unknown): JsonObject | undefined {
  const m = asMsg(f);
  if (!m) return undefined;
  const out: JsonObject = {};
  for (const k of ['must', 'should', 'must_not']) {
    const list = asArray(m[k]);
    if (list.length > 0) out[k] = list.map(conditionFromGrpc);
  }
  const minShould = asMsg(m.min_should);
  if (minShould) {
    out.min_should = {
      conditions: asArray(minShould.conditions).map(conditionFromGrpc),
      min_count: toNumber(minShould.min_count) ?? 0,
    };
  }
  return out;
}
