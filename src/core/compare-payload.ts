/**
 * The compare engine's payload shortcut: a source row whose payload is still the transcoder's
 * `$meta` JSON (packed-payload.ts: exactly the bytes the migration wrote) against a target row
 * whose `$meta` text the sink kept (TargetRow, Sink.fetch with `lazyPayload`). When the two texts
 * say the same, the payloads are equal and neither side's payload is parsed or walked: no decode
 * of the source's protobuf payload, no JSON.parse of the target's, no diffJson.
 *
 * "Say the same", cheapest first: the target's bytes equal the source's (a target that returns
 * `$meta` as stored); or the two texts are the same JSON value token by token, in any key order
 * and spacing (compare-json-text.ts: Milvus Lite 3 re-encodes `$meta` with Python's json.dumps,
 * keys sorted, `", "` separators); or the target's text, parsed, its top-level keys put in the
 * source's order, re-serialises by JSON.stringify to the source's text (what is left: Python's
 * `\u00e9` escapes). The source's packed text is what JSON.stringify writes for its payload
 * (rows.ts payloadJson), so equal text means equal values, except where parsing loses something:
 * integers of 16 digits or more (JSON.parse rounds them; parsePayload reads them as bigint) take
 * the full comparison. Anything else that differs in text only (a number's spelling) falls back
 * too, never passes wrongly. (-0 written as 0 is no loss: diffJson holds -0 and 0 equal.)
 */
import { sameJsonText } from './compare-json-text.ts';
import { setOwn } from './own.ts';
import { packedPayloadOf } from './packed-payload.ts';
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
  scalars?: Row['scalars'];

  constructor(
    readonly id: Row['id'],
    public vectors: Row['vectors'],
    scalars: Row['scalars'],
    meta: Uint8Array,
    parse: (bytes: Uint8Array) => JsonObject,
  ) {
    if (scalars) this.scalars = scalars;
    this.#meta = meta;
    this.#parse = parse;
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
}

// An integer of 16 digits or more (not the digits of a fraction or of a number with an exponent:
// doubles print up to 17 significant digits and parse back exactly). Conservative inside strings.
const LONG_INTEGER = /(?<![\d.])\d{16,}(?![\d.eE])/;
const decoder = new TextDecoder();

/**
 * True when the target row's payload is known equal to the source row's without walking either;
 * false means "compare them in full" (they may still be equal).
 */
export function samePackedPayload(want: Row, got: Row): boolean {
  const packed = packedPayloadOf(want);
  const raw = got instanceof TargetRow ? TargetRow.metaOf(got) : undefined;
  if (!packed || !raw) return false;
  // The bytes, then the same value spelt with other spaces or key order (compare-json-text.ts).
  if (Buffer.compare(packed.json, raw) === 0 || sameJsonText(packed.json, raw)) return true;
  const text = decoder.decode(raw);
  if (LONG_INTEGER.test(text)) return false;
  // Spelt otherwise (Python's `\u00e9` escapes): parsed, its top-level keys put back in the
  // source's order, and written as the source's text was.
  const dynamic = got.dynamic;
  if (Object.keys(dynamic).length !== packed.keys.length) return false;
  const ordered: JsonObject = {};
  for (const key of packed.keys) {
    if (!Object.hasOwn(dynamic, key)) return false;
    setOwn(ordered, key, dynamic[key]!);
  }
  return Buffer.from(JSON.stringify(ordered), 'utf8').equals(packed.json);
}
