/**
 * A payload that is still the JSON bytes the transcoder wrote straight from Qdrant's protobuf
 * Value (src/transcode/payload-json.ts), beside the Point or Row whose `payload` / `dynamic` it is.
 *
 * Mapping decides (src/mapping/rows.ts): a transcoded payload keeps these bytes (null-valued keys
 * already left out by the transcoder, which counts them; keys that clash with a field renamed and
 * promoted keys cut out on the bytes, their values decoded alone: entryValue), and the Upsert
 * encoder writes them as the row's `$meta`; otherwise mapping works on the JSON value as always,
 * and the bytes are not used. The compare engine
 * compares them with the target's `$meta` text (core/compare-payload.ts).
 */
import { getOwn } from './own.ts';
import type { JsonObject, JsonValue, Point, PointId, Row } from './types.ts';
export interface PackedPayload {
  /** The payload as `$meta` JSON, exactly what milvus/rows.ts payloadJson writes for it. */
  json: Uint8Array;
  /** Its top-level keys, in order (mapping checks them against field names and promoted keys). */
  keys: string[];
}

/**
 * A Point from a packed read (grpc-scroll.ts with packedVectors): its payload is decoded from the
 * response bytes on first read only (mapping's pass-through never reads it). `payload` is an
 * accessor of the class, so spreading or JSON-printing such a Point leaves it out: only the
 * pipeline reads packed, and mapping only reads `id`, `vectors` and `payload`.
 */
/** Decodes the payload held in `buf[from, to)` (the reader's own format: grpc-scroll.ts). */
export type PayloadDecoder = (buf: Buffer, from: number, to: number) => JsonObject;

export class PackedPoint implements Point {
  #payload: JsonObject | undefined;
  // Where the payload's bytes are, and who reads them: fields, not a closure (one object less per point).
  #decode: PayloadDecoder | undefined;
  #buf: Buffer | undefined;
  #from: number;
  #to: number;
  #packed: PackedPayload | undefined;

  constructor(
    readonly id: PointId,
    public vectors: Point['vectors'],
    decode: PayloadDecoder,
    buf: Buffer,
    from: number,
    to: number,
    packed: PackedPayload | undefined,
  ) {
    this.#decode = decode;
    this.#buf = buf;
    this.#from = from;
    this.#to = to;
    this.#packed = packed;
  }

  get payload(): JsonObject {
    if (this.#payload === undefined) {
      this.#payload = this.#decode!(this.#buf!, this.#from, this.#to);
      this.#decode = undefined;
      this.#buf = undefined;
    }
    return this.#payload;
  }

  /** Assigning a payload drops the bytes: they no longer describe it. */
  set payload(value: JsonObject) {
    this.#payload = value;
    this.#decode = undefined;
    this.#buf = undefined;
    this.#packed = undefined;
  }

  static packedOf(p: PackedPoint): PackedPayload | undefined {
    return p.#packed;
  }

  /**
   * The value of top-level payload key `key`, decoded alone from its map entry, `[from, to)` of
   * the payload's protobuf bytes (offsets from their start: TranscodedPayload.entryAt), by the
   * same decoder as the whole payload: mapping reads a promoted key this way and leaves the rest
   * as the transcoder's JSON (src/mapping/rows.ts). Once the payload was decoded, from that.
   */
  static entryValue(p: PackedPoint, key: string, from: number, to: number): JsonValue | undefined {
    if (p.#decode === undefined) return getOwn(p.payload, key);
    return getOwn(p.#decode(p.#buf!, p.#from + from, p.#from + to), key);
  }
}

/** A Row whose dynamic field is a PackedPoint's payload unchanged, with its JSON bytes: mapping's
 *  choice when its rules change nothing. `dynamic` is read from the point only when asked. */
export class PackedRow implements Row {
  #dynamic: JsonObject | undefined;
  #point: Point;
  #packed: PackedPayload | undefined;

  constructor(
    readonly id: Row['id'],
    public vectors: Row['vectors'],
    point: Point,
    packed: PackedPayload,
  ) {
    this.#point = point;
    this.#packed = packed;
  }

  get dynamic(): JsonObject {
    return this.#dynamic ?? this.#point.payload;
  }

  set dynamic(value: JsonObject) {
    this.#dynamic = value;
    this.#packed = undefined;
  }

  static packedOf(r: PackedRow): PackedPayload | undefined {
    return r.#packed;
  }
}

/** The packed JSON of a Point or Row, when it has one that still describes its payload. */
export function packedPayloadOf(owner: Point | Row): PackedPayload | undefined {
  if (owner instanceof PackedPoint) return PackedPoint.packedOf(owner);
  if (owner instanceof PackedRow) return PackedRow.packedOf(owner);
  return undefined;
}
