/**
 * What the target can hold. The one place that reads a version string (DESIGN.md, "One capability
 * object"); everything else reads the TargetCapabilities built here.
 *
 * Capabilities come from behaviour: probe.ts creates a throwaway collection and tries what plan()
 * could ask for (vector fields per collection, Float16 and sparse fields, index types per vector
 * type, nullable vectors), and fromProbes() below turns those answers into capabilities. The
 * version only fills what no cheap probe can tell:
 *  - Array of Struct (multivectors): this sink has no writer for it yet, so it is always off.
 *  - Milvus Lite 3.x (`milvus_lite-<v>`) ACCEPTS a nullable FloatVector field, but a query returns
 *    a null as a zero vector without valid_data: the null is lost, so nullable vectors are reported
 *    unsupported there (writing zeros instead of "absent" would be silent corruption).
 * capabilitiesFromVersion() is the fallback when the probes cannot run (no privilege to create a
 * collection): guesses, marked `source: 'assumed'`.
 */
import type { ScalarCapabilities } from '../core/payload-schema.ts';
import { UNKNOWN_VERSION, type MilvusVectorType, type TargetCapabilities, type TargetKind } from '../core/types.ts';

export type Semver = [number, number, number];

/** `v2.6.4`, `2.6.4-gpu`, `milvus_lite-3.2.2` → [2,6,4] / [3,2,2]; undefined when there is no x.y.z. */
export function parseVersion(version: string | undefined): Semver | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function atLeast(v: Semver | undefined, min: Semver): boolean {
  if (!v) return false;
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}

/** Milvus Lite 3.x names itself in GetVersion; Lite 2.5 does not answer GetVersion at all. */
export function isMilvusLite(version: string | undefined): boolean {
  return (version ?? '').startsWith('milvus_lite');
}

export function targetKind(uri: string, version: string | undefined): TargetKind {
  if (isMilvusLite(version)) return 'milvus-lite';
  let host = '';
  try {
    host = new URL(uri.includes('://') ? uri : `http://${uri}`).hostname.toLowerCase();
  } catch {
    host = '';
  }
  if (host.endsWith('zillizcloud.com') || host.endsWith('zilliz.com.cn') || /zilliz/i.test(version ?? '')) return 'zilliz';
  return 'milvus';
}

/** Guesses from the version alone, for when the probes cannot run. `nullableVector` is false unless probed. */
export function capabilitiesFromVersion(uri: string, version: string | undefined): TargetCapabilities {
  const kind = targetKind(uri, version);
  const shown = version ?? UNKNOWN_VERSION;
  if (kind === 'milvus-lite') {
    return { kind, version: shown, float16Vector: false, sparseVector: true, nullableVector: false, emptySparseVector: false, arrayOfStruct: false, autoIndex: false, source: 'assumed' };
  }
  const v = parseVersion(version);
  // Zilliz Cloud may report a version we cannot parse; it runs current Milvus, so assume 2.4+ types.
  const modern = kind === 'zilliz' && !v;
  return {
    kind,
    version: shown,
    float16Vector: modern || atLeast(v, [2, 4, 0]),
    sparseVector: modern || atLeast(v, [2, 4, 0]),
    nullableVector: false,
    emptySparseVector: modern || atLeast(v, [2, 4, 12]),
    arrayOfStruct: false,
    autoIndex: true,
    source: 'assumed',
  };
}

/** What the probes saw (probe.ts); pure data, so fromProbes() is table-tested. */
export interface ProbeResults {
  /** Largest n in 1..10 for which a collection with n FloatVector fields was created. */
  maxVectorFields: number;
  /** Per vector type: created, indexed and written one row (a type the server only describes is not enough). */
  types: Record<'Float16Vector' | 'SparseFloatVector', boolean>;
  /** A row with an empty sparse vector was written (absent when not probed: the version decides). */
  emptySparse?: boolean;
  /** Per vector type: the probed index types it accepted. */
  indexTypes: Partial<Record<MilvusVectorType, string[]>>;
  /** A nullable FloatVector field was created and described back as nullable. */
  nullableVector: boolean;
  truthful: { getVersion: boolean; listDatabases: boolean; sdkHasCollection: boolean };
  ms: number;
  /** Scalar fields, indexes, JSON path index, text match, partition key (probe-scalar.ts). */
  scalar?: ScalarCapabilities;
  /** The scalar probes' share of `ms`. */
  scalarMs?: number;
}

/**
 * Empty sparse rows: Milvus accepts them since 2.4.12 (milvus-io/milvus#34700, #36061), and so does
 * Milvus Lite 2.5 (no version; its engine is Milvus's); Milvus Lite 3.2.2 refuses them ("sparse
 * vector must contain at least one nonzero float32 weight"). From the version rather than a probe
 * write: each probe costs a collection on the target.
 */
function emptySparseAccepted(version: string | undefined, sparse: boolean): boolean {
  if (!sparse || isMilvusLite(version)) return false;
  const v = parseVersion(version);
  return v === undefined || atLeast(v, [2, 4, 12]);
}

export function fromProbes(uri: string, version: string | undefined, probes: ProbeResults): TargetCapabilities {
  // No FloatVector collection could be created and indexed at all (a quota on collections, a
  // privilege missing): the probes say nothing about the target, so guess from the version rather
  // than refuse every collection with "index refused".
  if ((probes.indexTypes.FloatVector ?? []).length === 0) {
    return { ...capabilitiesFromVersion(uri, version), truthful: probes.truthful, probeMs: probes.ms };
  }
  const lite3 = isMilvusLite(version);
  const accepts = (type: MilvusVectorType) => (probes.indexTypes[type] ?? []).length > 0;
  return {
    kind: targetKind(uri, version),
    version: version ?? UNKNOWN_VERSION,
    // A type counts only if some index takes it: a field that cannot be indexed cannot be loaded.
    float16Vector: probes.types.Float16Vector && accepts('Float16Vector'),
    sparseVector: probes.types.SparseFloatVector && accepts('SparseFloatVector'),
    nullableVector: probes.nullableVector && !lite3,
    emptySparseVector: probes.emptySparse ?? emptySparseAccepted(version, probes.types.SparseFloatVector && accepts('SparseFloatVector')),
    arrayOfStruct: false,
    autoIndex: (probes.indexTypes.FloatVector ?? []).includes('AUTOINDEX'),
    maxVectorFields: probes.maxVectorFields,
    indexTypes: probes.indexTypes,
    source: 'probed',
    truthful: probes.truthful,
    probeMs: probes.ms,
    ...(probes.scalar ? { scalar: probes.scalar } : {}),
  };
}
