/**
 * How one Qdrant vector becomes one Milvus vector field (type, metric, index, nullability).
 * Internal to plan(); rules and their reasons are in the mapping table of DESIGN.md.
 */
import type {
  Distance,
  IndexPlan,
  MilvusMetric,
  MilvusVectorType,
  Problem,
  SourceVector,
  TargetCapabilities,
  VectorFieldPlan,
} from '../core/types.ts';
import { UNKNOWN_VERSION, UNNAMED_VECTOR } from '../core/types.ts';
import { indexParamProblems } from './index-params.ts';
import { nameError, sanitizeName } from './names.ts';
import type { VectorOverride } from './overrides.ts';

/** Milvus's max dimension of float vectors (`proxy.maxDimension`), and its minimum. */
export const MAX_DIM = 32768;
export const MIN_DIM = 2;

/**
 * Index types used where the target cannot AUTOINDEX (Milvus Lite needs an explicit type).
 * One constant so that a Lite release with other index types is a one-line change.
 */
export const EXPLICIT_INDEX = { dense: 'FLAT', sparse: 'SPARSE_INVERTED_INDEX', multi: 'HNSW' } as const;

/** Qdrant's HNSW defaults, used when the source config leaves them out and HNSW is chosen. */
const QDRANT_HNSW_DEFAULTS = { m: 16, efConstruct: 100 };

/** Index types a user may pick per vector kind (Milvus 2.6 names). */
const INDEX_TYPES = {
  dense: new Set(['AUTOINDEX', 'FLAT', 'IVF_FLAT', 'IVF_SQ8', 'IVF_PQ', 'IVF_RABITQ', 'HNSW', 'HNSW_SQ', 'HNSW_PQ',
    'HNSW_PRQ', 'DISKANN', 'SCANN', 'GPU_CAGRA', 'GPU_IVF_FLAT', 'GPU_IVF_PQ', 'GPU_BRUTE_FORCE']),
  sparse: new Set(['AUTOINDEX', 'SPARSE_INVERTED_INDEX', 'SPARSE_WAND']),
  multi: new Set(['AUTOINDEX', 'HNSW']),
};

const DENSE_METRIC: Record<Exclude<Distance, 'Manhattan'>, MilvusMetric> = { Cosine: 'COSINE', Dot: 'IP', Euclid: 'L2' };
const MULTI_METRIC: Record<Exclude<Distance, 'Manhattan'>, MilvusMetric> = {
  Cosine: 'MAX_SIM_COSINE',
  Dot: 'MAX_SIM_IP',
  Euclid: 'MAX_SIM_L2',
};

/** Problem factory bound to one collection and one vector (keeps call sites one line each). */
export type Report = (severity: Problem['severity'], code: string, message: string, fix?: string) => void;

/** `vectors.image`; the unnamed vector is `vectors.(unnamed)`. */
export function vectorPath(name: string): string {
  return `vectors.${name === UNNAMED_VECTOR ? '(unnamed)' : name}`;
}

/** How messages name a vector: `vector "image"` or `the unnamed vector`. */
export function vectorLabel(name: string): string {
  return name === UNNAMED_VECTOR ? 'the unnamed vector' : `vector "${name}"`;
}

/** Default Milvus field of a Qdrant vector: `vector` for the unnamed one, else its sanitised name. */
export function defaultFieldName(name: string): string {
  return name === UNNAMED_VECTOR ? 'vector' : sanitizeName(name);
}

/**
 * Plans one vector field. `report` receives every problem; the returned plan is complete even
 * when there are errors, so the console can show it next to them.
 */
export function planVectorField(
  v: SourceVector,
  caps: TargetCapabilities,
  ov: VectorOverride | undefined,
  missingPolicy: 'fail' | 'skip',
  report: Report,
): VectorFieldPlan {
  const label = vectorLabel(v.name);
  const field = ov?.field ?? defaultFieldName(v.name);
  const bad = ov?.field !== undefined ? nameError(field) : null;
  if (bad) report('error', 'INVALID_NAME', `Field name "${field}" for ${label} is not a valid Milvus name: ${bad}.`,
    'Use letters, digits and _ only, not starting with a digit.');
  const { type, note } = vectorType(v, caps, report);
  if (ov?.type !== undefined && ov.type !== type)
    report('error', 'TYPE_FIXED', `The type of ${label} is ${type} (fixed by the source and the target), not ${ov.type}.`,
      `Remove "type" or set it back to "${type}".`);
  if (v.kind !== 'sparse') checkDim(v, label, ov, report);
  const metric = planMetric(v, label, ov?.metric ?? null, report);
  const nullable = v.missingCount > 0 && caps.nullableVector;
  if (ov?.nullable !== undefined && ov.nullable !== nullable)
    report('error', 'FIXED_FIELD', `${capitalise(label)} is ${nullable ? '' : 'not '}nullable: this follows from the source's missing vectors and the target's capabilities.`,
      `Remove "nullable" or set it back to ${nullable}.`);
  // An empty sparse vector scores like an absent one (no search on the field returns it), so where
  // the target takes empty rows, a missing sparse vector costs no skip and no nullable field.
  const missingAsEmpty = v.kind === 'sparse' && v.missingCount > 0 && !nullable && caps.emptySparseVector === true;
  if (v.missingCount > 0 && !caps.nullableVector && !missingAsEmpty) reportMissing(v, label, missingPolicy, report);
  const { index, note: indexNote } = planIndex(v, type, caps, label, ov?.index, report);
  const plan: VectorFieldPlan = { source: v.name, field, type, metric, index, nullable };
  if (v.kind !== 'sparse') plan.dim = v.dim;
  if (missingAsEmpty) plan.missingAsEmpty = true;
  const emptyNote = missingAsEmpty ? `${v.missingCount} point(s) lack it: written as empty sparse vectors, which score like absent ones.` : '';
  const notes = [note, indexNote, emptyNote].filter(Boolean).join(' ');
  if (notes) plan.note = notes;
  return plan;
}

function vectorType(v: SourceVector, caps: TargetCapabilities, report: Report): { type: MilvusVectorType; note?: string } {
  const label = vectorLabel(v.name);
  if (v.kind === 'sparse') {
    if (!caps.sparseVector) report('error', 'SPARSE_UNSUPPORTED', `${capitalise(label)} is sparse, and the target (${targetName(caps)}) has no sparse vectors${caps.source === 'probed' ? ' (probed: it refused to index or write one)' : ''}.`,
      'Leave this collection out, or migrate to Milvus ≥ 2.4 or Zilliz Cloud.');
    if (v.sparseModifier === 'idf') report('warning', 'SPARSE_IDF',
      `${capitalise(label)} uses Qdrant's IDF modifier; Milvus has no IDF modifier at query time, so scores will differ from Qdrant's.`,
      'Use a Milvus BM25 function on the source text, or recompute the sparse vectors with IDF weights before migrating.');
    return { type: 'SparseFloatVector' };
  }
  if (v.kind === 'multi') {
    if (!caps.arrayOfStruct) report('error', 'MULTIVECTOR_UNSUPPORTED',
      `${capitalise(label)} is a multivector; it needs an Array of Struct field with MAX_SIM, which the target (${targetName(caps)}) cannot take from qdrant2milvus (Milvus ≥ 2.6.4 has the type; this version of qdrant2milvus does not write it yet).`,
      'Leave this collection out, or migrate it with a script that writes Array of Struct rows into Milvus ≥ 2.6.4.');
    return { type: 'ArrayOfStructFloatVector' };
  }
  if (v.datatype === 'float16') {
    return caps.float16Vector
      ? { type: 'Float16Vector' }
      : { type: 'FloatVector', note: 'float16 stored as FloatVector (the target has no Float16Vector): lossless.' };
  }
  if (v.datatype === 'uint8') {
    return { type: 'FloatVector', note: 'uint8 stored as FloatVector: exact; INT8_VECTOR cannot hold 128–255.' };
  }
  if (v.datatype === 'turbo4') {
    // Qdrant keeps only a compressed form; the floats it returns are what there is to migrate.
    return { type: 'FloatVector', note: 'turbo4 is lossy inside Qdrant: the floats Qdrant returns are stored exactly as FloatVector.' };
  }
  return { type: 'FloatVector' };
}

function checkDim(v: SourceVector, label: string, ov: VectorOverride | undefined, report: Report): void {
  const dim = v.dim ?? 0;
  if (dim > MAX_DIM) report('error', 'DIM_TOO_LARGE', `${capitalise(label)} has ${dim} dimensions; Milvus allows at most ${MAX_DIM}.`,
    'Reduce the dimension before migrating (Milvus cannot hold this vector), or leave this collection out.');
  else if (dim < MIN_DIM) report('error', 'DIM_TOO_SMALL', `${capitalise(label)} has ${dim} dimension(s); Milvus needs at least ${MIN_DIM}.`,
    'Leave this collection out (Milvus cannot hold this vector).');
  if (ov?.dim !== undefined && ov.dim !== dim) report('error', 'TYPE_FIXED',
    `${capitalise(label)} has ${dim} dimensions (fixed by the source), not ${ov.dim}.`, `Remove "dim" or set it back to ${dim}.`);
}

function planMetric(v: SourceVector, label: string, chosen: MilvusMetric | null, report: Report): MilvusMetric | null {
  const allowed: MilvusMetric[] = v.kind === 'sparse' ? ['IP'] : v.kind === 'multi' ? Object.values(MULTI_METRIC) : Object.values(DENSE_METRIC);
  if (chosen !== null && !allowed.includes(chosen)) {
    report('error', 'METRIC_UNSUPPORTED', `Metric ${chosen} cannot be used for ${label} (${v.kind}).`, `Use one of ${allowed.join(', ')}.`);
    return chosen;
  }
  if (v.kind === 'sparse') return 'IP';
  const table = v.kind === 'multi' ? MULTI_METRIC : DENSE_METRIC;
  if (v.distance === 'Manhattan' || v.distance === undefined) {
    if (chosen === null) report('error', 'MANHATTAN_METRIC',
      `${capitalise(label)} uses ${v.distance ?? 'no'} distance, which Milvus has no metric for.`,
      `Set "metric" of this vector in the plan file to one of ${allowed.join(', ')} (scores will differ from Qdrant's).`);
    return chosen;
  }
  const natural = table[v.distance];
  if (chosen !== null && chosen !== natural) report('warning', 'METRIC_CHANGED',
    `${capitalise(label)} uses ${v.distance} in Qdrant but ${chosen} in the plan: search scores and order will differ.`,
    `Set "metric" back to ${natural} to keep Qdrant's behaviour.`);
  return chosen ?? natural;
}

function reportMissing(v: SourceVector, label: string, policy: 'fail' | 'skip', report: Report): void {
  const n = v.missingCount;
  if (policy === 'skip') {
    report('warning', 'MISSING_VECTOR', `${n} point(s) lack ${label}; the target cannot hold null vectors, so they will be skipped.`,
      'Migrate to Milvus ≥ 2.6 (nullable vectors) to keep them.');
  } else {
    report('error', 'MISSING_VECTOR', `${n} point(s) lack ${label}, and the target cannot hold null vectors.`,
      'Skip those points with --missing-vector skip (plan file: "policies": {"missingVector": "skip"}), or migrate to Milvus ≥ 2.6, which holds null vectors.');
  }
}

/**
 * Index types plan() picks by default, per vector kind, best first. The probes (src/milvus/probe.ts,
 * PROBED_INDEX_TYPES) try exactly these, so a probed target's `indexTypes` says yes or no to each.
 */
export const INDEX_PREFERENCE = {
  dense: ['AUTOINDEX', 'HNSW', 'FLAT'],
  sparse: ['SPARSE_INVERTED_INDEX', 'AUTOINDEX'],
  multi: ['AUTOINDEX', 'HNSW'],
} as const satisfies Record<SourceVector['kind'], readonly string[]>;

function planIndex(
  v: SourceVector,
  type: MilvusVectorType,
  caps: TargetCapabilities,
  label: string,
  ov: VectorOverride['index'],
  report: Report,
): { index: IndexPlan; note?: string } {
  const preference: readonly string[] = INDEX_PREFERENCE[v.kind];
  const accepted = caps.indexTypes?.[type];
  let chosen: string;
  let note: string | undefined;
  if (ov?.type) chosen = ov.type;
  else if (accepted) {
    chosen = preference.find((t) => accepted.includes(t)) ?? preference[0]!;
    if (chosen !== preference[0]) note = `${preference[0]} is refused by the target on ${type} fields (probed): ${chosen} instead.`;
  } else chosen = v.kind === 'sparse' ? EXPLICIT_INDEX.sparse : caps.autoIndex ? 'AUTOINDEX' : EXPLICIT_INDEX[v.kind];

  if (!INDEX_TYPES[v.kind].has(chosen)) {
    report('error', 'INVALID_INDEX', `Index type ${chosen} cannot index ${label} (${v.kind}).`,
      `Use one of ${[...INDEX_TYPES[v.kind]].join(', ')}.`);
  } else if (accepted && preference.includes(chosen) && !accepted.includes(chosen)) {
    report('error', 'INDEX_UNSUPPORTED',
      `The target (${targetName(caps)}) refuses index type ${chosen} on ${type} fields (probed), so ${label} cannot be indexed with it.`,
      accepted.length > 0 ? `Set "index": {"type": "${accepted[0]}"} for this vector in the plan file (the target accepts ${accepted.join(', ')}).`
        : 'Leave this collection out: the target accepted none of the index types tried on this vector type.');
  } else if (!accepted && chosen === 'AUTOINDEX' && !caps.autoIndex) {
    report('error', 'INVALID_INDEX', `The target (${targetName(caps)}) cannot build AUTOINDEX for ${label}.`,
      `Use an explicit index type such as ${EXPLICIT_INDEX[v.kind]}.`);
  }
  const params = ov?.params ? { ...ov.params } : chosen === 'HNSW' ? qdrantHnsw(v) : {};
  for (const p of indexParamProblems(chosen, params, v.dim)) report('error', 'INDEX_PARAMS', `${capitalise(label)}: ${p.message}`, p.fix);
  return { index: { type: chosen, params }, ...(note && { note }) };
}

/** Carry Qdrant's graph settings over: the same build-time trade-off the user chose in Qdrant. */
function qdrantHnsw(v: SourceVector): Record<string, number> {
  const m = v.hnsw?.m || QDRANT_HNSW_DEFAULTS.m; // m = 0 disables Qdrant's graph; Milvus needs M ≥ 2
  const ef = v.hnsw?.efConstruct || QDRANT_HNSW_DEFAULTS.efConstruct;
  return { M: m, efConstruction: ef };
}

/** How messages name the target: its version, or that it reports none. */
export function targetName(caps: Pick<TargetCapabilities, 'version'>): string {
  return caps.version === UNKNOWN_VERSION ? 'a Milvus that reports no version' : caps.version;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
