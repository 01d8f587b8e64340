/**
 * Scroll answers of the gRPC test server, encoded straight from the store's records instead of
 * through proto-loader message objects and protobufjs.
 *
 * Why: the generic path (recordToGrpc → fromObject → encode) cost ~0.4 ms of CPU per 768-d point,
 * twice the REST path, so the test server made gRPC look slower than REST, the opposite of a real
 * Qdrant; benchmarks that choose the transport and measure the reader need a source whose cost
 * is not dominated by the stub. The message is the same one grpc-handlers.ts builds (the `vector` oneof
 * only, as Qdrant 1.19 sends it); a test decodes
 * both with the server's own protobuf definition and compares them.
 */
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import type { RecordOut, ScrollResult, VectorJson } from './store.ts';
import type { SparseValue } from './vectors.ts';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** A response that is already protobuf bytes; `time` (field 3 of every *Response here) is added last. */
export class PreEncoded {
  /** `timeField`: where the response keeps `time` (ScrollResponse 3, GetResponse 2). */
  constructor(
    private readonly body: Buffer,
    private readonly timeField = 3,
  ) {}

  withTime(seconds: number): Buffer {
    const w = new Out();
    w.double(this.timeField, seconds);
    return Buffer.concat([this.body, w.finish()]);
  }
}

const varintLength = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/**
 * One growing buffer; a sub-message reserves one byte for its length and moves its bytes when the
 * length needs more. Every value is written in place, so a deep payload allocates nothing per
 * field (a writer per sub-message spent most of its time in the garbage collector).
 */
class Out {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  varint64(value: bigint): void {
    this.ensure(10);
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(field: number, wire: 0 | 1 | 2): void {
    this.varint(field * 8 + wire);
  }

  string(field: number, value: string): void {
    const len = Buffer.byteLength(value, 'utf8');
    this.tag(field, 2);
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  double(field: number, value: number): void {
    this.tag(field, 1);
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** Packed float32 (little-endian, like the machines the test kit runs on). */
  floats(field: number, values: readonly number[]): void {
    this.tag(field, 2);
    this.varint(values.length * 4);
    this.ensure(values.length * 4);
    const f = Float32Array.from(values);
    this.buf.set(new Uint8Array(f.buffer), this.pos);
    this.pos += f.byteLength;
  }

  uints(field: number, values: readonly number[]): void {
    const at = this.begin(field);
    for (const v of values) this.varint(v);
    this.end(at);
  }

  begin(field: number): number {
    this.tag(field, 2);
    this.ensure(1);
    return this.pos++;
  }

  end(at: number): void {
    const len = this.pos - at - 1;
    const n = varintLength(len);
    if (n > 1) {
      this.ensure(n - 1);
      this.buf.copyWithin(at + n, at + 1, this.pos);
      this.pos += n - 1;
    }
    let v = len;
    for (let i = 0; i < n - 1; i++) {
      this.buf[at + i] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[at + n - 1] = v;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** PointId: num 1, uuid 2. */
function pointId(w: Out, field: number, id: number | bigint | string): void {
  const at = w.begin(field);
  if (typeof id === 'string') w.string(2, id);
  else {
    w.tag(1, 0);
    w.varint64(BigInt(id));
  }
  w.end(at);
}

/** Value: null 1, double 2, integer 3, string 4, bool 5, struct 6, list 7 (as valueToGrpc picks them). */
function value(w: Out, field: number, v: JsonValue | undefined): void {
  const at = w.begin(field);
  if (v === null || v === undefined) {
    w.tag(1, 0);
    w.varint(0);
  } else if (typeof v === 'boolean') {
    w.tag(5, 0);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'string') w.string(4, v);
  else if (typeof v === 'bigint') {
    if (v >= I64_MIN && v <= I64_MAX) {
      w.tag(3, 0);
      w.varint64(v);
    } else w.double(2, Number(v));
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) w.double(2, v);
    else {
      w.tag(3, 0);
      if (v >= 0) w.varint(v);
      else w.varint64(BigInt(v));
    }
  } else if (Array.isArray(v)) {
    const list = w.begin(7);
    for (const item of v) value(w, 1, item);
    w.end(list);
  } else {
    const struct = w.begin(6);
    entries(w, 1, v);
    w.end(struct);
  }
  w.end(at);
}

/** map<string, Value> entries (key 1, value 2) under field `field`. */
function entries(w: Out, field: number, obj: JsonObject): void {
  for (const [k, v] of Object.entries(obj)) {
    const at = w.begin(field);
    w.string(1, k);
    value(w, 2, v);
    w.end(at);
  }
}

const isSparse = (v: VectorJson): v is SparseValue => !Array.isArray(v);

/** VectorOutput: the oneof only (no deprecated fields), as vectorToGrpc and Qdrant 1.19. */
function vectorOutput(w: Out, field: number, v: VectorJson): void {
  const at = w.begin(field);
  if (isSparse(v)) {
    const sparse = w.begin(102);
    w.floats(1, v.values);
    w.uints(2, v.indices);
    w.end(sparse);
  } else if (v.length > 0 && Array.isArray(v[0])) {
    const rows = v as number[][];
    const multi = w.begin(103);
    for (const r of rows) {
      const dense = w.begin(1);
      w.floats(1, r);
      w.end(dense);
    }
    w.end(multi);
  } else {
    const dense = w.begin(101);
    w.floats(1, v as number[]);
    w.end(dense);
  }
  w.end(at);
}

/** VectorsOutput: a bare array is the unnamed vector (1), an object the named map (2). */
function vectorsOutput(w: Out, v: NonNullable<RecordOut['vector']>): void {
  const at = w.begin(4);
  if (Array.isArray(v)) vectorOutput(w, 1, v);
  else {
    const named = w.begin(2);
    for (const [k, x] of Object.entries(v as Record<string, VectorJson>)) {
      const entry = w.begin(1);
      w.string(1, k);
      vectorOutput(w, 2, x);
      w.end(entry);
    }
    w.end(named);
  }
  w.end(at);
}

/**
 * GetResponse without `time`: result 1 (RetrievedPoint, as in Scroll). Hand-encoded like Scroll
 * because the generic path (protobufjs fromObject) drops payload keys named `__proto__`, which
 * Qdrant keeps and verify's batched fetch must see.
 */
export function encodeGetResponse(points: ScrollResult['points']): PreEncoded {
  const w = new Out();
  for (const p of points) {
    const at = w.begin(1);
    pointId(w, 1, p.id);
    entries(w, 2, p.payload ?? {});
    if (p.vector !== undefined) vectorsOutput(w, p.vector);
    w.end(at);
  }
  return new PreEncoded(w.finish(), 2);
}

/** ScrollResponse without `time`: next_page_offset 1, result 2 (RetrievedPoint: id 1, payload 2, vectors 4). */
export function encodeScrollResponse(res: ScrollResult): PreEncoded {
  const w = new Out();
  if (res.next_page_offset !== null) pointId(w, 1, res.next_page_offset);
  for (const p of res.points) {
    const at = w.begin(2);
    pointId(w, 1, p.id);
    entries(w, 2, p.payload ?? {});
    if (p.vector !== undefined) vectorsOutput(w, p.vector);
    w.end(at);
  }
  return new PreEncoded(w.finish());
}
