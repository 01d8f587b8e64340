/**
 * Payload paths (Qdrant's JSON path subset: `a.b`, `a[]`, `a[2]`, `a[].b`) and the `with_payload`
 * selector (`true`/`false`, a list of paths, `{include}`, `{exclude}`).
 */
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import { formatError } from './errors.ts';

type Segment = { key: string } | { index: number } | { all: true };

export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d*\])*)$/.exec(part);
    if (!m) throw formatError(`invalid payload key \`${path}\``);
    if (m[1]) segments.push({ key: m[1] });
    for (const br of m[2]!.match(/\[\d*\]/g) ?? []) {
      segments.push(br === '[]' ? { all: true } : { index: Number(br.slice(1, -1)) });
    }
  }
  return segments;
}

/** Values at `path`, without flattening the last level (for is_empty / is_null / values_count). */
export function rawValuesAt(payload: JsonObject, path: string): JsonValue[] {
  let current: JsonValue[] = [payload];
  for (const seg of parsePath(path)) {
    const next: JsonValue[] = [];
    for (const v of current) {
      if ('key' in seg) {
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, seg.key)) next.push(v[seg.key]!);
      } else if (Array.isArray(v)) {
        if ('all' in seg) next.push(...v);
        else if (seg.index < v.length) next.push(v[seg.index]!);
      }
    }
    current = next;
  }
  return current;
}

/** Leaf values at `path`: an array value counts as its elements, as in Qdrant's match/range. */
export function valuesAt(payload: JsonObject, path: string): JsonValue[] {
  return rawValuesAt(payload, path).flatMap((v) => (Array.isArray(v) ? v : [v]));
}

export type WithPayload = boolean | string[] | { include: string | string[] } | { exclude: string | string[] };

function asList(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}

/** Keeps only the listed top-level-or-nested keys, in the payload's own key order. */
function include(value: JsonObject, paths: string[][]): JsonObject {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const matching = paths.filter((p) => p[0] === key);
    if (matching.length === 0) continue;
    if (matching.some((p) => p.length === 1)) out[key] = v;
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      out[key] = include(v, matching.map((p) => p.slice(1)));
    }
  }
  return out;
}

function exclude(value: JsonObject, paths: string[][]): JsonObject {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const matching = paths.filter((p) => p[0] === key);
    if (matching.some((p) => p.length === 1)) continue;
    if (matching.length > 0 && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      out[key] = exclude(v, matching.map((p) => p.slice(1)));
    } else out[key] = v;
  }
  return out;
}

/** Applies a with_payload selector; null means "no payload" (the `payload` key is left out). */
export function selectPayload(payload: JsonObject, selector: WithPayload | null | undefined): JsonObject | null {
  if (selector === undefined || selector === null || selector === true) return payload;
  if (selector === false) return null;
  const split = (list: string[]) => list.map((p) => p.split('.'));
  if (Array.isArray(selector)) return include(payload, split(selector));
  if (typeof selector === 'object' && 'include' in selector) return include(payload, split(asList(selector.include)));
  if (typeof selector === 'object' && 'exclude' in selector) return exclude(payload, split(asList(selector.exclude)));
  throw formatError('Expected a boolean, an array of strings, or an object with an include/exclude field');
}
