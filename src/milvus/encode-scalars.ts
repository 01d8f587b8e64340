/**
 * Promoted payload keys (issue 10) → FieldData of an Upsert request, hand-encoded like encode.ts.
 *
 * What toRows() puts in Row.scalars[field] for each promoted field type, and how it travels
 * (schema.proto ScalarField; the shapes the Node SDK 3.0.6 also sends, probed on each engine):
 *   Bool        boolean                         bool_data (1)
 *   Int64       number (integer) or bigint      long_data (3)
 *   Double      number (bigint: as a number)    double_data (5)
 *   VarChar     string                          string_data (6)
 *   Timestamptz string, RFC 3339 / ISO 8601     string_data (6): the proxy parses it (with the offset
 *                                               it carries) into its int64 microseconds, as the SDK does
 *   Geometry    string WKT, or {lon, lat}       geometry_wkt_data (12), `POINT(lon lat)`
 *   Array       array of the element type       array_data (8): one ScalarField per row
 *   null / absent: the field is null (valid_data false). A non-nullable field (the partition key)
 *   never sees one: toRows() writes its defaultValue.
 * Nullable columns carry valid_data and only the present values ("compact"), like the vector
 * columns: every engine probed takes that shape.
 */
import { DataType } from '@zilliz/milvus2-sdk-node';
import { systemError } from '../core/errors.ts';
import { ProtoWriter as Message } from '../core/protobuf.ts';
import type { ArrayElementType, PromotedFieldPlan, ScalarFieldType } from '../core/payload-schema.ts';
import type { CollectionPlan, JsonValue } from '../core/types.ts';

/** The plan's promoted fields, in plan order (the DDL's field order too). */
export function promotedFields(plan: CollectionPlan): PromotedFieldPlan[] {
  const out: PromotedFieldPlan[] = [];
  for (const k of plan.payload ?? []) if (k.mode === 'field' && k.field) out.push(k.field);
  return out;
}

export const SCALAR_DATA_TYPE: Record<ScalarFieldType, DataType> = {
  Bool: DataType.Bool,
  Int64: DataType.Int64,
  Double: DataType.Double,
  VarChar: DataType.VarChar,
  Timestamptz: DataType.Timestamptz,
  Geometry: DataType.Geometry,
  Array: DataType.Array,
};

type ScalarKind = ScalarFieldType | ArrayElementType;

function bad(field: string, type: string, value: unknown): Error {
  const shown = typeof value === 'object' ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) : String(value);
  return systemError('SINK_SCALAR_VALUE', `Field ${field} (${type}) got ${typeof value} ${shown.slice(0, 80)}: toRows() should have applied the field's mismatch policy.`);
}

/** `POINT(lon lat)` from a WKT string or a Qdrant geo point. */
export function geometryWkt(field: string, value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { lon, lat } = value as { lon?: unknown; lat?: unknown };
    if (typeof lon === 'number' && typeof lat === 'number') return `POINT(${lon} ${lat})`;
  }
  throw bad(field, 'Geometry', value);
}

function int64(field: string, v: JsonValue): bigint | number {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw bad(field, 'Int64', v);
}

/** The ScalarField message holding `values`, all of one type. */
function scalarField(field: string, type: ScalarKind, values: JsonValue[], element?: ArrayElementType): Message {
  const out = new Message();
  switch (type) {
    case 'Bool': {
      const packed = Uint8Array.from(values, (v) => {
        if (typeof v !== 'boolean') throw bad(field, type, v);
        return v ? 1 : 0;
      });
      return out.message(1, new Message().bytes(1, packed));
    }
    case 'Int64': {
      const packed = new Message();
      // Negative int64 is ten varint bytes of its two's complement (ProtoWriter does asUintN).
      for (const v of values) {
        const n = int64(field, v);
        packed.varint(typeof n === 'number' && n < 0 ? BigInt(n) : n);
      }
      return out.message(3, new Message().message(1, packed));
    }
    case 'Double': {
      const b = Buffer.allocUnsafe(values.length * 8);
      values.forEach((v, i) => {
        if (typeof v !== 'number' && typeof v !== 'bigint') throw bad(field, type, v);
        b.writeDoubleLE(Number(v), i * 8);
      });
      return out.message(5, new Message().bytes(1, b));
    }
    case 'VarChar':
    case 'Timestamptz': {
      const strings = new Message();
      for (const v of values) {
        if (typeof v !== 'string') throw bad(field, type, v);
        strings.string(1, v);
      }
      return out.message(6, strings);
    }
    case 'Geometry': {
      const strings = new Message();
      for (const v of values) strings.string(1, geometryWkt(field, v));
      return out.message(12, strings);
    }
    case 'Array': {
      if (!element) throw systemError('SINK_SCALAR_VALUE', `Array field ${field} has no element type in the plan.`);
      const arrays = new Message();
      for (const v of values) {
        if (!Array.isArray(v)) throw bad(field, `Array of ${element}`, v);
        arrays.message(1, scalarField(field, element, v));
      }
      arrays.uint(2, SCALAR_DATA_TYPE[element]);
      return out.message(8, arrays);
    }
  }
}

/**
 * One FieldData per promoted field: type (1), field_name (2), scalars (3), valid_data (7).
 * `values[i]` is row i's value; null/undefined = the field is null for that row.
 */
export function scalarFieldData(f: PromotedFieldPlan, values: Array<JsonValue | undefined>): Message {
  const present: JsonValue[] = [];
  const valid: number[] = [];
  for (const v of values) {
    const has = v !== null && v !== undefined;
    if (has) present.push(v);
    valid.push(has ? 1 : 0);
  }
  if (!f.nullable && present.length !== values.length) {
    throw systemError('SINK_SCALAR_NULL', `A row has no value for field ${f.name}, which is not nullable in the plan (toRows() writes its default).`);
  }
  const m = new Message().uint(1, SCALAR_DATA_TYPE[f.type]).string(2, f.name);
  m.message(3, scalarField(f.name, f.type, present, f.elementType));
  if (f.nullable) m.bytes(7, Uint8Array.from(valid));
  return m;
}

/** Every promoted field's column for these rows (none when the plan promotes nothing). */
export function scalarColumns(plan: CollectionPlan, rows: ReadonlyArray<{ row: { scalars?: Record<string, JsonValue> } }>): Message[] {
  return promotedFields(plan).map((f) => scalarFieldData(f, rows.map((r) => r.row.scalars?.[f.name])));
}

/** Rough bytes a row's promoted values add to a request (for the writer's byte-sized batches). */
export function scalarBytes(scalars: Record<string, JsonValue> | undefined): number {
  if (!scalars) return 0;
  let n = 0;
  for (const key in scalars) {
    const v = scalars[key];
    n += 4 + (typeof v === 'string' ? Buffer.byteLength(v) : Array.isArray(v) ? 8 + v.reduce<number>((s, e) => s + (typeof e === 'string' ? Buffer.byteLength(e) + 2 : 9), 0) : 9);
  }
  return n;
}
