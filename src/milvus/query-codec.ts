/**
 * The Query RPC for the compare engine (scan.ts, verify's batched fetch), with its answer decoded
 * here instead of by the SDK, because the SDK's path costs more than everything else verify does
 * (profiled on `verify --full`, 20,000 768-d rows, our CPU 6.3 s):
 *  - its retry interceptor JSON.stringify()s every response for a debug line whatever the log
 *    level (10 s of the run on 20,000 rows: a number array of every float, Buffers as byte arrays);
 *  - protobufjs decodes a FloatArray float by float, then toObject() copies it again (4.8 s).
 * The request still goes through the SDK's pooled channels and interceptors (token, database,
 * keepalive, retries) and is encoded by the SDK's own serializer; only the response is read here,
 * into the same shape the SDK's loader gives (longs as strings, bytes as Buffers), which
 * rows.ts decodeRows() reads. Fields the compare engine never asks for are skipped.
 */
import { endianness } from 'node:os';
import { ProtoReader } from '../core/protobuf.ts';
import type { MilvusConnection } from './client.ts';
import type { MilvusStatus } from './errors.ts';

const littleEndian = endianness() === 'LE';

export interface QueryField {
  field_name: string;
  valid_data?: boolean[];
  scalars?: Record<string, unknown>;
  vectors?: Record<string, unknown>;
}

export interface QueryAnswer {
  status: MilvusStatus;
  fields_data: QueryField[];
}

/** milvus.proto QueryResults: status = 1, fields_data = 2. */
export function decodeQueryResults(buf: Buffer): QueryAnswer {
  const r = new ProtoReader(buf);
  const out: QueryAnswer = { status: {}, fields_data: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out.status = decodeStatus(r.sub());
    else if (field === 2 && wire === 2) out.fields_data.push(decodeField(r.sub()));
    else r.skip(wire);
  }
  return out;
}

/** common.proto Status: error_code = 1 (enum; 0 is Success), reason = 2, code = 3, retriable = 4. */
function decodeStatus(r: ProtoReader): MilvusStatus {
  const s: MilvusStatus = { error_code: 'Success', code: 0, reason: '' };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) {
      const n = r.varint();
      s.error_code = n === 0 ? 'Success' : n;
    } else if (field === 2 && wire === 2) s.reason = r.string();
    else if (field === 3 && wire === 0) s.code = Number(BigInt.asIntN(32, BigInt(r.varint())));
    else if (field === 4 && wire === 0) s.retriable = r.bool();
    else r.skip(wire);
  }
  return s;
}

/** schema.proto FieldData: field_name = 2, scalars = 3, vectors = 4, valid_data = 7 (packed bool). */
function decodeField(r: ProtoReader): QueryField {
  const f: QueryField = { field_name: '' };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 2 && wire === 2) f.field_name = r.string();
    else if (field === 3 && wire === 2) f.scalars = decodeScalars(r.sub());
    else if (field === 4 && wire === 2) f.vectors = decodeVectors(r.sub());
    else if (field === 7) f.valid_data = r.uints(wire, f.valid_data as unknown as number[]).map(Boolean);
    else r.skip(wire);
  }
  return f;
}

/**
 * ScalarField oneof: bool_data = 1, long_data = 3 (LongArray), double_data = 5, string_data = 6
 * (StringArray), array_data = 8 (ArrayArray: repeated ScalarField = 1, element_type = 2),
 * json_data = 9 (JSONArray), geometry_data = 10 (WKB), timestamptz_data = 11 (int64 µs),
 * geometry_wkt_data = 12. The promoted payload fields (issue 10) use all of them.
 */
export function decodeScalars(r: ProtoReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out.bool_data = { data: packedOrNot(r.sub(), (x) => x.bool()) };
    else if (field === 3 && wire === 2) out.long_data = { data: int64s(r.sub()) };
    else if (field === 5 && wire === 2) out.double_data = { data: packedOrNot(r.sub(), (x) => x.double()) };
    else if (field === 6 && wire === 2) out.string_data = { data: repeated(r.sub(), (x) => x.string()) };
    else if (field === 8 && wire === 2) out.array_data = decodeArrays(r.sub());
    else if (field === 9 && wire === 2) out.json_data = { data: repeated(r.sub(), (x) => bytes(x)) };
    else if (field === 10 && wire === 2) out.geometry_data = { data: repeated(r.sub(), (x) => bytes(x)) };
    else if (field === 11 && wire === 2) out.timestamptz_data = { data: int64s(r.sub()) };
    else if (field === 12 && wire === 2) out.geometry_wkt_data = { data: repeated(r.sub(), (x) => x.string()) };
    else r.skip(wire);
  }
  return out;
}

/** ArrayArray: data = 1 (one ScalarField per row), element_type = 2. */
function decodeArrays(r: ProtoReader): { data: Array<Record<string, unknown>>; element_type: number } {
  const out = { data: [] as Array<Record<string, unknown>>, element_type: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out.data.push(decodeScalars(r.sub()));
    else if (field === 2 && wire === 0) out.element_type = r.varint();
    else r.skip(wire);
  }
  return out;
}

/** Field 1 of BoolArray / DoubleArray: packed (the norm) or one element per tag. */
function packedOrNot<T>(r: ProtoReader, read: (r: ProtoReader) => T): T[] {
  const out: T[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) r.skip(wire);
    else if (wire !== 2) out.push(read(r));
    else {
      const inner = r.sub();
      while (!inner.done) out.push(read(inner));
    }
  }
  return out;
}

/** VectorField: dim = 1, float_vector = 2 (FloatArray.data = 1), float16_vector = 4, sparse = 6. */
function decodeVectors(r: ProtoReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) out.dim = String(r.varint());
    else if (field === 2 && wire === 2) out.float_vector = { data: floatArray(r.sub()) }; else if (field === 4 && wire === 2) out.float16_vector = bytes(r);
    else if (field === 6 && wire === 2) out.sparse_float_vector = { contents: repeated(r.sub(), (x) => bytes(x)) };
    else r.skip(wire);
  }
  return out;
}

/**
 * FloatArray.data (field 1): one packed field (what Milvus sends) becomes a Float32Array copy of its
 * bytes, never a JS number per float (verify compares it with the source's packed bytes); any other
 * layout is read float by float.
 */
function floatArray(r: ProtoReader): Float32Array | number[] {
  const start = r.pos;
  const span = r.soleSpan(1);
  if (span && littleEndian && (span[1] - span[0]) % 4 === 0) {
    const out = new Float32Array((span[1] - span[0]) >> 2);
    new Uint8Array(out.buffer).set(r.buf.subarray(span[0], span[1]));
    return out;
  }
  r.pos = start;
  let data: number[] = [];
  while (!r.done) {
    const t = r.tag();
    if (t.field === 1) data = r.floats(t.wire, data);
    else r.skip(t.wire);
  }
  return data;
}

/** Field 1 of a message, repeated length-delimited (StringArray, JSONArray, SparseFloatArray). */
function repeated<T>(r: ProtoReader, read: (r: ProtoReader) => T): T[] {
  const out: T[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out.push(read(r));
    else r.skip(wire);
  }
  return out;
}

/** LongArray.data (field 1), packed or not, as decimal strings like the SDK's loader. */
function int64s(r: ProtoReader): string[] {
  const out: string[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) r.skip(wire);
    else if (wire === 0) out.push(int64Text(r));
    else {
      const inner = r.sub();
      while (!inner.done) out.push(int64Text(inner));
    }
  }
  return out;
}

/**
 * One int64 varint as decimal text. Up to 7 bytes (below 2^49, never negative: a negative int64 is
 * 10 bytes) it is exact as a number, so no bigint is made: the per-byte bigint arithmetic of
 * varint64() was a twentieth of what `verify --full` allocated (every fetched key).
 */
function int64Text(r: ProtoReader): string {
  const start = r.pos;
  const n = r.varint();
  if (r.pos - start <= 7) return String(n);
  r.pos = start;
  return BigInt.asIntN(64, r.varint64()).toString();
}

/** A copy: the response buffer is not kept alive by the rows that outlive it. */
function bytes(r: ProtoReader): Buffer {
  const [start, end] = r.span();
  return Buffer.from(r.buf.subarray(start, end));
}

type Callback = (error: Error | null, response?: unknown) => void;

interface PooledClient {
  makeUnaryRequest(path: string, serialize: (v: Wrapped) => Buffer, deserialize: (b: Buffer) => unknown, argument: Wrapped, options: { deadline: Date }, callback: Callback): unknown;
  [method: string]: unknown;
}

/** Request and response travel wrapped so the SDK's interceptor logs a note, not the data. */
interface Wrapped {
  value: unknown;
  toJSON(): string;
}

/**
 * One Query over the SDK's pool, answered by decodeQueryResults. `request` is the object the
 * SDK's own Query takes (collection_name, db_name, expr, output_fields, query_params, …).
 */
export async function queryFast(conn: MilvusConnection, request: Record<string, unknown>): Promise<QueryAnswer> {
  const pool = conn.client.channelPool as unknown as { acquire(): Promise<PooledClient>; release(c: PooledClient): unknown };
  const client = await pool.acquire();
  try {
    const attrs = client.Query as { path: string; requestSerialize: (v: unknown) => Buffer };
    const answer = await new Promise<Wrapped>((resolve, reject) => {
      client.makeUnaryRequest(
        attrs.path,
        (w) => attrs.requestSerialize(w.value),
        (b) => {
          const value = decodeQueryResults(b);
          // The interceptor reads `.status` to decide on retries: keep it visible on the wrapper.
          return { value, status: value.status, toJSON: () => `<QueryResults, ${b.length} bytes>` };
        },
        { value: request, toJSON: () => '<Query request>' },
        { deadline: new Date(Date.now() + conn.client.timeout) },
        (error, response) => (error ? reject(error) : resolve(response as Wrapped)),
      );
    });
    return answer.value as QueryAnswer;
  } finally {
    await pool.release(client);
  }
}
