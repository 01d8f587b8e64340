/**
 * The smaller datasets: one idea each (a distance, an id range, a vector layout, a size).
 */
import type { Dataset, RestPoint } from './types.ts';
import {
  decimal, denseF32, int, pick, pointRng, words, type Rng,
} from './prng.ts';
import type { JsonObject } from '../../src/core/types.ts';

const CATEGORIES = ['books', 'music', 'films', 'games', 'tools'] as const;

/** Builds a lazy Dataset whose point i is made by `make(rng, i)` with a per-point generator. */
export function lazyDataset(
  base: Omit<Dataset, 'points'>,
  seed: number,
  make: (rng: Rng, i: number) => RestPoint,
): Dataset {
  return {
    ...base,
    *points() {
      for (let i = 0; i < base.count; i++) yield make(pointRng(seed, i), i);
    },
  };
}

function flatPayload(rng: Rng, i: number): JsonObject {
  return {
    name: `item-${i + 1}`,
    category: pick(rng, CATEGORIES),
    rank: int(rng, 0, 10_000),
    score: decimal(rng, 0, 100),
    active: rng() < 0.5,
  };
}

export function basic(count: number, seed: number): Dataset {
  return lazyDataset(
    {
      collection: 'basic',
      config: { vectors: { size: 128, distance: 'Cosine' } },
      payloadIndexes: [{ field_name: 'category', field_schema: 'keyword' }],
      count,
    },
    seed,
    (rng, i) => ({ id: i + 1, vector: denseF32(rng, 128), payload: flatPayload(rng, i) }),
  );
}

/** ~300 bytes of JSON payload per point, like a typical RAG chunk's metadata. */
export function ref768(count: number, seed: number): Dataset {
  return lazyDataset(
    { collection: 'ref768', config: { vectors: { size: 768, distance: 'Cosine' } }, count },
    seed,
    (rng, i) => ({
      id: i + 1,
      vector: denseF32(rng, 768),
      payload: {
        doc_id: `doc-${String(i + 1).padStart(8, '0')}`,
        title: words(rng, 5),
        text: words(rng, 24),
        category: pick(rng, CATEGORIES),
        year: int(rng, 1990, 2025),
        rating: decimal(rng, 0, 5, 2),
        tags: [words(rng, 1), words(rng, 1)],
      },
    }),
  );
}

export function manhattan(count: number, seed: number): Dataset {
  return lazyDataset(
    { collection: 'manhattan', config: { vectors: { size: 32, distance: 'Manhattan' } }, count },
    seed,
    (rng, i) => ({ id: i + 1, vector: denseF32(rng, 32), payload: flatPayload(rng, i) }),
  );
}

export function multivector(count: number, seed: number): Dataset {
  const config = {
    vectors: {
      colbert: { size: 16, distance: 'Cosine' as const, multivector_config: { comparator: 'max_sim' as const } },
    },
  };
  return lazyDataset({ collection: 'multivector', config, count }, seed, (rng, i) => {
    const rows = int(rng, 1, 5);
    const colbert: number[][] = [];
    for (let r = 0; r < rows; r++) colbert.push(denseF32(rng, 16));
    return { id: i + 1, vector: { colbert }, payload: { tokens: rows } };
  });
}

const FIVE = [
  ['title', 16, 'Cosine'],
  ['body', 24, 'Dot'],
  ['image', 8, 'Euclid'],
  ['audio', 12, 'Cosine'],
  ['code', 20, 'Dot'],
] as const;

export function fiveVectors(count: number, seed: number): Dataset {
  const vectors = Object.fromEntries(FIVE.map(([name, size, distance]) => [name, { size, distance }]));
  return lazyDataset({ collection: 'five-vectors', config: { vectors }, count }, seed, (rng, i) => ({
    id: i + 1,
    vector: Object.fromEntries(FIVE.map(([name, size]) => [name, denseF32(rng, size)])),
    payload: flatPayload(rng, i),
  }));
}

/** 40000 dimensions: above Milvus's 32768 limit, so plan() must refuse it. */
export function hugeDim(count: number, seed: number): Dataset {
  return lazyDataset(
    { collection: 'huge-dim', config: { vectors: { size: 40_000, distance: 'Dot' } }, count },
    seed,
    (rng, i) => ({ id: i + 1, vector: denseF32(rng, 40_000), payload: { n: i } }),
  );
}

const TWO_63 = 2n ** 63n;
const MAX_U64 = 2n ** 64n - 1n;

/** Ids spread over 2^63 .. 2^64-1 (both ends included): they do not fit Milvus INT64. */
export function overflowIdAt(i: number, count: number): bigint {
  if (count <= 1) return TWO_63;
  const step = (MAX_U64 - TWO_63) / BigInt(count - 1);
  return i === count - 1 ? MAX_U64 : TWO_63 + step * BigInt(i);
}

export function overflowIds(count: number, seed: number): Dataset {
  return lazyDataset(
    { collection: 'overflow-ids', config: { vectors: { size: 8, distance: 'Dot' } }, count },
    seed,
    (rng, i) => ({ id: overflowIdAt(i, count), vector: denseF32(rng, 8), payload: { n: i } }),
  );
}

/** Names that are legal in Qdrant but not in Milvus (hyphens): plan() must sanitise them. */
export function hyphenNames(count: number, seed: number): Dataset {
  return lazyDataset(
    { collection: 'my-docs', config: { vectors: { 'image-emb': { size: 16, distance: 'Cosine' } } }, count },
    seed,
    (rng, i) => ({
      id: i + 1,
      vector: { 'image-emb': denseF32(rng, 16) },
      payload: { 'doc-type': pick(rng, CATEGORIES), 'page-no': int(rng, 1, 500) },
    }),
  );
}
