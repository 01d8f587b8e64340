/**
 * Promoted payload fields read back from a Query (verify, sync): the raw columns of query-codec.ts
 * → Row.scalars values, in the shapes encode-scalars.ts writes, so compare.ts can hold them
 * against toRows()' values:
 *   Bool boolean · Int64 number (bigint outside Number's safe range) · Double number ·
 *   VarChar string · Array: array of its element type.
 *   Timestamptz: an RFC 3339 string as the target returns it. The instant is what is kept, not the
 *     spelling: a source `2024-01-01T10:00:00+02:00` comes back as the same instant in UTC
 *     (`2024-01-01T08:00:00Z`), and compare must compare instants. Targets that answer with
 *     timestamptz_data (int64 µs since the epoch) are turned into that UTC form here.
 *   Geometry: WKT as the target returns it (e.g. `POINT (1.5 2)`): compare parses coordinates.
 * A null (valid_data false) is null. Columns come compact (only valid values) or dense (a value
 * per row, nulls as zero values); both are read.
 */
import type { PromotedFieldPlan, ScalarFieldType, ArrayElementType } from '../core/payload-schema.ts';
import type { JsonValue } from '../core/types.ts';

export interface RawScalarColumn {
  valid_data?: boolean[];
  scalars?: Record<string, unknown>;
}

type Scalars = Record<string, unknown>;

function data<T>(s: Scalars | undefined, key: string): T[] {
  return ((s?.[key] as { data?: T[] } | undefined)?.data ?? []) as T[];
}

function int64Value(s: string): number | bigint {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

/** µs since the epoch → `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`. */
export function microsToIso(us: string | bigint): string {
  const big = BigInt(us);
  const ms = Number(big / 1000n) - (big % 1000n < 0n ? 1 : 0);
  const rest = Number(((big % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  if (rest === 0) return `${base}Z`;
  return `${base}.${String(rest).padStart(6, '0').replace(/0+$/, '')}Z`;
}

/** A WKB POINT (what geometry_data carries) → `POINT (x y)`; other shapes as hex (never compared equal by accident). */
export function wkbToWkt(b: Buffer): string {
  if (b.length >= 21) {
    const le = b[0] === 1;
    const type = le ? b.readUInt32LE(1) : b.readUInt32BE(1);
    if (type === 1) {
      const x = le ? b.readDoubleLE(5) : b.readDoubleBE(5);
      const y = le ? b.readDoubleLE(13) : b.readDoubleBE(13);
      return `POINT (${x} ${y})`;
    }
  }
  return `WKB ${b.toString('hex')}`;
}

/** The column's values (only those the server sent; nulls are placed by valid_data afterwards). */
function physical(type: ScalarFieldType | ArrayElementType, s: Scalars | undefined, element?: ArrayElementType): JsonValue[] {
  switch (type) {
    case 'Bool':
      return data<boolean>(s, 'bool_data');
    case 'Int64':
      return data<string>(s, 'long_data').map(int64Value);
    case 'Double':
      return data<number>(s, 'double_data');
    case 'VarChar':
      return data<string>(s, 'string_data');
    case 'Timestamptz': {
      const strings = data<string>(s, 'string_data');
      return strings.length > 0 ? strings : data<string>(s, 'timestamptz_data').map(microsToIso);
    }
    case 'Geometry': {
      const wkt = data<string>(s, 'geometry_wkt_data');
      return wkt.length > 0 ? wkt : data<Buffer>(s, 'geometry_data').map(wkbToWkt);
    }
    case 'Array':
      return data<Scalars>(s, 'array_data').map((row) => physical(element ?? 'VarChar', row));
  }
}

/** One promoted field's values for `n` rows. A column the server did not send reads as all null. */
export function decodeScalarColumn(f: PromotedFieldPlan, raw: RawScalarColumn | undefined, n: number): JsonValue[] {
  if (!raw?.scalars) return new Array<JsonValue>(n).fill(null);
  const values = physical(f.type, raw.scalars, f.elementType);
  const valid = raw.valid_data ?? [];
  if (valid.length === 0) return values;
  const dense = values.length === valid.length;
  let k = 0;
  return valid.map((ok, i) => (ok ? (values[dense ? i : k++] ?? null) : null));
}
