/**
 * The compare engine's payload shortcut: a source row whose payload is still the transcoder's
 * `$meta` JSON (packed-payload.ts: exactly the bytes the migration wrote) against a target row
 * whose `$meta` text the sink kept (noteTargetMeta, Sink.fetch). When the two texts say the same,
 * the payloads are equal and neither side's payload is walked: no decode of the source's protobuf
 * payload, no diffJson (profiled on verify --full, ref768 20k: about a fifth of the compare's CPU).
 *
 * "Say the same": the target's bytes equal the source's (a target that returns `$meta` as stored),
 * or the target's text, parsed, its top-level keys put in the source's order, re-serialises by
 * JSON.stringify to the source's text (Milvus Lite 3 re-encodes `$meta` with Python's json.dumps:
 * keys sorted, `", "` separators, `\u00e9` escapes; probed on ref768 payloads). The source's
 * packed text is what JSON.stringify writes for its payload (rows.ts payloadJson), so equal text
 * means equal values, except where parsing loses something: integers of 16 digits or more
 * (JSON.parse rounds them; parsePayload reads them as bigint) take the full comparison. Anything
 * else that differs in text only (a key order, a number's spelling) falls back too, never passes
 * wrongly. (-0 written as 0 is no loss: diffJson holds -0 and 0 equal.)
 */
import { setOwn } from './own.ts';
import { packedPayloadOf } from './packed-payload.ts';
import type { JsonObject, Row } from './types.ts';

const targetMeta = new WeakMap<Row, Uint8Array>();

/** Sink.fetch: the `$meta` bytes this target row was decoded from. */
export function noteTargetMeta(row: Row, bytes: Uint8Array): void {
  targetMeta.set(row, bytes);
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
  const raw = targetMeta.get(got);
  if (!packed || !raw) return false;
  if (Buffer.compare(packed.json, raw) === 0) return true;
  const text = decoder.decode(raw);
  if (LONG_INTEGER.test(text)) return false;
  // Milvus Lite 3 also sorts the top-level keys: put them back in the source's order first.
  const dynamic = got.dynamic;
  if (Object.keys(dynamic).length !== packed.keys.length) return false;
  const ordered: JsonObject = {};
  for (const key of packed.keys) {
    if (!Object.hasOwn(dynamic, key)) return false;
    setOwn(ordered, key, dynamic[key]!);
  }
  return Buffer.from(JSON.stringify(ordered), 'utf8').equals(packed.json);
}
