/**
 * Qdrant's Scroll over gRPC, encoded and decoded by hand (points.proto ScrollPoints /
 * ScrollResponse, json_with_int.proto Value): the hot path of every migration.
 *
 * Why not the official client's generated codec: it decodes a 768-d point into a message object,
 * its vector one float per call into an array, then grpc-convert.ts copies that into our Point;
 * measured at ~100 µs per point plus the garbage it leaves, it capped reading at a few thousand
 * points/s per core. Here the bytes become our Point directly. The deprecated duplicate `data`
 * field that servers may send beside `dense` is skipped without being decoded.
 *
 * The result is the same Point that grpc-convert.ts fromGrpcPoint builds (a test compares them on
 * every dataset of the test kit). With `packedVectors` (the pipeline), dense vectors stay the
 * bytes they came as and the payload is transcoded to its `$meta` JSON in the same pass, decoded
 * into JS values only if someone reads it (src/transcode; test/unit/transcode.test.ts).
 */
import { ProtoReader, ProtoWriter, type WireType } from '../core/protobuf.ts';
import { normalizeUuid, toPointId } from '../core/ids.ts';
import { setOwn } from '../core/own.ts';
import { UNNAMED_VECTOR, type DenseVector, type JsonObject, type JsonValue, type Point, type PointId, type VectorValue } from '../core/types.ts';
import { PackedPoint } from '../core/packed-payload.ts';
import { FloatArena } from '../transcode/arena.ts';
import { JsonOut, payloadToJson } from '../transcode/payload-json.ts';
import { packedSparse } from '../transcode/sparse.ts';
import type { ScrollRequest, ScrollResult } from './transport.ts';

function pointIdMessage(id: PointId): ProtoWriter {
  return typeof id === 'bigint' ? new ProtoWriter().tag(1, 0).varint(id) : new ProtoWriter().string(2, id);
}

const selector = (enable: boolean) => new ProtoWriter().tag(1, 0).varint(enable ? 1 : 0);

/** ScrollPoints: collection_name 1, offset 3, limit 4, with_payload 6, with_vectors 7. */
export function encodeScrollRequest(req: Omit<ScrollRequest, 'signal'>): Buffer {
  const m = new ProtoWriter().string(1, req.collection);
  if (req.offset !== undefined) m.message(3, pointIdMessage(req.offset));
  m.tag(4, 0).varint(req.limit);
  m.message(6, selector(req.withData));
  m.message(7, selector(req.withData && req.withVectors !== false));
  return m.toBuffer();
}

export interface DecodeOptions {
  /**
   * Dense vectors as Float32Array views of the packed float32 bytes Qdrant sent (src/transcode),
   * instead of number[]: no float is ever a JS number, and the Upsert encoder writes the same
   * bytes. Default false (number[]).
   */
  packedVectors?: boolean;
}

/** Set while one response is decoded with packedVectors (decoding is synchronous). */
let arena: FloatArena | undefined;
/** Likewise, for sparse rows: apart, so a page's dense vectors stay one contiguous column. */
let sparseArena: FloatArena | undefined;
/** Likewise: where the payloads' `$meta` JSON is written straight from the protobuf. */
let jsonOut: JsonOut | undefined;
/** Payloads in a row that may fail to transcode before the rest of the page stops trying. */
const JSON_TRIES = 16;
let jsonTries = JSON_TRIES;
/** Below this many components a Float32Array view costs more than the JS numbers it saves (rich's 16-64-d vectors measured slower). */
const PACKED_MIN_FLOATS = 128;

/** ScrollResponse: next_page_offset 1, result 2 (RetrievedPoint), time 3, usage 4. */
export function decodeScrollResponse(buf: Buffer, options: DecodeOptions = {}): ScrollResult {
  return decodePoints(buf, 2, options);
}

/** The points of a response that holds them in field `resultField` (and, for Scroll, the next offset in field 1). */
function decodePoints(buf: Buffer, resultField: number, options: DecodeOptions): ScrollResult {
  const r = new ProtoReader(buf);
  const points: Point[] = [];
  let next: PointId | null = null;
  arena = options.packedVectors ? new FloatArena() : undefined;
  sparseArena = options.packedVectors ? new FloatArena() : undefined;
  jsonOut = options.packedVectors ? new JsonOut() : undefined;
  jsonTries = JSON_TRIES;
  try {
    while (!r.done) {
      const { field, wire } = r.tag();
      if (field === resultField && wire === 2) points.push(readPoint(r.sub()));
      else if (resultField === 2 && field === 1 && wire === 2) next = readPointId(r.sub());
      else r.skip(wire);
    }
  } finally {
    arena = undefined;
    sparseArena = undefined;
    jsonOut = undefined;
  }
  return { points, next };
}

/** GetPoints (retrieve by ids, for verify): collection_name 1, ids 2, with_payload 4, with_vectors 5. */
export function encodeGetRequest(collection: string, ids: readonly PointId[], withVectors = true): Buffer {
  const m = new ProtoWriter().string(1, collection);
  for (const id of ids) m.message(2, pointIdMessage(id));
  m.message(4, selector(true));
  m.message(5, selector(withVectors));
  return m.toBuffer();
}

/** GetResponse: result 1 (RetrievedPoint), time 2, usage 3; points decoded as Scroll's are (options too). */
export function decodeGetResponse(buf: Buffer, options: DecodeOptions = {}): Point[] {
  return decodePoints(buf, 1, options).points;
}

/** PointId: num 1 (uint64), uuid 2 (string). */
function readPointId(r: ProtoReader): PointId {
  let id: unknown;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) id = uint64(r);
    else if (field === 2 && wire === 2) id = r.string();
    else r.skip(wire);
  }
  if (typeof id === 'string' && normalizeUuid(id) === undefined) throw new TypeError(`Not a Qdrant point id: ${id}`);
  return toPointId(id);
}

/** A uint64 varint as a bigint: through a double while it is exact (7 bytes, 49 bits), a bigint per byte only beyond. */
function uint64(r: ProtoReader): bigint {
  const start = r.pos;
  const n = r.varint();
  if (r.pos - start <= 7) return BigInt(n);
  r.pos = start;
  return r.varint64();
}

/** RetrievedPoint: id 1, payload 2 (map entries), vectors 4 (VectorsOutput); shard key, order value skipped. */
function readPoint(r: ProtoReader): Point {
  const pointStart = r.pos;
  let id: PointId | undefined;
  const payload: JsonObject = {};
  // Packed mode: where the payload's map entries are (decoded only if asked). Qdrant writes them one
  // after another; if other fields come between, the whole point is the range (they are skipped).
  let from = 0;
  let to = 0;
  let vectors: Record<string, VectorValue> = {};
  while (!r.done) {
    const at = r.pos;
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) id = readPointId(r.sub());
    else if (field === 2 && wire === 2) {
      if (!jsonOut) readMapEntry(r.sub(), payload);
      else {
        if (from === to) from = at;
        else if (to !== at) from = pointStart;
        r.skip(wire);
        to = r.pos;
      }
    } else if (field === 4 && wire === 2) vectors = readVectors(r.sub());
    else r.skip(wire);
  }
  if (id === undefined) throw new TypeError('A point without an id');
  if (!jsonOut) return { id, vectors, payload };
  const buf = r.buf;
  const packed = jsonTries > 0 ? payloadToJson(buf, from, to, jsonOut) : undefined;
  // A page whose payloads keep failing to transcode (nulls to drop, say) stops trying: none will pass through.
  jsonTries = packed === undefined ? jsonTries - 1 : JSON_TRIES;
  // No JSON written (a null to drop, say): mapping needs the value anyway, and decoding it now,
  // while the bytes are in cache, measured half the cost of decoding it later.
  if (packed === undefined) return { id, vectors, payload: readPayload(buf, from, to) };
  return new PackedPoint(id, vectors, readPayload, buf, from, to, packed);
}

/** A payload from the map entries (field 2) among the fields in `buf[from, to)` (a PackedPoint's, when someone reads it). */
function readPayload(buf: Buffer, from: number, to: number): JsonObject {
  const out: JsonObject = {};
  const r = new ProtoReader(buf, from, to);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 2 && wire === 2) readMapEntry(r.sub(), out);
    else r.skip(wire);
  }
  return out;
}

/** map<string, Value> entry: key 1, value 2. An absent value is Value's default: null. */
function readMapEntry(r: ProtoReader, into: JsonObject): void {
  let key = '';
  let value: JsonValue = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) key = r.string();
    else if (field === 2 && wire === 2) value = readValue(r.sub());
    else r.skip(wire);
  }
  // Payload keys are the user's data: `__proto__` must stay a key (see core/own.ts).
  setOwn(into, key, value);
}

/** Value: null 1, double 2, integer 3 (int64), string 4, bool 5, struct 6, list 7. */
function readValue(r: ProtoReader): JsonValue {
  let value: JsonValue = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.skip(wire);
        value = null;
        break;
      case 2:
        value = wire === 1 ? r.double() : (r.skip(wire), null);
        break;
      case 3:
        value = r.int64();
        break;
      case 4:
        value = r.string();
        break;
      case 5:
        value = r.bool();
        break;
      case 6:
        value = readStruct(r.sub());
        break;
      case 7:
        value = readList(r.sub());
        break;
      default:
        r.skip(wire);
    }
  }
  return value;
}

function readStruct(r: ProtoReader): JsonObject {
  const out: JsonObject = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) readMapEntry(r.sub(), out);
    else r.skip(wire);
  }
  return out;
}

function readList(r: ProtoReader): JsonValue[] {
  const out: JsonValue[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out.push(readValue(r.sub()));
    else r.skip(wire);
  }
  return out;
}

/** VectorsOutput: vector 1 (unnamed), vectors 2 (NamedVectorsOutput: map<string, VectorOutput> 1). */
function readVectors(r: ProtoReader): Record<string, VectorValue> {
  const out: Record<string, VectorValue> = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out[UNNAMED_VECTOR] = readVector(r.sub());
    else if (field === 2 && wire === 2) {
      const named = r.sub();
      while (!named.done) {
        const t = named.tag();
        if (t.field === 1 && t.wire === 2) readNamedVector(named.sub(), out);
        else named.skip(t.wire);
      }
    } else r.skip(wire);
  }
  return out;
}

function readNamedVector(r: ProtoReader, into: Record<string, VectorValue>): void {
  let name = '';
  let value: VectorValue = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 2) value = readVector(r.sub());
    else r.skip(wire);
  }
  setOwn(into, name, value);
}

/**
 * VectorOutput: the `vector` oneof (dense 101, sparse 102, multi_dense 103) wins; otherwise the
 * deprecated data 1 / indices 2 / vectors_count 3, read the way the official client's helpers do.
 */
function readVector(r: ProtoReader): VectorValue {
  const legacy: Array<[number, WireType, number]> = [];
  let indices: number[] | undefined;
  let count = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    const at = r.pos;
    if (field === 101 && wire === 2) return arena ? packedDense(r.sub(), arena) : repeatedFloats(r.sub(), 1);
    if (field === 102 && wire === 2) return sparseArena ? packedOrPlainSparse(r.sub(), sparseArena) : readSparse(r.sub());
    if (field === 103 && wire === 2) return readMulti(r.sub());
    if (field === 1) legacy.push([at, wire, 0]);
    else if (field === 2 && wire === 2) indices = repeatedUints(r.sub(), 1);
    else if (field === 3 && wire === 0) count = r.varint();
    r.pos = at;
    r.skip(wire);
  }
  let data: number[] = [];
  for (const [at, wire] of legacy) {
    r.pos = at;
    data = r.floats(wire, data);
  }
  if (data.length === 0) return [];
  if (indices) return { indices, values: data };
  if (count > 0) {
    const size = data.length / count;
    return Array.from({ length: count }, (_, i) => data.slice(i * size, (i + 1) * size));
  }
  return data;
}

/** Every occurrence of repeated float field `n` (packed or not) of one message. */
function repeatedFloats(r: ProtoReader, n: number): number[] {
  let out: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === n) out = r.floats(wire, out);
    else r.skip(wire);
  }
  return out;
}

/**
 * DenseVector (data 1) as a Float32Array of its packed bytes: one memcpy, no per-float work. A
 * short vector, or a sender that splits the field or writes it unpacked (legal protobuf, not what
 * Qdrant does), gets the general reader (number[]).
 */
function packedDense(r: ProtoReader, into: FloatArena): DenseVector {
  const start = r.pos;
  let span: [number, number] | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) r.skip(wire);
    else if (wire === 2 && span === undefined) span = r.span();
    else {
      span = undefined;
      break;
    }
  }
  if (span === undefined || (span[1] - span[0]) % 4 !== 0 || span[1] - span[0] < PACKED_MIN_FLOATS * 4) {
    r.pos = start;
    return repeatedFloats(r, 1);
  }
  return into.take(r.buf, span[0], span[1], r.buf.length - span[0]);
}

function repeatedUints(r: ProtoReader, n: number): number[] {
  const out: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === n) r.uints(wire, out);
    else r.skip(wire);
  }
  return out;
}

/** Sparse as Milvus's row bytes where it can be (src/transcode/sparse.ts), else as numbers. */
function packedOrPlainSparse(r: ProtoReader, into: FloatArena): VectorValue {
  const start = r.pos;
  const packed = packedSparse(r, into);
  if (packed) return packed;
  r.pos = start;
  return readSparse(r);
}

/** SparseVector: values 1 (float), indices 2 (uint32). */
function readSparse(r: ProtoReader): VectorValue {
  let values: number[] = [];
  const indices: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) values = r.floats(wire, values);
    else if (field === 2) r.uints(wire, indices);
    else r.skip(wire);
  }
  return { indices, values };
}

/** MultiDenseVector: vectors 1 (DenseVector: data 1). */
function readMulti(r: ProtoReader): VectorValue {
  const out: number[][] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out.push(repeatedFloats(r.sub(), 1));
    else r.skip(wire);
  }
  return out;
}
