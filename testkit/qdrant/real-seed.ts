/**
 * Loads a testkit dataset into a real Qdrant over its REST API: create the collection, its payload
 * indexes, then the points in batches (`wait=true`), and wait until Qdrant counts them all.
 * Bodies are written with lossless JSON, so ids above 2^53 stay exact.
 */
import { parse, stringify } from 'lossless-json';
import type { Dataset } from '../datasets/types.ts';

const BATCH = 256;

export interface SeedOptions {
  /** How long to wait for the collection to turn green after the points are counted. Default 30 s. */
  greenTimeoutMs?: number;
}

/** One REST call; throws naming the call, the status and Qdrant's answer. */
export async function realQdrantRequest(
  url: string, apiKey: string | undefined, method: string, path: string, body?: unknown,
): Promise<unknown> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
    body: body === undefined ? undefined : stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Qdrant ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return parse(text);
}

/**
 * Creates `ds.collection` (it must not exist) and loads every point. Resolves once an exact count
 * equals `ds.count` and the collection is green (or, after greenTimeoutMs, still optimizing but
 * with every point counted: reads already see them all).
 */
export async function seedRealQdrant(restUrl: string, apiKey: string | undefined, ds: Dataset, options: SeedOptions = {}): Promise<void> {
  const path = `/collections/${encodeURIComponent(ds.collection)}`;
  await realQdrantRequest(restUrl, apiKey, 'PUT', path, ds.config);
  for (const idx of ds.payloadIndexes ?? []) await realQdrantRequest(restUrl, apiKey, 'PUT', `${path}/index?wait=true`, idx);
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length > 0) await realQdrantRequest(restUrl, apiKey, 'PUT', `${path}/points?wait=true`, { points: batch });
    batch = [];
  };
  for (const p of ds.points()) {
    batch.push(p);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  const counted = (await realQdrantRequest(restUrl, apiKey, 'POST', `${path}/points/count`, { exact: true })) as { result: { count: unknown } };
  if (Number(counted.result.count) !== ds.count) {
    throw new Error(`seeding ${ds.collection}: Qdrant counts ${String(counted.result.count)} points, the dataset has ${ds.count}`);
  }
  const deadline = Date.now() + (options.greenTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const info = (await realQdrantRequest(restUrl, apiKey, 'GET', path)) as { result: { status: string } };
    if (info.result.status === 'green') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
