/**
 * Build parameters of the index types a plan may name, checked against Milvus's documented ranges
 * before any data moves. Without this, HNSW `M: -5` passed on Milvus Lite 3 (which stores index
 * params as metadata only) and on real Milvus failed at CreateIndex — after the copy when the index
 * is built at the end, or after other collections of the job had moved.
 *
 * Ranges: Milvus docs (HNSW: M [2, 2048], efConstruction [1, int32 max]; IVF_*: nlist [1, 65536];
 * IVF_PQ: m divides dim, nbits [1, 64]). Milvus 2.3.5 answers `M out of range: [1, 2048]`,
 * `efConstruction out of range: [1, 2147483647]`, `nlist out of range: [1, 65536]` (probed); we keep
 * the docs' M ≥ 2, which every version accepts. Parameters not listed here are passed through for
 * the target to judge.
 */

const INT32_MAX = 2_147_483_647;

interface IntRule {
  min: number;
  max: number;
  /** Say what the parameter does, for the message. */
  about: string;
}

const HNSW: Record<string, IntRule> = {
  M: { min: 2, max: 2048, about: 'edges per node of the HNSW graph' },
  efConstruction: { min: 1, max: INT32_MAX, about: 'candidates considered while building the HNSW graph' },
};
const IVF: Record<string, IntRule> = {
  nlist: { min: 1, max: 65536, about: 'number of IVF clusters' },
};

const RULES: Record<string, Record<string, IntRule>> = {
  HNSW,
  HNSW_SQ: HNSW,
  HNSW_PQ: HNSW,
  HNSW_PRQ: HNSW,
  IVF_FLAT: IVF,
  IVF_SQ8: IVF,
  IVF_RABITQ: IVF,
  IVF_PQ: { ...IVF, nbits: { min: 1, max: 64, about: 'bits per PQ code' } },
  GPU_IVF_FLAT: IVF,
  GPU_IVF_PQ: IVF,
};

/** One problem per bad parameter, as "what is wrong" + "the fix"; empty when the params are valid. */
export function indexParamProblems(
  type: string,
  params: Record<string, number | string>,
  dim: number | undefined,
): Array<{ message: string; fix: string }> {
  const out: Array<{ message: string; fix: string }> = [];
  for (const [name, rule] of Object.entries(RULES[type] ?? {})) {
    if (!Object.hasOwn(params, name)) continue;
    const raw = params[name];
    const value = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
      out.push({
        message: `${type} parameter ${name} = ${JSON.stringify(raw)} is out of range: Milvus takes a whole number from ${rule.min} to ${rule.max} (${rule.about}).`,
        fix: `Set index.params.${name} to a whole number between ${rule.min} and ${rule.max}, or remove it.`,
      });
    }
  }
  if (type === 'IVF_PQ' && Object.hasOwn(params, 'm') && dim !== undefined) {
    const m = Number(params.m);
    if (!Number.isInteger(m) || m < 1 || dim % m !== 0) {
      out.push({
        message: `IVF_PQ parameter m = ${JSON.stringify(params.m)} must be a whole number that divides the dimension ${dim}.`,
        fix: `Set index.params.m to a divisor of ${dim}.`,
      });
    }
  }
  return out;
}
