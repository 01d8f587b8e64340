/**
 * Deterministic test datasets: the same name, count and seed always give the same points, and
 * points are generated lazily (a million-point dataset is never held in memory).
 */
import type { Dataset } from './types.ts';
import { payloadDataset } from './payload.ts';
import { rich } from './rich.ts';
import {
  basic, fiveVectors, hugeDim, hyphenNames, manhattan, multivector, overflowIds, ref768,
} from './simple.ts';

export type {
  CreateCollectionBody, Dataset, PayloadIndexSpec, RestPoint, RestPointId, RestSparseVectorParams,
  RestVectorParams,
} from './types.ts';

export const DEFAULT_SEED = 42;

const REGISTRY = {
  basic: { make: basic, defaultCount: 1000 },
  rich: { make: rich, defaultCount: 500 },
  ref768: { make: ref768, defaultCount: 1000 },
  multivector: { make: multivector, defaultCount: 200 },
  manhattan: { make: manhattan, defaultCount: 200 },
  'five-vectors': { make: fiveVectors, defaultCount: 200 },
  'huge-dim': { make: hugeDim, defaultCount: 5 },
  'overflow-ids': { make: overflowIds, defaultCount: 100 },
  'hyphen-names': { make: hyphenNames, defaultCount: 100 },
  payload: { make: payloadDataset, defaultCount: 300 },
} as const satisfies Record<string, { make: (count: number, seed: number) => Dataset; defaultCount: number }>;

export type DatasetName = keyof typeof REGISTRY;

export const DATASET_NAMES = Object.keys(REGISTRY) as DatasetName[];

/** Throws on an unknown name (listing the known ones) or a negative / fractional count. */
export function dataset(name: string, count?: number, seed: number = DEFAULT_SEED): Dataset {
  const entry = (REGISTRY as Record<string, (typeof REGISTRY)[DatasetName]>)[name];
  if (!entry) throw new Error(`unknown dataset "${name}"; known: ${DATASET_NAMES.join(', ')}`);
  const n = count ?? entry.defaultCount;
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`dataset count must be a whole number >= 0, got ${n}`);
  return entry.make(n, seed);
}
