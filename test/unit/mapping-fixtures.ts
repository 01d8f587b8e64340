/** Sources and targets for the mapping tests: the smallest inputs that show each rule. */
import type { SourceCollection, SourceVector, TargetCapabilities } from '../../src/core/types.ts';

/** Milvus 2.6.4: everything (float16, nullable vectors, Array of Struct, AUTOINDEX). */
export const MILVUS_26: TargetCapabilities = {
  kind: 'milvus',
  version: 'v2.6.4',
  float16Vector: true,
  sparseVector: true,
  nullableVector: true,
  arrayOfStruct: true,
  autoIndex: true,
};

/** Milvus 2.5: no nullable vectors, no Array of Struct. */
export const MILVUS_25: TargetCapabilities = { ...MILVUS_26, version: 'v2.5.10', nullableVector: false, arrayOfStruct: false };

/** Milvus Lite: float and sparse vectors only, explicit index types. */
export const LITE: TargetCapabilities = {
  kind: 'milvus-lite',
  version: 'milvus_lite-3.2.2',
  float16Vector: false,
  sparseVector: true,
  nullableVector: false,
  arrayOfStruct: false,
  autoIndex: false,
};

export function dense(name: string, extra: Partial<SourceVector> = {}): SourceVector {
  return { name, kind: 'dense', dim: 4, datatype: 'float32', distance: 'Cosine', missingCount: 0, ...extra };
}

export function sparse(name: string, extra: Partial<SourceVector> = {}): SourceVector {
  return { name, kind: 'sparse', datatype: 'float32', sparseModifier: 'none', missingCount: 0, ...extra };
}

export function multi(name: string, extra: Partial<SourceVector> = {}): SourceVector {
  return { name, kind: 'multi', dim: 4, datatype: 'float32', distance: 'Cosine', missingCount: 0, ...extra };
}

export function collection(extra: Partial<SourceCollection> = {}): SourceCollection {
  return {
    name: 'docs',
    pointsCount: 10,
    vectors: [dense('')],
    idKinds: { int: true, uuid: false, intAbove63: false },
    payloadSchema: {},
    ...extra,
  };
}
