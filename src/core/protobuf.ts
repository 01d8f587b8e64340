/**
 * Protobuf wire format, the little we need by hand: writing Milvus write requests and reading
 * Qdrant scroll responses are the two hot paths of a migration, and the generated codecs spend
 * most of their time there on per-element calls and copies (see milvus/encode.ts and
 * qdrant/grpc-scroll.ts for the measurements). Everything else keeps using the official clients.
 */
import { endianness } from 'node:os';

const littleEndian = endianness() === 'LE';

/** Aligned staging for packed floats; decoding is synchronous, so one buffer serves every call. */
let scratch = new Float32Array(4096);

/** Tags and small lengths are one byte: shared arrays instead of an allocation each. */
const ONE_BYTE = Array.from({ length: 128 }, (_, i) => Uint8Array.of(i));

function varintBytes(value: number | bigint): Uint8Array {
  if (typeof value === 'number') {
    if (value < 128) return ONE_BYTE[value]!;
    let n = 1;
    for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
    const out = new Uint8Array(n);
    let v = value;
    for (let i = 0; i < n - 1; i++) {
      out[i] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[n - 1] = v;
    return out;
  }
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/**
 * A message under construction: a tree of byte chunks and sub-messages with its total size, laid
 * out into one buffer at the end. Sub-messages are kept as nodes (not flattened into the parent),
 * so nesting costs nothing per level: deep payloads and thousands of rows stay linear.
 */
export class ProtoWriter {
  private readonly parts: Array<Uint8Array | ProtoWriter> = [];
  size = 0;

  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.size += bytes.length;
    return this;
  }

  varint(value: number | bigint): this {
    return this.raw(varintBytes(value));
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): this {
    return this.varint(field * 8 + wire);
  }

  /** Length-delimited field (bytes, string, packed repeated). */
  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, 2).varint(value.length).raw(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, child: ProtoWriter): this {
    this.tag(field, 2).varint(child.size);
    this.parts.push(child);
    this.size += child.size;
    return this;
  }

  /** Varint field, left out when 0 (proto3 default). */
  uint(field: number, value: number | bigint): this {
    return value === 0 || value === 0n ? this : this.tag(field, 0).varint(value);
  }

  double(field: number, value: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(value, 0);
    return this.tag(field, 1).raw(b);
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    this.writeInto(out, 0);
    return out;
  }

  /** Lays the message out into `out` from `at` (size bytes); returns the end. For callers that
   *  reuse their buffers (milvus/encode.ts: an Upsert request per page, ~1 MB each). */
  writeInto(out: Uint8Array, at: number): number {
    let o = at;
    for (const p of this.parts) {
      if (p instanceof ProtoWriter) o = p.writeInto(out, o);
      else {
        out.set(p, o);
        o += p.length;
      }
    }
    return o;
  }
}

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
export type WireType = 0 | 1 | 2 | 5;

/**
 * A cursor over one message's bytes. The hot decoders (qdrant/grpc-scroll.ts) read it without an
 * object per call: next() leaves the tag in `field` / `wire`, delimited() the content's bounds in
 * `from` / `to`, and child() reads a sub-message with one reader this one keeps for that. tag(),
 * span() and sub() return fresh objects, for code where that does not matter.
 */
export class ProtoReader {
  buf: Buffer;
  pos: number;
  end: number;
  /** The tag next() read last. */
  field = 0;
  wire: WireType = 0;
  /** The content of the length-delimited field moved past last (delimited(), and what calls it: skip(), string() …). */
  from = 0;
  to = 0;
  /** child()'s reader: made on first use, then reset for each sub-message. */
  #child: ProtoReader | undefined;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads the next tag into `field` and `wire`; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const t = this.varint();
    this.field = Math.floor(t / 8);
    this.wire = (t & 7) as WireType;
    return true;
  }

  /** The next field's number and wire type, as a new object (next() makes none). */
  tag(): { field: number; wire: WireType } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: (t & 7) as WireType };
  }

  /** A varint as a number: exact up to 2^53, which covers every length, tag, enum and count. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
  }

  /** A varint as an exact unsigned 64-bit bigint (point ids). */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
  }

  /** A varint as a signed 64-bit integer (int64 payload values): a number when exact, else bigint. */
  int64(): number | bigint {
    const start = this.pos;
    const n = this.varint();
    if (n <= Number.MAX_SAFE_INTEGER && this.pos - start < 9) return n;
    this.pos = start;
    const big = BigInt.asIntN(64, this.varint64());
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  /** Moves past a length-delimited field's content, leaving its bounds in `from` / `to`. */
  delimited(): void {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new RangeError('truncated field');
    this.from = start;
    this.to = this.pos;
  }

  /** Start and end of a length-delimited field's content, as a new array; moves past it. */
  span(): [number, number] {
    this.delimited();
    return [this.from, this.to];
  }

  /** The sub-message in the length-delimited field here, as a new reader. */
  sub(): ProtoReader {
    this.delimited();
    return new ProtoReader(this.buf, this.from, this.to);
  }

  /**
   * The sub-message in the length-delimited field here, read by this reader's child: one reader,
   * reset for each call (a 768-d point has five sub-messages: a reader each was ~140 B of garbage
   * per point). Valid until the next child() of this reader: read it before asking for another.
   */
  child(): ProtoReader {
    this.delimited();
    const c = (this.#child ??= new ProtoReader(this.buf, 0, 0));
    c.buf = this.buf;
    c.pos = this.from;
    c.end = this.to;
    return c;
  }

  string(): string {
    this.delimited();
    return this.buf.toString('utf8', this.from, this.to);
  }

  double(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** Packed float32s (or, for a lone unpacked element, one float) appended to `into`; returns
   *  the array to use from now on (a fresh one when `into` was empty: faster to build). */
  floats(wire: WireType, into: number[] = []): number[] {
    if (wire === 5) {
      into.push(this.buf.readFloatLE(this.pos));
      this.pos += 4;
      return into;
    }
    this.delimited();
    const start = this.from;
    const n = (this.to - start) >> 2;
    // One aligned copy, then a plain loop: ~5x faster than readFloatLE per element (measured).
    if (scratch.length < n) scratch = new Float32Array(Math.max(n, scratch.length * 2));
    const f = scratch;
    new Uint8Array(f.buffer, 0, n * 4).set(this.buf.subarray(start, start + n * 4));
    if (!littleEndian) for (let i = 0; i < n; i++) f[i] = this.buf.readFloatLE(start + i * 4);
    if (into.length === 0) {
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = f[i]!;
      return out;
    }
    for (let i = 0; i < n; i++) into.push(f[i]!);
    return into;
  }

  /** Packed (or lone) uint32 varints. */
  uints(wire: WireType, into: number[] = []): number[] {
    if (wire === 0) {
      into.push(this.varint());
      return into;
    }
    this.delimited();
    const end = this.to;
    this.pos = this.from;
    while (this.pos < end) into.push(this.varint());
    // A last varint that ran past the field: as truncated as one that ran past the message.
    if (this.pos > end) throw new RangeError('truncated varint');
    return into;
  }

  /**
   * Whether the rest of this message holds `field` exactly once, length-delimited (a packed
   * repeated scalar as senders write it); if so its content is `from` / `to`. False when absent,
   * split, or unpacked (legal protobuf: read it the general way). Reads to the end: reset `pos` to
   * read again.
   */
  sole(field: number): boolean {
    let found = false;
    let from = 0;
    let to = 0;
    while (this.next()) {
      if (this.field !== field) this.skip(this.wire);
      else if (this.wire === 2 && !found) {
        this.delimited();
        found = true;
        from = this.from;
        to = this.to;
      } else return false;
    }
    this.from = from;
    this.to = to;
    return found;
  }

  /** sole() as a new array, or undefined. */
  soleSpan(field: number): [number, number] | undefined {
    return this.sole(field) ? [this.from, this.to] : undefined;
  }

  skip(wire: WireType): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.delimited();
    else if (wire === 5) this.pos += 4;
    else throw new RangeError(`unsupported wire type ${wire as number}`);
  }
}
