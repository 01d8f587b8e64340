/**
 * Exact JSON for Qdrant's REST API.
 *
 * Why not the official @qdrant/js-client-rest for points: its fetcher
 * (@qdrant/openapi-typescript-fetch) parses with JSON.parse and only keeps integers above 2^53
 * exact through a reviver that needs JSON.rawJSON, which Node 20 (V8 11.3) lacks; so on our
 * runtime an id like 18446744073709551615 comes back rounded to 18446744073709552000, and so do
 * large payload integers. We parse with lossless-json instead: integers outside the safe range
 * become bigint, everything else is a plain number, exactly as JSON.parse would give it.
 */
import { isInteger, parse, stringify } from 'lossless-json';

/** An integer token of 16+ digits: the only thing JSON.parse could round. Strings may match too,
 *  which only sends that body down the (correct, slower) lossless path. */
const LONG_INTEGER = /(?<![\d.])\d{16,}(?![\d.eE])/;

function parseNumber(token: string): number | bigint {
  if (isInteger(token)) {
    const n = Number(token);
    return Number.isSafeInteger(n) ? n : BigInt(token);
  }
  return Number(token);
}

/** JSON.parse when that is exact (fast, the common case for vector-heavy pages), else lossless. */
export function parseJsonExact(text: string): unknown {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text);
  return parse(text, null, parseNumber);
}

/** JSON with bigint written as exact integer literals (ids and offsets above 2^53). */
export function stringifyJsonExact(value: unknown): string {
  return stringify(value) ?? 'null';
}
