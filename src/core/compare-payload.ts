/**
 * The compare engine's payload shortcut: the `$meta` text the migration wrote for a source row
 * against the `$meta` text the target returned for it (TargetRow, Sink.fetch with `lazyPayload`).
 * When the two texts say the same, the payloads are equal and the target's is never parsed or
 * walked: no JSON.parse (or lossless parse, for payloads with integers beyond 2^53) per row, no
 * diffJson.
 *
 * The source's text, by the migration's own rule (milvus/rows.ts metaBytes): the packed bytes
 * where mapping kept them (packed-payload.ts: the transcoder's, nulls left out and clashing keys
 * renamed on the bytes), else the sink's serialiser run on the mapped payload (a plan that promotes
 * keys, a REST read). The sink hands its serialiser over with each TargetRow.
 *
 * "Say the same", cheapest first: the target's bytes equal the source's (a target that returns
 * `$meta` as stored); or the two texts are the same JSON value token by token, in any key order,
 * spacing and string escapes (compare-json-text.ts: Milvus Lite 3 re-encodes `$meta` with
 * Python's json.dumps, keys sorted, `", "` separators, non-ASCII as `\u` escapes); or, for packed
 * bytes, the target's text parsed, its top-level keys put in the source's order, re-serialises by
 * JSON.stringify to the source's text. The source's packed text is what JSON.stringify writes for
 * its payload (rows.ts payloadJson), so equal text means equal values, except where parsing loses
 * something: integers of 16 digits or more (JSON.parse rounds them; parsePayload reads them as
 * bigint) take the full comparison. Anything else that differs in text only (a number's spelling)
 * falls back too, never passes wrongly. (-0 written as 0 is no loss: diffJson holds -0 and 0 equal.)
 */
import { sameJsonText } from './compare-json-text.ts';
import { setOwn } from './own.ts';
import { packedPayloadOf, type PackedPayload } from './packed-payload.ts';
import type { JsonObject, Row } from './types.ts';

/**
 * A target row as Sink.fetch answers the compare walk (`lazyPayload`): its `$meta` text kept, and
 * parsed into `dynamic` only when something reads it (a payload the text test could not show
 * equal, or a report of what differs). `dynamic` is an accessor of the class: spreading the row
 * leaves it out (nothing in the walk does).
 */
export class TargetRow implements Row {
  #dynamic: JsonObject | undefined;
  #meta: Uint8Array | undefined;
  #parse: (bytes: Uint8Array) => JsonObject;
  #write: PayloadWriter | undefined;
  scalars?: Row['scalars'];

  /** `write`: the sink's serialiser of a row's `$meta` (what its Upserts send), to compare the
   *  source row's text with this one; without it only packed source rows are compared as text. */
  constructor(
    readonly id: Row['id'],
    public vectors: Row['vectors'],
    scalars: Row['scalars'],
    meta: Uint8Array,
    parse: (bytes: Uint8Array) => JsonObject,
    write?: PayloadWriter,
  ) {
    if (scalars) this.scalars = scalars;
    this.#meta = meta;
    this.#parse = parse;
    this.#write = write;
  }

  get dynamic(): JsonObject {
    return (this.#dynamic ??= this.#parse(this.#meta!));
  }

  /** Assigning a payload drops the text: it no longer describes it. */
  set dynamic(value: JsonObject) {
    this.#dynamic = value;
    this.#meta = undefined;
  }

  static metaOf(r: TargetRow): Uint8Array | undefined {
    return r.#meta;
  }

  static writerOf(r: TargetRow): PayloadWriter | undefined {
    return r.#write;
  }
}

/** A payload as the sink writes it into `$meta` (undefined: it cannot). */
export type PayloadWriter = (payload: JsonObject) => string | undefined;

// An integer of 16 digits or more (not the digits of a fraction or of a number with an exponent:
// doubles print up to 17 significant digits and parse back exactly). Conservative inside strings.
const LONG_INTEGER = /(?<![\d.])\d{16,}(?![\d.eE])/;
const decoder = new TextDecoder();

/** The source's written text, encoded into one buffer reused row after row (no allocation per row). */
let scratch = Buffer.alloc(64 * 1024);

/**
 * True when the target row's payload is known equal to the source row's without walking either;
 * false means "compare them in full" (they may still be equal).
 */
export function samePayloadText(want: Row, got: Row): boolean {
  const raw = got instanceof TargetRow ? TargetRow.metaOf(got) : undefined;
  if (!raw) return false;
  const packed = packedPayloadOf(want);
  if (packed) return samePacked(packed, raw, got);
  const write = TargetRow.writerOf(got as TargetRow);
  const text = write?.(want.dynamic);
  if (text === undefined) return false;
  // Three bytes per UTF-16 unit at most: the scratch buffer always holds the whole text.
  if (text.length * 3 > scratch.length) scratch = Buffer.alloc(text.length * 3);
  const n = scratch.write(text, 0, 'utf8');
  const mine = scratch.subarray(0, n);
  return Buffer.compare(mine, raw) === 0 || sameJsonText(mine, raw);
}

function samePacked(packed: PackedPayload, raw: Uint8Array, got: Row): boolean {
  // The bytes, then the same value spelt with other spaces, key order or escapes (compare-json-text.ts).
  if (Buffer.compare(packed.json, raw) === 0 || sameJsonText(packed.json, raw)) return true;
  const text = decoder.decode(raw);
  if (LONG_INTEGER.test(text)) return false;
  // Spelt otherwise (a number): parsed, its top-level keys put back in the source's order, and
  // written as the source's text was.
  const dynamic = got.dynamic;
  if (Object.keys(dynamic).length !== packed.keys.length) return false;
  const ordered: JsonObject = {};
  for (const key of packed.keys) {
    if (!Object.hasOwn(dynamic, key)) return false;
    setOwn(ordered, key, dynamic[key]!);
  }
  return Buffer.from(JSON.stringify(ordered), 'utf8').equals(packed.json);
}
