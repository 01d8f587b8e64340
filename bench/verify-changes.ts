/**
 * What the sync bench (verify.ts --checks sync) does to the source after the migration, through
 * Qdrant's REST API (the test server and real Qdrant alike): `percent` % of the points of each
 * kind, on disjoint ids spread over the whole id range so every part of the walk has work:
 * new points (ids above the last), deleted points, changed vectors, and a changed (half) or
 * removed (half) payload key. Workloads with one unnamed dense vector and ids 1..count (basic,
 * ref768).
 */
import { UNNAMED_VECTOR, type CollectionPlan } from '../src/core/types.ts';
import { realQdrantRequest } from '../testkit/qdrant/real-seed.ts';

interface RestPoint {
  id: number;
  vector: number[];
  payload: Record<string, unknown>;
}

/** What changed, per kind (what sync pass 1 should report: upserted = added + vectors + payloads). */
export interface SourceChanges {
  added: number;
  deleted: number;
  vectors: number;
  payloads: number;
}

const CHUNK = 500;

export async function changeSource(restUrl: string, plan: CollectionPlan, count: number, percent: number): Promise<SourceChanges> {
  const dim = plan.vectors[0]?.dim;
  if (plan.vectors.length !== 1 || plan.vectors[0]!.source !== UNNAMED_VECTOR || !dim) throw new Error(`the sync bench needs a workload with one unnamed dense vector (${plan.source} has ${plan.vectors.length})`);
  const per = Math.max(1, Math.floor((count * percent) / 100));
  const step = Math.floor(count / per);
  if (step < 4) throw new Error(`--change ${percent} leaves no room for four disjoint kinds of change in ${count} points`);
  // Ids 1..count: kind k changes ids k, k + step, k + 2·step...
  const ids = (k: number) => Array.from({ length: per }, (_, i) => 1 + k + i * step);
  const call = (method: string, path: string, body: unknown) => realQdrantRequest(restUrl, undefined, method, `/collections/${encodeURIComponent(plan.source)}${path}`, body);
  const upsert = async (points: RestPoint[]) => {
    for (let i = 0; i < points.length; i += CHUNK) await call('PUT', '/points?wait=true', { points: points.slice(i, i + CHUNK) });
  };
  const get = async (wanted: number[]): Promise<RestPoint[]> => {
    const out: RestPoint[] = [];
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const answer = (await call('POST', '/points', { ids: wanted.slice(i, i + CHUNK), with_payload: true, with_vector: true })) as { result: Array<{ id: unknown; vector: number[]; payload?: Record<string, unknown> }> };
      out.push(...answer.result.map((p) => ({ id: Number(p.id), vector: p.vector.map(Number), payload: p.payload ?? {} })));
    }
    return out;
  };
  const vectorOf = (seed: number) => Array.from({ length: dim }, (_, i) => Math.sin(seed * 31 + i) / Math.sqrt(dim));

  await upsert(Array.from({ length: per }, (_, i) => ({ id: count + 1 + i, vector: vectorOf(i), payload: { name: `new-${i}` } })));
  for (let i = 0; i < per; i += CHUNK) await call('POST', '/points/delete?wait=true', { points: ids(0).slice(i, i + CHUNK) });
  await upsert((await get(ids(1))).map((p) => ({ ...p, vector: vectorOf(p.id) })));
  const payloads = (await get(ids(2))).map((p, i) => {
    const keys = Object.keys(p.payload);
    const key = keys[i % Math.max(1, keys.length)];
    // Half get a key's value changed, half lose a key (sync must remove it from the target's $meta).
    if (key === undefined) return { ...p, payload: { changed_by_bench: i } };
    if (i % 2 === 0) return { ...p, payload: { ...p.payload, [key]: `changed-by-bench-${i}` } };
    return { ...p, payload: Object.fromEntries(Object.entries(p.payload).filter(([k]) => k !== key)) };
  });
  await upsert(payloads);
  return { added: per, deleted: per, vectors: per, payloads: per };
}
