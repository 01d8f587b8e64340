/**
 * `rich`: every kind of vector and payload value a migration must carry across, in one collection.
 *
 * Point i (0-based):
 * - id: a UUID when i % 4 == 3 (every 5th of those written in upper case, which Qdrant
 *   normalises to lower case), else the integer i + 1;
 * - vectors: `text` (float32, 64-d, Cosine) always; `image` (float16, 32-d, Dot) except when
 *   i % 5 == 4; `thumb` (uint8, 16-d, Euclid) always; sparse `keywords` (idf) except when i % 7 == 6;
 * - payload: absent when i % 50 == 49; otherwise nested objects, nulls (top level and nested),
 *   unicode keys, arrays, a geo point, datetimes as strings, integers above 2^53 (bigint) and a
 *   key named `id`.
 */
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import type { Dataset, RestPoint } from './types.ts';
import { lazyDataset } from './simple.ts';
import {
  datetime, decimal, denseF16, denseF32, denseU8, int, pick, uuid, words, type Rng,
} from './prng.ts';

const TWO_53 = 2n ** 53n;
const COLOURS = ['red', 'green', 'blue', 'чёрный', '白'] as const;

export const RICH_CONFIG = {
  vectors: {
    text: { size: 64, distance: 'Cosine' as const },
    image: { size: 32, distance: 'Dot' as const, datatype: 'float16' as const },
    thumb: { size: 16, distance: 'Euclid' as const, datatype: 'uint8' as const },
  },
  sparse_vectors: { keywords: { modifier: 'idf' as const } },
};

export function richId(rng: Rng, i: number): number | string {
  if (i % 4 !== 3) return i + 1;
  const id = uuid(rng);
  return Math.floor(i / 4) % 5 === 0 ? id.toUpperCase() : id;
}

/** Unsorted, unique indices: Qdrant returns them sorted, the reader must not assume either. */
function sparse(rng: Rng): { indices: number[]; values: number[] } {
  const n = int(rng, 1, 8);
  const seen = new Set<number>();
  while (seen.size < n) seen.add(int(rng, 0, 9_999));
  const indices = [...seen];
  return { indices, values: indices.map(() => Math.fround(rng() * 4 + 0.01)) };
}

function nested(rng: Rng, i: number): JsonObject {
  return {
    author: { name: words(rng, 2), email: i % 3 === 0 ? null : `user${i}@example.com` },
    scores: [decimal(rng, 0, 1), decimal(rng, 0, 1), int(rng, -5, 5)],
    history: [{ at: datetime(rng), by: words(rng, 1) }, { at: datetime(rng), by: null }],
    depth: { a: { b: { c: { leaf: i } } } },
  };
}

function payload(rng: Rng, i: number): JsonObject {
  const big: JsonValue = TWO_53 + BigInt(int(rng, 1, 1_000_000)) * 1_000_003n;
  return {
    id: i % 2 === 0 ? `ext-${i}` : i * 10,
    title: words(rng, 3),
    colour: pick(rng, COLOURS),
    count: int(rng, -1000, 1000),
    price: decimal(rng, 0, 500, 2),
    in_stock: rng() < 0.5,
    note: i % 3 === 1 ? null : words(rng, 4),
    tags: Array.from({ length: int(rng, 0, 4) }, () => words(rng, 1)),
    location: { lon: decimal(rng, -180, 180, 5), lat: decimal(rng, -90, 90, 5) },
    created_at: datetime(rng),
    big_counter: big,
    negative_big: -big,
    名前: `名前-${i}`,
    'größe_émoji_🚀': decimal(rng, 0, 10),
    meta: nested(rng, i),
    mixed_list: [1, 'two', 3.5, null, true, { k: 'v' }, [1, 2]],
  };
}

function vector(rng: Rng, i: number): Record<string, unknown> {
  const v: Record<string, unknown> = { text: denseF32(rng, 64) };
  const image = denseF16(rng, 32);
  if (i % 5 !== 4) v.image = image;
  v.thumb = denseU8(rng, 16);
  const keywords = sparse(rng);
  if (i % 7 !== 6) v.keywords = keywords;
  return v;
}

export function rich(count: number, seed: number): Dataset {
  return lazyDataset(
    {
      collection: 'rich',
      config: RICH_CONFIG,
      payloadIndexes: [
        { field_name: 'colour', field_schema: 'keyword' },
        { field_name: 'count', field_schema: 'integer' },
        { field_name: 'location', field_schema: 'geo' },
      ],
      count,
    },
    seed,
    (rng, i): RestPoint => {
      const id = richId(rng, i);
      const v = vector(rng, i);
      const p = payload(rng, i);
      return i % 50 === 49 ? { id, vector: v } : { id, vector: v, payload: p };
    },
  );
}
