/**
 * Milvus's Parquet import layout (Milvus 2.3.4+; 2.3.5 probed), one column per field:
 *
 *   id       int64 (exact above 2^53) | string (VarChar ids)
 *   <vector> list<float>    (2.3.5 refuses fixed_size_list)
 *   <scalar> bool | int64 | double | string | list<...>   (promoted payload keys; nullable)
 *   $meta    string         the dynamic payload as JSON text (2.3.5 refuses large_string, and
 *                           looks for dynamic keys inside $meta, not as columns of their own)
 *
 * Rows are gathered into typed arrays (no object per row); every ROW_GROUP_BYTES of them Arrow JS
 * makes a record batch that goes to the streaming writer (parquet-stream.ts) as one row group, and
 * the arrays are reused for the next group. So the memory one file in progress holds is one group's
 * columns plus the file's finished Parquet bytes, not the whole file's columns, a table, its IPC copy
 * and the writer's copies of them (measured in parquet-stream.ts). Both libraries are loaded only by
 * bulk jobs that write Parquet (formats.ts imports this module lazily): the writer is a 5 MB
 * WebAssembly module.
 */
import {
  Bool, Field, Float32, Float64, Int64, List, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray,
  type Data, type DataType,
} from 'apache-arrow';
import { configError, systemError } from '../core/errors.ts';
import type { CollectionPlan, DenseVector, JsonValue, Row } from '../core/types.ts';
import type { PromotedFieldPlan } from '../core/payload-schema.ts';
import { payloadJson } from '../milvus/rows.ts';
import { packedPayloadOf } from '../core/packed-payload.ts';
import type { ImportFile } from './formats.ts';
import type { ObjectUpload } from './objects.ts';
import { ParquetStream } from './parquet-stream.ts';

/** Column bytes per row group: the batch JS builds and the writer's share of memory per file in
 *  progress (Milvus 2.3.5 reads a file of many groups: test/matrix/bulk.test.ts). Smaller groups
 *  cost time: bulk 1M basic points into Milvus 2.3.5 took 108 s with 4 MiB groups (509 MB peak)
 *  and 145-171 s with 2 MiB ones (464-465 MB); whole files took 82-98 s (970-999 MB). */
export const ROW_GROUP_BYTES = 4 * 1024 * 1024;

/** The promoted payload fields of a plan, in the order their columns are written. */
function promotedFields(plan: CollectionPlan): PromotedFieldPlan[] {
  return (plan.payload ?? []).flatMap((k) => (k.mode === 'field' && k.field ? [k.field] : []));
}

/** Arrow type of a promoted field; throws for the types whose Parquet layout no Milvus here shows. */
function scalarType(plan: CollectionPlan, f: PromotedFieldPlan): DataType {
  const of = (t: string | undefined): DataType | undefined =>
    t === 'Bool' ? new Bool() : t === 'Int64' ? new Int64() : t === 'Double' ? new Float64() : t === 'VarChar' ? new Utf8() : undefined;
  const type = f.type === 'Array' ? (f.elementType && of(f.elementType) && new List(new Field('item', of(f.elementType)!, true))) : of(f.type);
  if (!type) {
    throw configError('BULK_FIELD_UNSUPPORTED', `Collection ${plan.source}: promoted field ${f.name} is ${f.type}, which the Parquet import files do not carry here.`, 'Use --bulk-format json, or --mode upsert.');
  }
  return type;
}

/** Throws a config error naming the field when the plan has a field the Parquet layout cannot carry. */
export function checkParquetLayout(plan: CollectionPlan): void {
  for (const f of promotedFields(plan)) scalarType(plan, f);
}

const TEXT_ENCODER = new TextEncoder();

/** A growing typed array (amortised doubling), emptied and reused for each row group. */
class Grow<A extends Float32Array | BigInt64Array | Int32Array | Uint8Array> {
  #buf: A;
  length = 0;
  readonly #make: (n: number) => A;

  constructor(make: (n: number) => A, initial = 1024) {
    this.#make = make;
    this.#buf = make(initial);
  }

  reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const next = this.#make(Math.max(this.#buf.length * 2, this.length + n));
    (next as Uint8Array).set(this.#buf as Uint8Array);
    this.#buf = next;
  }

  /** The slot array to write `n` values into at `this.length`; call advance(n) after. */
  slots(n: number): A {
    this.reserve(n);
    return this.#buf;
  }

  advance(n: number): void {
    this.length += n;
  }

  view(): A {
    return this.#buf.subarray(0, this.length) as A;
  }

  clear(): void {
    this.length = 0;
  }
}

/** A string column: UTF-8 bytes and int32 offsets, as Arrow's Utf8 keeps them. */
class Strings {
  readonly bytes = new Grow((n) => new Uint8Array(n), 64 * 1024);
  readonly offsets = new Grow((n) => new Int32Array(n));

  constructor() {
    this.offsets.slots(1)[0] = 0;
    this.offsets.advance(1);
  }

  /** Appends `s`; returns its UTF-8 length. */
  add(s: string): number {
    const max = s.length * 3;
    const { written } = TEXT_ENCODER.encodeInto(s, this.bytes.slots(max).subarray(this.bytes.length, this.bytes.length + max));
    this.bytes.advance(written);
    this.offsets.slots(1)[this.offsets.length] = this.bytes.length;
    this.offsets.advance(1);
    return written;
  }

  /** Appends UTF-8 bytes as they are (copied); returns their length. */
  addBytes(b: Uint8Array): number {
    this.bytes.slots(b.length).set(b, this.bytes.length);
    this.bytes.advance(b.length);
    this.offsets.slots(1)[this.offsets.length] = this.bytes.length;
    this.offsets.advance(1);
    return b.length;
  }

  clear(): void {
    this.bytes.clear();
    this.offsets.length = 1;
  }

  data(rows: number): Data<Utf8> {
    return makeData({ type: new Utf8(), length: rows, nullCount: 0, valueOffsets: this.offsets.view(), data: this.bytes.view() });
  }
}

/** A list<float> column (one vector field). */
class Vectors {
  readonly values: Grow<Float32Array>;
  readonly offsets = new Grow((n) => new Int32Array(n));

  /** `floats`: room for a row group's values from the start, so they are not copied as they double. */
  constructor(floats: number) {
    this.values = new Grow((n) => new Float32Array(n), floats);
    this.offsets.slots(1)[0] = 0;
    this.offsets.advance(1);
  }

  add(v: DenseVector): void {
    this.values.slots(v.length).set(v, this.values.length);
    this.values.advance(v.length);
    this.offsets.slots(1)[this.offsets.length] = this.values.length;
    this.offsets.advance(1);
  }

  clear(): void {
    this.values.clear();
    this.offsets.length = 1;
  }

  data(rows: number, type: List<Float32>): Data<List<Float32>> {
    const child = makeData({ type: new Float32(), length: this.values.length, nullCount: 0, data: this.values.view() });
    return makeData({ type, length: rows, nullCount: 0, valueOffsets: this.offsets.view(), child });
  }
}

/** Arrow-friendly value of a promoted field: Int64 as bigint, Double as number (nulls kept). */
function scalarValue(type: DataType, v: JsonValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (type instanceof Int64) return typeof v === 'bigint' ? v : BigInt(v as number);
  if (type instanceof Float64) return Number(v);
  if (type instanceof List && Array.isArray(v)) return v.map((e) => scalarValue(type.valueType as DataType, e));
  return v;
}

/** One Parquet import file being built. `add` a row at a time; `seal` ends the file once. */
export class ParquetRowsFile implements ImportFile {
  readonly #plan: CollectionPlan;
  readonly #out: ObjectUpload;
  readonly #groupBytes: number;
  readonly #intIds = new Grow((n) => new BigInt64Array(n));
  readonly #strIds = new Strings();
  readonly #vectors: Vectors[];
  readonly #scalars: Array<{ field: PromotedFieldPlan; type: DataType; values: unknown[] }>;
  readonly #meta = new Strings();
  /** Rows and column bytes of the row group being gathered. */
  #groupRows = 0;
  #groupSize = 0;
  #writer: ParquetStream | undefined;
  rows = 0;
  /** Bytes the file's columns hold so far (the Parquet file is this plus a few KB of metadata). */
  bytes = 0;

  /** `out`: the file's upload; `groupBytes`: column bytes per row group (tests make it small). */
  constructor(plan: CollectionPlan, out: ObjectUpload, groupBytes = ROW_GROUP_BYTES) {
    this.#plan = plan;
    this.#out = out;
    this.#groupBytes = groupBytes;
    // A group closes once its bytes pass groupBytes; vectors take most of them (one row over at most).
    const dims = plan.vectors.reduce((n, v) => n + (v.dim ?? 0), 0);
    this.#vectors = plan.vectors.map((v) => new Vectors(Math.ceil(((v.dim ?? 0) / Math.max(1, dims)) * (groupBytes / 4)) + (v.dim ?? 0) + 1024));
    this.#scalars = promotedFields(plan).map((field) => ({ field, type: scalarType(plan, field), values: [] }));
  }

  add(row: Row, corrupt = false): void {
    const plan = this.#plan;
    const before = this.bytes;
    if (plan.primaryKey.type === 'Int64') {
      this.#intIds.slots(1)[this.#intIds.length] = BigInt(row.id);
      this.#intIds.advance(1);
      this.bytes += 8;
    } else {
      this.bytes += this.#strIds.add(String(row.id)) + 4;
    }
    plan.vectors.forEach((v, i) => {
      const value = row.vectors[v.field] as DenseVector | null | undefined;
      if (value == null) throw systemError('BULK_ROW_ENCODING', `Row ${String(row.id)} of ${plan.target} has no ${v.field} vector.`);
      // Fault injection (faults.ts): one dimension short, so the import task fails on this row.
      this.#vectors[i]!.add(corrupt ? value.slice(1) : value);
      this.bytes += value.length * 4 + 4;
    });
    for (const s of this.#scalars) {
      const v = row.scalars?.[s.field.name];
      s.values.push(scalarValue(s.type, v));
      this.bytes += typeof v === 'string' ? TEXT_ENCODER.encode(v).length + 4 : 8;
    }
    // The transcoder's JSON bytes where mapping kept them (the same text payloadJson writes for the
    // payload: src/core/packed-payload.ts), copied into the column; else the payload serialised here.
    const packed = packedPayloadOf(row);
    if (packed) {
      this.bytes += this.#meta.addBytes(packed.json) + 4;
    } else {
      const meta = payloadJson(row.dynamic);
      if (meta === undefined) throw systemError('BULK_ROW_ENCODING', `Payload of id ${String(row.id)} cannot be serialised.`);
      this.bytes += this.#meta.add(meta) + 4;
    }
    this.rows += 1;
    this.#groupRows += 1;
    this.#groupSize += this.bytes - before;
    if (this.#groupSize >= this.#groupBytes) this.#flush();
  }

  /** The gathered rows as an Arrow table (exported for the layout test). */
  table(): Table {
    const plan = this.#plan;
    const n = this.#groupRows;
    const fields: Field[] = [];
    const columns: Data[] = [];
    const idType = plan.primaryKey.type === 'Int64' ? new Int64() : new Utf8();
    fields.push(new Field(plan.primaryKey.field, idType, false));
    columns.push(idType instanceof Int64 ? makeData({ type: idType, length: n, nullCount: 0, data: this.#intIds.view() }) : this.#strIds.data(n));
    plan.vectors.forEach((v, i) => {
      const type = new List(new Field('item', new Float32(), false));
      fields.push(new Field(v.field, type, false));
      columns.push(this.#vectors[i]!.data(n, type));
    });
    for (const s of this.#scalars) {
      fields.push(new Field(s.field.name, s.type, true));
      columns.push(vectorFromArray(s.values, s.type).data[0]!);
    }
    fields.push(new Field('$meta', new Utf8(), false));
    columns.push(this.#meta.data(n));
    const schema = new Schema(fields);
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns }));
    return new Table(schema, batch);
  }

  /** Hands the gathered rows to the writer as one batch and empties the columns for the next. */
  #flush(): void {
    if (this.#groupRows === 0 && this.#writer) return;
    // The IPC bytes are a copy: the column arrays can be reused as soon as they exist.
    const ipc = tableToIPC(this.table(), 'stream');
    // A file's groups all hold the first group's row count, so each batch closes one group.
    this.#writer ??= new ParquetStream(this.#groupRows, this.#out);
    this.#writer.write(ipc);
    this.#groupRows = 0;
    this.#groupSize = 0;
    this.#intIds.clear();
    this.#strIds.clear();
    for (const v of this.#vectors) v.clear();
    for (const s of this.#scalars) s.values = [];
    this.#meta.clear();
  }

  drain(): Promise<void> {
    return this.#writer?.drain() ?? Promise.resolve();
  }

  seal(): Promise<number> {
    this.#flush();
    return this.#writer!.finish();
  }

  async discard(): Promise<void> {
    await (this.#writer ? this.#writer.discard() : this.#out.abort());
  }
}
