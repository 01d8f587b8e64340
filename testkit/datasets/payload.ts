/**
 * `payload`: every Qdrant payload index type (issue 10), so each row of the promotion table can be
 * migrated and verified, plus the keys that do not fit a promoted type.
 *
 * Point i (0-based), id i + 1, one 8-d Cosine vector; no payload at all when i % 50 == 49.
 * Indexed keys (payloadIndexes), clean values of the index type on every point that has them:
 * - `tenant` keyword, `is_tenant: true`: one of 5 tenants (a partition key candidate);
 * - `category` keyword: one of 4 words (low cardinality);
 * - `sku` uuid: a UUID; `count` integer; `price` float; `in_stock` bool;
 * - `created_at` datetime, `is_principal: true`: RFC 3339 with `Z`, an offset, or fractions;
 * - `body` text: 3..12 words; `location` geo: {lon, lat};
 * - `tags` keyword on arrays of 0..5 words; `ranks` integer on arrays of 1..4 integers.
 * Unindexed keys, found only by sampling:
 * - `mixed`: an integer, but a string on i % 10 == 3 and a float on i % 10 == 7;
 * - `long_note`: strings up to ~2,400 UTF-8 bytes (multi-byte characters: bytes ≠ characters);
 * - `mixed_arr`: arrays whose elements are numbers, and also strings on i % 6 == 0;
 * - `nested`: an object two levels deep; `half`: an integer on even points only;
 * - `maybe_null`: null on i % 4 == 0 (dropped as today), else a word.
 */
import type { JsonObject } from '../../src/core/types.ts';
import type { Dataset, RestPoint } from './types.ts';
import { lazyDataset } from './simple.ts';
import { datetime, decimal, denseF32, int, pick, uuid, words, type Rng } from './prng.ts';

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'] as const;
const CATEGORIES = ['news', 'sport', 'tech', 'arts'] as const;
const LONG_UNIT = 'Größe-ñandú-日本語 '; // 26 UTF-8 bytes, 18 characters

export const PAYLOAD_INDEXES = [
  { field_name: 'tenant', field_schema: { type: 'keyword', is_tenant: true } },
  { field_name: 'category', field_schema: 'keyword' },
  { field_name: 'sku', field_schema: 'uuid' },
  { field_name: 'count', field_schema: 'integer' },
  { field_name: 'price', field_schema: 'float' },
  { field_name: 'in_stock', field_schema: 'bool' },
  { field_name: 'created_at', field_schema: { type: 'datetime', is_principal: true } },
  { field_name: 'body', field_schema: 'text' },
  { field_name: 'location', field_schema: 'geo' },
  { field_name: 'tags', field_schema: 'keyword' },
  { field_name: 'ranks', field_schema: 'integer' },
];

/** RFC 3339 in the three spellings Qdrant's datetime index accepts and users write. */
function timestamp(rng: Rng, i: number): string {
  const base = datetime(rng); // 2000..2030, `Z`
  if (i % 3 === 1) return base.replace('Z', '+02:00');
  if (i % 3 === 2) return base.replace('Z', `.${String(int(rng, 0, 999)).padStart(3, '0')}Z`);
  return base;
}

function payload(rng: Rng, i: number): JsonObject {
  const p: JsonObject = {
    tenant: pick(rng, TENANTS),
    category: pick(rng, CATEGORIES),
    sku: uuid(rng),
    count: int(rng, -1_000_000, 1_000_000),
    price: decimal(rng, 0, 1000, 2),
    in_stock: rng() < 0.5,
    created_at: timestamp(rng, i),
    body: words(rng, int(rng, 3, 12)),
    location: { lon: decimal(rng, -180, 180, 5), lat: decimal(rng, -90, 90, 5) },
    tags: Array.from({ length: int(rng, 0, 5) }, () => words(rng, 1)),
    ranks: Array.from({ length: int(rng, 1, 4) }, () => int(rng, 0, 100)),
    mixed: i % 10 === 3 ? `n/a-${i}` : i % 10 === 7 ? i + 0.5 : i,
    long_note: LONG_UNIT.repeat(int(rng, 1, i % 25 === 0 ? 90 : 20)),
    mixed_arr: i % 6 === 0 ? [1, 'two', 3] : [int(rng, 0, 9), decimal(rng, 0, 1)],
    nested: { a: { b: i, c: words(rng, 1) }, list: [i, i + 1] },
    maybe_null: i % 4 === 0 ? null : words(rng, 1),
  };
  if (i % 2 === 0) p.half = i;
  return p;
}

export function payloadDataset(count: number, seed: number): Dataset {
  return lazyDataset(
    { collection: 'payload', config: { vectors: { size: 8, distance: 'Cosine' } }, payloadIndexes: PAYLOAD_INDEXES, count },
    seed,
    (rng, i): RestPoint => {
      const vector = denseF32(rng, 8);
      return i % 50 === 49 ? { id: i + 1, vector } : { id: i + 1, vector, payload: payload(rng, i) };
    },
  );
}
