/**
 * What the sync bench (verify.ts --checks sync) does to the source after the migration, through
 * Qdrant's REST API (the test server and real Qdrant alike): `percent` % of the points of each
 * kind, on disjoint points spread over the whole scroll order (integer ids, then UUIDs), so every
 * part of the walk has work: new points, deleted points, changed vectors, and a changed (half) or
 * removed (half) payload key. Any workload: unnamed or named vectors, dense, sparse or multi,
 * integer or UUID ids (basic, ref768, rich).
 *
 * Points are read and written back as Qdrant's REST JSON through lossless-json, so what is not
 * meant to change keeps its exact text: float16/uint8 vectors, sparse indices, ids and payload
 * integers above 2^53. Only points the migrate wrote are picked (those holding every vector the
 * plan neither makes nullable nor fills as empty: the bench plan skips the others), so each change
 * is one the target sees; sync pass 1 should then report missing = added, different = vectors +
 * payloads, upserted = their sum, deleted = deleted.
 */
import { randomUUID } from 'node:crypto';
import { LosslessNumber } from 'lossless-json';
import { UNNAMED_VECTOR, type CollectionPlan } from '../src/core/types.ts';
import { realQdrantRequest } from '../testkit/qdrant/real-seed.ts';

/** A point id as lossless-json parses it: a LosslessNumber (integer) or a UUID string. */
type Id = LosslessNumber | number | string;
type Payload = Record<string, unknown>;

interface RestPoint {
  id: Id;
  /** An array (unnamed-only collections) or { name: dense | multi | { indices, values } }. */
  vector: unknown;
  payload: Payload;
}

/** What changed, per kind (what sync pass 1 should report: upserted = added + vectors + payloads). */
export interface SourceChanges {
  added: number;
  deleted: number;
  vectors: number;
  payloads: number;
}

const CHUNK = 500;
const SCROLL = 10_000;
const DENSE = new Set(['FloatVector', 'Float16Vector']);

export async function changeSource(restUrl: string, plan: CollectionPlan, count: number, percent: number): Promise<SourceChanges> {
  const call = (method: string, path: string, body: unknown) => realQdrantRequest(restUrl, undefined, method, `/collections/${encodeURIComponent(plan.source)}${path}`, body);
  const upsert = async (points: RestPoint[]) => {
    for (let i = 0; i < points.length; i += CHUNK) await call('PUT', '/points?wait=true', { points: points.slice(i, i + CHUNK) });
  };
  const get = async (wanted: Id[]): Promise<RestPoint[]> => {
    const out: RestPoint[] = [];
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const answer = (await call('POST', '/points', { ids: wanted.slice(i, i + CHUNK), with_payload: true, with_vector: true })) as { result: Array<{ id: Id; vector: unknown; payload?: Payload | null }> };
      out.push(...answer.result.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload ?? {} })));
    }
    return out;
  };
  const scroll = async (filter?: unknown): Promise<Id[]> => {
    const ids: Id[] = [];
    for (let offset: unknown = null; ; ) {
      const body = { limit: SCROLL, with_payload: false, with_vector: false, ...(offset !== null && { offset }), ...(filter !== undefined && { filter }) };
      const { result } = (await call('POST', '/points/scroll', body)) as { result: { points: Array<{ id: Id }>; next_page_offset?: unknown } };
      ids.push(...result.points.map((p) => p.id));
      offset = result.next_page_offset ?? null;
      if (offset === null) return ids;
    }
  };

  // Points the migrate wrote: every required named vector present (an unnamed one always is).
  const required = plan.vectors.filter((v) => !v.nullable && !v.missingAsEmpty && v.source !== UNNAMED_VECTOR);
  const all = await scroll();
  const candidates = required.length === 0 ? all : await scroll({ must: required.map((v) => ({ has_vector: v.source })) });
  const per = Math.max(1, Math.floor((count * percent) / 100));
  const step = Math.floor(candidates.length / per);
  if (step < 3) throw new Error(`--change ${percent} leaves no room for three disjoint kinds of change in ${candidates.length} migrated points`);
  // Kind k changes the candidates k, k + step, k + 2·step...
  const pick = (k: number) => Array.from({ length: per }, (_, i) => candidates[k + i * step]!);
  const newId = newIds(all);

  const changing = await get(pick(1));
  // New points: copies of the points whose vectors change (read before the change), new ids of the same kind.
  await upsert(changing.map((p) => ({ ...p, id: newId(p.id) })));
  for (let i = 0; i < per; i += CHUNK) await call('POST', '/points/delete?wait=true', { points: pick(0).slice(i, i + CHUNK) });
  await upsert(changing.map((p, i) => ({ ...p, vector: changeOneVector(plan, p.vector, i) })));
  await upsert((await get(pick(2))).map((p, i) => ({ ...p, payload: changePayload(plan, p.payload, i) })));
  return { added: per, deleted: per, vectors: per, payloads: per };
}

/** New ids of the same kind as a given one: integers above the highest in the source, fresh UUIDs. */
function newIds(all: Id[]): (like: Id) => Id {
  let next = all.reduce<bigint>((max, id) => (typeof id === 'string' ? max : bigMax(max, BigInt(id.toString()))), 0n) + 1n;
  return (like) => (typeof like === 'string' ? randomUUID() : new LosslessNumber(String(next++)));
}

const bigMax = (a: bigint, b: bigint) => (a > b ? a : b);

/** A number moved by 1 toward the middle of 0..255: a change whatever the datatype (uint8 stays in range, float16 sees it). */
const nudge = (x: unknown) => {
  const n = Number(x);
  return n < 128 ? n + 1 : n - 1;
};

/**
 * Changes one vector of a point: a dense one present on it, the plan's dense vectors taken in turn
 * over the points (so each datatype gets changes), its first component nudged. Sparse and multi
 * vectors stay as they are, unless the point holds no dense vector (then the first present is nudged).
 */
function changeOneVector(plan: CollectionPlan, vector: unknown, i: number): unknown {
  if (Array.isArray(vector)) return [nudge(vector[0]), ...(vector.slice(1) as unknown[])];
  const named = vector as Record<string, unknown>;
  const present = plan.vectors.filter((v) => named[v.source] !== undefined && named[v.source] !== null);
  const dense = present.filter((v) => DENSE.has(v.type));
  const chosen = dense.length > 0 ? dense[i % dense.length] : present[0];
  if (!chosen) throw new Error(`the sync bench found a point of ${plan.source} without any vector to change`);
  const value = named[chosen.source];
  let changed: unknown;
  if (Array.isArray(value) && Array.isArray(value[0])) changed = [[nudge(value[0][0]), ...(value[0].slice(1) as unknown[])], ...(value.slice(1) as unknown[])];
  else if (Array.isArray(value)) changed = [nudge(value[0]), ...(value.slice(1) as unknown[])];
  else {
    const sparse = value as { indices: unknown[]; values: unknown[] };
    changed = { indices: sparse.indices, values: [nudge(sparse.values[0]), ...sparse.values.slice(1)] };
  }
  return { ...named, [chosen.source]: changed };
}

/**
 * Half the points get a key's value changed (same JSON type, so a promoted field or a JSON index
 * with a cast still takes it), half lose a key (sync must remove it from the target's $meta). Keys
 * the target holds only: not null (the plan drops nulls), not an empty array or object, not a
 * promoted field (removing one may leave a required field empty). No such key: one is added.
 */
function changePayload(plan: CollectionPlan, payload: Payload, i: number): Payload {
  const promoted = new Set((plan.payload ?? []).filter((k) => k.mode === 'field').map((k) => k.key));
  const keys = Object.keys(payload).filter((k) => !promoted.has(k) && !isEmpty(payload[k]));
  const key = keys[i % Math.max(1, keys.length)];
  if (key === undefined) return { ...payload, changed_by_bench: i };
  if (i % 2 === 1) return Object.fromEntries(Object.entries(payload).filter(([k]) => k !== key));
  return { ...payload, [key]: changedValue(payload[key], i) };
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && !(v instanceof LosslessNumber) && Object.keys(v).length === 0;
}

function changedValue(v: unknown, i: number): unknown {
  if (v instanceof LosslessNumber) {
    const text = v.toString();
    return /^-?\d+$/.test(text) ? new LosslessNumber(String(BigInt(text) + 1n)) : Number(text) + 1;
  }
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'string') return `${v}-changed-by-bench-${i}`;
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return [...(v as unknown[]), `changed-by-bench-${i}`];
  return { ...(v as Payload), changed_by_bench: i };
}
