/**
 * Promoted payload keys → Row.scalars, per point, on the hot path (called by toRows()). A key the
 * plan promotes leaves the payload and goes to its typed field by field name; a point without it
 * (or with null) gets null, or the field's defaultValue (the partition key: never null). A value
 * that does not fit meets the field's policy (issue 10 §4):
 * - reject: the point is not written; it is logged by id with the key, the field and the value's
 *   JSON type (never the value: it may be anything, of any size);
 * - null: the field gets null (or its default), the original value stays in the dynamic field
 *   under `<key>__raw`, and it is counted;
 * - fail: a config error that fails the job, naming the point, the key and the field.
 */
import { configError } from '../core/errors.ts';
import { getOwn, setOwn } from '../core/own.ts';
import type { PromotedFieldPlan } from '../core/payload-schema.ts';
import type { CollectionPlan, JsonObject, JsonValue, PointId } from '../core/types.ts';
import { fitValue } from './fit.ts';

/** Suffix of the dynamic key that keeps a value the `null` policy set aside. */
export const RAW_SUFFIX = '__raw';

export interface Promoted {
  key: string;
  field: PromotedFieldPlan;
}

export type ScalarOutcome =
  | { dynamic: JsonObject; scalars: Record<string, JsonValue>; nulled: number }
  | { rejected: { code: string; reason: string } };

/** The plan's promoted keys (mode `field`), in plan order. */
export function promotedKeys(plan: CollectionPlan): Promoted[] {
  return (plan.payload ?? []).flatMap((p) => (p.mode === 'field' && p.field ? [{ key: p.key, field: p.field }] : []));
}

/** How messages name a field's type: `Int64`, `VarChar(64)`, `Array<Int64>[16]`. */
export function fieldTypeLabel(f: PromotedFieldPlan): string {
  if (f.type === 'Array') return `Array<${f.elementType}${f.elementType === 'VarChar' ? `(${f.maxLength})` : ''}>[${f.maxCapacity}]`;
  return f.type === 'VarChar' ? `VarChar(${f.maxLength})` : f.type;
}

/** What typeScalars() makes of one point's promoted values. */
export type ScalarTyping =
  | {
    scalars: Record<string, JsonValue>;
    /** Values the `null` policy set aside, as `[<key>__raw, value]`, in plan order (undefined: none). */
    raws: Array<[string, JsonValue]> | undefined;
    /** Some promoted key is in the payload (null-valued included). */
    hit: boolean;
  }
  | { rejected: { code: string; reason: string } };

/**
 * The typing rules and mismatch policy for one point: `values[i]` is the payload's value under
 * `promoted[i].key` (undefined: absent). Both paths run it: the object path with the decoded
 * payload's own properties (extractScalars), the byte path with each promoted key's value decoded
 * alone from the transcoder's bytes (rows.ts), so both type, reject and set aside alike. Throws a
 * config error (PAYLOAD_TYPE_MISMATCH) for a `fail` policy.
 */
export function typeScalars(promoted: readonly Promoted[], values: ReadonlyArray<JsonValue | undefined>, id: PointId): ScalarTyping {
  const scalars: Record<string, JsonValue> = {};
  let raws: Array<[string, JsonValue]> | undefined;
  let hit = false;
  for (let i = 0; i < promoted.length; i++) {
    const { key, field } = promoted[i]!;
    const v = values[i];
    let value: JsonValue = null;
    if (v !== undefined) hit = true;
    if (v !== undefined && v !== null) {
      const fit = fitValue(field, v);
      if (fit.ok) value = fit.value;
      else {
        const reason = `payload key "${key}" is ${fit.reason}; field "${field.name}" is ${fieldTypeLabel(field)}`;
        if (field.onMismatch === 'reject') return { rejected: { code: 'PAYLOAD_TYPE_MISMATCH', reason: `${reason} (policy: reject).` } };
        if (field.onMismatch === 'fail') {
          throw configError('PAYLOAD_TYPE_MISMATCH', `Point ${String(id)}: ${reason} (policy: fail).`,
            `Set "onMismatch" of payload key "${key}" to "reject" or "null" in the plan, pick a type that holds the value, or keep the key dynamic.`);
        }
        (raws ??= []).push([`${key}${RAW_SUFFIX}`, v]);
      }
    }
    if (value === null && field.defaultValue !== undefined) value = field.defaultValue;
    setOwn(scalars, field.name, value);
  }
  return { scalars, raws, hit };
}

/**
 * Splits one payload into its promoted scalars and what stays dynamic. Returns the payload itself
 * as `dynamic` when it holds none of the promoted keys and no value was set aside. Throws a config
 * error (PAYLOAD_TYPE_MISMATCH) for a `fail` policy.
 */
export function extractScalars(promoted: readonly Promoted[], payload: JsonObject, id: PointId): ScalarOutcome {
  const typed = typeScalars(promoted, promoted.map((p) => getOwn(payload, p.key)), id);
  if ('rejected' in typed) return typed;
  const { scalars, raws, hit } = typed;
  if (!hit) return { dynamic: payload, scalars, nulled: 0 };
  const dynamic: JsonObject = {};
  const moved = new Set(promoted.map((p) => p.key));
  for (const key in payload) if (!moved.has(key)) setOwn(dynamic, key, payload[key] as JsonValue);
  for (const [k, v] of raws ?? []) setOwn(dynamic, k, v);
  return { dynamic, scalars, nulled: raws?.length ?? 0 };
}
