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
import { ProtoReader, ProtoWriter } from '../core/protobuf.ts';
import { normalizeUuid, toPointId } from '../core/ids.ts';
import { setOwn } from '../core/own.ts';
import type { JsonObject, JsonValue, Point, PointId, VectorValue } from '../core/types.ts';
import { PackedPoint } from '../core/packed-payload.ts';
import { FloatArena, PageMemory, type BlockPool } from '../transcode/arena.ts';
import { JsonOut, payloadToJson } from '../transcode/payload-json.ts';
import type { ScrollRequest, ScrollResult } from './transport.ts';
import { readVectors, type Arenas } from './grpc-vectors.ts';

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
  /**
   * With packedVectors: where the page's arenas and payload JSON take their blocks. The result's
   * release() hands them back once the caller is done with the page (arena.ts). Default: fresh
   * blocks, left to the GC.
   */
  pool?: BlockPool;
}

/** Set while one response is decoded with packedVectors (decoding is synchronous). */
let arenas: Arenas | undefined;
/** Likewise: where the payloads' `$meta` JSON is written straight from the protobuf. */
let jsonOut: JsonOut | undefined;
/** Payloads in a row that may fail to transcode before the rest of the page stops trying. */
const JSON_TRIES = 16;
let jsonTries = JSON_TRIES;

/** ScrollResponse: next_page_offset 1, result 2 (RetrievedPoint), time 3, usage 4. */
export function decodeScrollResponse(buf: Buffer, options: DecodeOptions = {}): ScrollResult {
  return decodePoints(buf, 2, options);
}

/** The points of a response that holds them in field `resultField` (and, for Scroll, the next offset in field 1). */
function decodePoints(buf: Buffer, resultField: number, options: DecodeOptions): ScrollResult {
  const r = new ProtoReader(buf);
  const points: Point[] = [];
  let next: PointId | null;
  const memory = options.packedVectors ? new PageMemory(options.pool) : undefined;
  arenas = memory ? { dense: new FloatArena(memory), sparse: new FloatArena(memory) } : undefined;
  // Sized for a page's payloads as JSON and as protobuf (kept for a lazy decode), a quarter of the
  // response for 768-d points; it grows if that is too little.
  jsonOut = memory ? new JsonOut(Math.min(2 ** 20, Math.max(2 ** 12, buf.length >> 2)), memory) : undefined;
  jsonTries = JSON_TRIES;
  try {
    // The loop in a function of its own: optimized inside this try/finally, V8 left the optimized
    // code where the loop ended on every page of a migrate (--trace-deopt: 172 deopts per 100k
    // points, "insufficient type feedback", the same code each time, so never replaced).
    next = readResults(r, resultField, points);
  } finally {
    arenas = undefined;
    jsonOut = undefined;
  }
  return memory && options.pool ? { points, next, release: () => memory.release() } : { points, next };
}

/** The response's points into `points`; returns the next page's offset (Scroll), else null. */
function readResults(r: ProtoReader, resultField: number, points: Point[]): PointId | null {
  let next: PointId | null = null;
  while (r.next()) {
    const { field, wire } = r;
    if (field === resultField && wire === 2) points.push(readPoint(r.child()));
    else if (resultField === 2 && field === 1 && wire === 2) next = readPointId(r.child());
    else r.skip(wire);
  }
  return next;
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
  while (r.next()) {
    const { field, wire } = r;
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
  // Only without jsonOut: a packed point's payload is decoded when someone reads it.
  const payload: JsonObject | undefined = jsonOut ? undefined : {};
  // Packed mode: where the payload's map entries are (decoded only if asked). Qdrant writes them one
  // after another; if other fields come between, the whole point is the range (they are skipped).
  let from = 0;
  let to = 0;
  let vectors: Record<string, VectorValue> | undefined;
  for (let at = r.pos; r.next(); at = r.pos) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) id = readPointId(r.child());
    else if (field === 2 && wire === 2) {
      if (payload) readMapEntry(r.child(), payload);
      else {
        if (from === to) from = at;
        else if (to !== at) from = pointStart;
        r.delimited();
        to = r.pos;
      }
    } else if (field === 4 && wire === 2) vectors = readVectors(r.child(), arenas);
    else r.skip(wire);
  }
  if (id === undefined) throw new TypeError('A point without an id');
  vectors ??= {};
  if (payload) return { id, vectors, payload };
  const out = jsonOut as JsonOut;
  const buf = r.buf;
  // A page whose payloads keep failing to transcode (repeated or array-index-like keys, say) stops trying: none will pass through.
  if (jsonTries === 0) return { id, vectors, payload: readPayload(buf, from, to) };
  // The payload's protobuf bytes are copied first, and its JSON is written from that copy: nothing
  // decoded refers to the response, whose buffer the transport reuses for the next answer
  // (grpc-raw.ts), and the JSON's strings are moved within one buffer (payload-json.ts string()).
  const kept = out.copy(buf, from, to);
  const copy = out.buf;
  const packed = payloadToJson(copy, kept, kept + (to - from), out);
  jsonTries = packed === undefined ? jsonTries - 1 : JSON_TRIES;
  if (packed) return new PackedPoint(id, vectors, readPayload, copy, kept, kept + (to - from), packed);
  // No JSON written (a repeated key, say): the copy is not needed. Mapping needs the value anyway,
  // and decoding it now, while the bytes are in cache, measured half the cost of decoding it later.
  out.pos = kept;
  return { id, vectors, payload: readPayload(buf, from, to) };
}

/** A payload from the map entries (field 2) among the fields in `buf[from, to)` (a PackedPoint's, when someone reads it). */
function readPayload(buf: Buffer, from: number, to: number): JsonObject {
  const out: JsonObject = {};
  const r = new ProtoReader(buf, from, to);
  while (r.next()) {
    const { field, wire } = r;
    if (field === 2 && wire === 2) readMapEntry(r.child(), out);
    else r.skip(wire);
  }
  return out;
}

/** map<string, Value> entry: key 1, value 2. An absent value is Value's default: null. */
function readMapEntry(r: ProtoReader, into: JsonObject): void {
  let key = '';
  let value: JsonValue = null;
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) key = r.string();
    else if (field === 2 && wire === 2) value = readValue(r.child());
    else r.skip(wire);
  }
  // Payload keys are the user's data: `__proto__` must stay a key (see core/own.ts).
  setOwn(into, key, value);
}

/** Value: null 1, double 2, integer 3 (int64), string 4, bool 5, struct 6, list 7. */
function readValue(r: ProtoReader): JsonValue {
  let value: JsonValue = null;
  while (r.next()) {
    const { field, wire } = r;
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
        value = readStruct(r.child());
        break;
      case 7:
        value = readList(r.child());
        break;
      default:
        r.skip(wire);
    }
  }
  return value;
}

function readStruct(r: ProtoReader): JsonObject {
  const out: JsonObject = {};
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) readMapEntry(r.child(), out);
    else r.skip(wire);
  }
  return out;
}

function readList(r: ProtoReader): JsonValue[] {
  const out: JsonValue[] = [];
  while (r.next()) {
    const { field, wire } = r;
    if (field === 1 && wire === 2) out.push(readValue(r.child()));
    else r.skip(wire);
  }
  return out;
}
