/**
 * Helpers for tests that talk to Qdrant through the official @qdrant/js-client-grpc: JSON payloads
 * to and from its `Value` messages (integers as int64, kept exact as bigint), and point ids.
 */
import type { PointId as GrpcPointId, Value } from '@qdrant/js-client-grpc';
import type { JsonObject, JsonValue } from '../../src/core/types.ts';

type ValueInit = { kind: { case: string; value: unknown } };

export function toValue(v: JsonValue): ValueInit {
  if (v === null) return { kind: { case: 'nullValue', value: 0 } };
  if (typeof v === 'boolean') return { kind: { case: 'boolValue', value: v } };
  if (typeof v === 'string') return { kind: { case: 'stringValue', value: v } };
  if (typeof v === 'bigint') return { kind: { case: 'integerValue', value: v } };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { kind: { case: 'integerValue', value: BigInt(v) } } : { kind: { case: 'doubleValue', value: v } };
  }
  if (Array.isArray(v)) return { kind: { case: 'listValue', value: { values: v.map(toValue) } } };
  return { kind: { case: 'structValue', value: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x)])) } } };
}

/**
 * A payload map for request messages. The client accepts init objects (no `$typeName`) wherever a
 * message goes; the cast only spares spelling out protobuf-es's MessageInit types for each kind.
 */
export function toPayload(obj: JsonObject): Record<string, Value> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toValue(v)])) as unknown as Record<string, Value>;
}

/** Integers come back as bigint; small ones are turned into numbers so they compare with JSON. */
export function fromValue(v: Value): JsonValue {
  const k = v.kind;
  switch (k.case) {
    case 'integerValue':
      return Number.isSafeInteger(Number(k.value)) ? Number(k.value) : k.value;
    case 'doubleValue':
    case 'stringValue':
    case 'boolValue':
      return k.value;
    case 'structValue':
      return fromPayload(k.value.fields);
    case 'listValue':
      return k.value.values.map(fromValue);
    default:
      return null;
  }
}

export function fromPayload(fields: Record<string, Value>): JsonObject {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fromValue(v)]));
}

export function pid(id: bigint | number | string): { pointIdOptions: { case: 'num'; value: bigint } | { case: 'uuid'; value: string } } {
  return typeof id === 'string'
    ? { pointIdOptions: { case: 'uuid', value: id } }
    : { pointIdOptions: { case: 'num', value: BigInt(id) } };
}

export function idOf(id: GrpcPointId | undefined): PointId {
  const o = id?.pointIdOptions;
  if (o?.case === 'num') return o.value;
  if (o?.case === 'uuid') return o.value;
  throw new Error('point id missing');
}

type PointId = bigint | string;
