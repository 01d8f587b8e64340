/**
 * Scroll answers of the gRPC test server, encoded straight from the store's records instead of
 * through proto-loader message objects and protobufjs.
 *
 * Why: the generic path (recordToGrpc → fromObject → encode) cost ~0.4 ms of CPU per 768-d point,
 * twice the REST path, so the test server made gRPC look slower than REST, the opposite of a real
 * Qdrant; benchmarks that choose the transport and measure the reader need a source whose cost
 * is not dominated by the stub. The message is the same one grpc-handlers.ts builds (the deprecated
 * `data` / `indices` / `vectors_count` fields beside the `vector` oneof included); a test decodes
 * both with the server's own protobuf definition and compares them.
 */
import { ProtoWriter } from '../../src/core/protobuf.ts';
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import type { RecordOut, ScrollResult, VectorJson } from './store.ts';
import type { SparseValue } from './vectors.ts';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** A response that is already protobuf bytes; `time` (field 3 of every *Response here) is added last. */
export class PreEncoded {
  constructor(private readonly body: Buffer) {}

  withTime(seconds: number): Buffer {
    return Buffer.concat([this.body, new ProtoWriter().double(3, seconds).toBuffer()]);
  }
}

function pointId(id: number | bigint | string): ProtoWriter {
  return typeof id === 'string' ? new ProtoWriter().string(2, id) : new ProtoWriter().tag(1, 0).varint(BigInt(id));
}

/** Little-endian float32 bytes (the test kit runs on little-endian machines, like its users). */
function packedFloats(values: readonly number[]): Uint8Array {
  const f = Float32Array.from(values);
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

function packedUints(values: readonly number[]): Uint8Array {
  const w = new ProtoWriter();
  for (const v of values) w.varint(v);
  return w.toBuffer();
}

/** Value: null 1, double 2, integer 3, string 4, bool 5, struct 6, list 7 (as valueToGrpc picks them). */
function value(v: JsonValue | undefined): ProtoWriter {
  const w = new ProtoWriter();
  if (v === null || v === undefined) return w.tag(1, 0).varint(0);
  if (typeof v === 'boolean') return w.tag(5, 0).varint(v ? 1 : 0);
  if (typeof v === 'string') return w.string(4, v);
  if (typeof v === 'bigint') return v >= I64_MIN && v <= I64_MAX ? w.tag(3, 0).varint(v) : w.double(2, Number(v));
  if (typeof v === 'number') return Number.isSafeInteger(v) ? w.tag(3, 0).varint(BigInt(v)) : w.double(2, v);
  if (Array.isArray(v)) {
    const list = new ProtoWriter();
    for (const item of v) list.message(1, value(item));
    return w.message(7, list);
  }
  return w.message(6, struct(v));
}

/** map<string, Value> entries under field `field`. */
function entries(w: ProtoWriter, field: number, obj: JsonObject): ProtoWriter {
  for (const [k, v] of Object.entries(obj)) w.message(field, new ProtoWriter().string(1, k).message(2, value(v)));
  return w;
}

const struct = (obj: JsonObject) => entries(new ProtoWriter(), 1, obj);

const isSparse = (v: VectorJson): v is SparseValue => !Array.isArray(v);

/** VectorOutput with the deprecated fields beside the oneof, as vectorToGrpc fills them. */
function vectorOutput(v: VectorJson): ProtoWriter {
  const w = new ProtoWriter();
  if (isSparse(v)) {
    w.bytes(1, packedFloats(v.values)).message(2, new ProtoWriter().bytes(1, packedUints(v.indices)));
    return w.message(102, new ProtoWriter().bytes(1, packedFloats(v.values)).bytes(2, packedUints(v.indices)));
  }
  if (v.length > 0 && Array.isArray(v[0])) {
    const rows = v as number[][];
    w.bytes(1, packedFloats(rows.flat())).tag(3, 0).varint(rows.length);
    const multi = new ProtoWriter();
    for (const r of rows) multi.message(1, new ProtoWriter().bytes(1, packedFloats(r)));
    return w.message(103, multi);
  }
  const data = packedFloats(v as number[]);
  return w.bytes(1, data).message(101, new ProtoWriter().bytes(1, data));
}

/** VectorsOutput: a bare array is the unnamed vector (1), an object the named map (2). */
function vectorsOutput(v: NonNullable<RecordOut['vector']>): ProtoWriter {
  if (Array.isArray(v)) return new ProtoWriter().message(1, vectorOutput(v));
  const named = new ProtoWriter();
  for (const [k, x] of Object.entries(v as Record<string, VectorJson>)) named.message(1, new ProtoWriter().string(1, k).message(2, vectorOutput(x)));
  return new ProtoWriter().message(2, named);
}

/** RetrievedPoint: id 1, payload 2, vectors 4. */
function retrievedPoint(p: RecordOut): ProtoWriter {
  const w = new ProtoWriter().message(1, pointId(p.id));
  entries(w, 2, p.payload ?? {});
  if (p.vector !== null) w.message(4, vectorsOutput(p.vector));
  return w;
}

/** ScrollResponse without `time`: next_page_offset 1, result 2. */
export function encodeScrollResponse(res: ScrollResult): PreEncoded {
  const w = new ProtoWriter();
  if (res.next_page_offset !== null) w.message(1, pointId(res.next_page_offset));
  for (const p of res.points) w.message(2, retrievedPoint(p));
  return new PreEncoded(w.toBuffer());
}
