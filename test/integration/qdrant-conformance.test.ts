/**
 * Conformance: the Qdrant test server (testkit/qdrant) against real Qdrant 1.19. One corpus of
 * requests (qdrant-conformance-corpus.ts) goes to both servers, seeded with the same datasets over
 * the same REST calls; any difference in status, content type, body, gRPC code, details or message
 * fails the test. Skips, saying why, where the real binary is absent (testkit/qdrant/real.ts).
 *
 * Normalisations (only what legitimately varies between two runs of the same server):
 *   N1 `time` (REST envelope, gRPC responses): wall-clock duration of the call.
 *   N2 `sample: random` answers: which points come back is random, so only the shape is compared
 *      (number of points, each point's keys, every id one of the collection's).
 *   N3 collection info `status`, `optimizer_status`, `indexed_vectors_count`, `segments_count`:
 *      they report the optimizer's progress and the machine's CPU count (segments),
 *      which change from second to second on the real server.
 *   N4 vector numbers are compared as float32 within 4 ulps: Qdrant prints the shortest form of each
 *      float32 ("0.1"), the test server the double of that same float32 ("0.10000000149011612");
 *      and Qdrant's Cosine normalisation sums squares in SIMD lanes whose width depends on the CPU
 *      (SSE / AVX / AVX-512), so its last bit varies from machine to machine.
 *   N5 the order of `GET /collections` and `GET /aliases` (and gRPC List / ListAliases): Qdrant
 *      keeps both in Rust HashMaps with per-process random seeds, so the order is unspecified.
 *   N6 `commit` (REST `GET /`, gRPC HealthCheck): the build's git commit; the test server names
 *      itself there. Its presence is compared, not its value.
 *
 * What real Qdrant 1.19 does that the test server still does not (cases marked `gap` run as TODO):
 *   G1 (fixed) serde_json's wording and position of errors: syntax errors (serde-json.ts), type
 *      errors at the end of buffered bodies (scroll, count, ...), after the failing list element
 *      of unbuffered ones (aliases), none for upserts. Other unbuffered bodies' nested errors
 *      are placed at the body's end, which the corpus has not shown to differ.
 *   G2 (fixed) A read-only key's write is checked first like any other (body format, collection,
 *      vector dimensions: 400 / 404); only then 403. Remaining: the test server rejects an unknown
 *      vector name on upsert, where Qdrant acknowledges a `wait=false` upsert and fails it later.
 *   G3 (fixed) `operation_id`: creating a collection takes 0, an upsert one number, a payload index
 *      two; the test server counts the same way. Failed writes consume none on either (as probed).
 *   G4 `count` with `exact: false` is always exact here; Qdrant estimates from segment statistics
 *      (the same on collections this small, which is why the corpus can ask for it).
 *   G5 The optimizer: Qdrant's collection is grey/yellow while it builds HNSW indexes, then counts
 *      indexed vectors; its segment count follows the CPU count. The test server is always green
 *      with a fixed segment count and a threshold-based indexed_vectors_count (normalised: N3).
 *   G6 `query` answers `sample: random` only (no nearest, recommend, discover, fusion, formula,
 *      order_by, prefetch, groups); scroll `order_by`, geo and full-text filters, point and payload
 *      deletion, payload updates, snapshots, sharding and cluster APIs are not implemented.
 *   G7 gRPC Scroll answers are encoded by hand (grpc-fast.ts); every other response drops proto3
 *      defaults as prost does (grpc-presence.ts). A hand-encoded field added later could differ.
 *   G8 Payload keys that look like integers come back in JS object order (integers first).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { dataset } from '../../testkit/datasets/index.ts';
import { parseJson, stringifyJson } from '../../testkit/qdrant/json.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';
import { REAL_QDRANT_ABSENT, realQdrantBinary, seedRealQdrant, startRealQdrant, type RealQdrant } from '../../testkit/qdrant/real.ts';
import { realQdrantRequest } from '../../testkit/qdrant/real-seed.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { COUNTS, CUSTOM_POINTS, EXTRA_COLLECTIONS, KEY, READ_KEY, REST_CASES, type KeyUse, type RestCase } from './qdrant-conformance-corpus.ts';
import { GRPC_CASES, grpcCall, grpcClients, type GrpcAnswer } from './qdrant-conformance-grpc.ts';

const binary = await realQdrantBinary();
if (!binary) console.warn(`[qdrant-conformance] skipped: ${REAL_QDRANT_ABSENT}`);

interface Servers { real: RealQdrant; testkit: QdrantTestServer }

function keyHeader(key: KeyUse = 'full'): Record<string, string> {
  if (key === 'none') return {};
  if (key === 'bearer') return { authorization: `Bearer ${KEY}` };
  return { 'api-key': key === 'full' ? KEY : key === 'read' ? READ_KEY : 'wrong-key' };
}

async function seedBoth(s: Servers): Promise<void> {
  for (const [name, count] of Object.entries(COUNTS)) {
    const ds = dataset(name, count);
    await Promise.all([seedRealQdrant(s.real.restUrl, KEY, ds), seedRealQdrant(s.testkit.restUrl, KEY, ds)]);
  }
  for (const [name, body] of Object.entries(EXTRA_COLLECTIONS)) {
    for (const url of [s.real.restUrl, s.testkit.restUrl]) await realQdrantRequest(url, KEY, 'PUT', `/collections/${name}`, body);
  }
  // Sent as raw text: a JS object would already have moved integer-like keys first.
  for (const url of [s.real.restUrl, s.testkit.restUrl]) {
    const res = await fetch(`${url}/collections/custom/points?wait=true`, {
      method: 'PUT', headers: { 'content-type': 'application/json', 'api-key': KEY }, body: CUSTOM_POINTS,
    });
    assert.equal(res.status, 200, await res.text());
  }
  const aliases = { actions: ['basic-alias', 'second'].map((a) => ({ create_alias: { alias_name: a, collection_name: 'basic' } })) };
  for (const url of [s.real.restUrl, s.testkit.restUrl]) await realQdrantRequest(url, KEY, 'POST', '/collections/aliases', aliases);
}

interface RestAnswer { status: number; type: string; body: unknown }

async function restCall(baseUrl: string, c: RestCase): Promise<RestAnswer> {
  const res = await fetch(baseUrl + c.path, {
    method: c.method,
    headers: { 'content-type': 'application/json', ...keyHeader(c.key) },
    body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : stringifyJson(c.body),
  });
  const text = await res.text();
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
  let body: unknown = text;
  // `raw` cases compare the text itself (N1 aside): parsing into JS objects moves integer-like keys.
  if (c.raw) body = text.replace(/"time":[-+.\deE]+/, '"time":0');
  else if (type === 'application/json') body = parseJson(text);
  return { status: res.status, type, body };
}

const VOLATILE_INFO = ['status', 'optimizer_status', 'indexed_vectors_count', 'segments_count'];

/** N1, N3, N5 (see the header; N4 is in differences()). */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'time') continue;
    if (k === 'commit' && typeof v === 'string') {
      out[k] = '<commit>';
      continue;
    }
    out[k] = normalise(v);
  }
  if ('config' in out && 'payload_schema' in out) for (const k of VOLATILE_INFO) delete out[k];
  for (const k of ['collections', 'aliases']) {
    if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).slice().sort((a, b) => (stringifyJson(a) < stringifyJson(b) ? -1 : 1));
  }
  return out;
}

/** N2: the shape of a random sample. */
function shape(answer: RestAnswer | GrpcAnswer, ids: Set<string>): unknown {
  const points = 'body' in answer
    ? (answer.body as { result?: { points?: Array<Record<string, unknown>> } }).result?.points
    : (answer.response as { result?: Array<Record<string, unknown>> } | undefined)?.result;
  if (!points) return normalise(answer);
  const idOf = (id: unknown) => (typeof id === 'object' && id !== null ? String(Object.values(id)[0]) : String(id));
  const status = 'status' in answer ? answer.status : answer.code;
  return {
    status,
    count: points.length,
    keys: [...new Set(points.map((p) => Object.keys(p).sort().join(',')))],
    allKnown: points.every((p) => ids.has(idOf(p.id))),
    distinct: new Set(points.map((p) => idOf(p.id))).size,
  };
}

/** N4: equal as float32 within 4 units in the last place. */
function closeFloat32(a: number, b: number): boolean {
  const [x, y] = [Math.fround(a), Math.fround(b)];
  if (x === y) return true;
  const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), Math.abs(y)))) - 23);
  return Math.abs(x - y) <= 4 * ulp;
}

/** Path-by-path differences (first 12), so a failure names what differs rather than dumping both. */
function differences(test: unknown, real: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= 12) return out;
  const show = (v: unknown) => (v === undefined ? '<absent>' : stringifyJson(v).slice(0, 160));
  if (typeof test === 'number' && typeof real === 'number' && path.includes('.vector')) {
    if (!closeFloat32(test, real)) out.push(`${path}: test server ${test}, real ${real}`);
    return out;
  }
  if (typeof test !== typeof real || Array.isArray(test) !== Array.isArray(real) || test === null || real === null || typeof test !== 'object') {
    if (!isDeepStrictEqual(test, real)) out.push(`${path || '.'}: test server ${show(test)}, real ${show(real)}`);
    return out;
  }
  const t = test as Record<string, unknown>;
  const r = real as Record<string, unknown>;
  // REST payload key order is the user's data (Qdrant keeps insertion order); gRPC payloads are
  // protobuf maps (no order), and other objects' key order is not part of the API.
  if (path.startsWith('.body') && /\.payload(\.|$)/.test(path) && !Array.isArray(t) && Object.keys(t).join() !== Object.keys(r).join()) {
    out.push(`${path}: key order: test server ${Object.keys(t).join(',')}, real ${Object.keys(r).join(',')}`);
  }
  for (const k of new Set([...Object.keys(t), ...Object.keys(r)])) differences(t[k], r[k], `${path}.${k}`, out);
  return out;
}

async function allIds(url: string, collection: string): Promise<Set<string>> {
  const res = (await realQdrantRequest(url, KEY, 'POST', `/collections/${collection}/points/scroll`, { limit: 1000, with_payload: false })) as {
    result: { points: Array<{ id: unknown }> };
  };
  return new Set(res.result.points.map((p) => String(p.id)));
}

describe('Qdrant test server conforms to real Qdrant 1.19', { skip: binary ? false : REAL_QDRANT_ABSENT }, () => {
  const auditor = createResponseAuditor();
  let s: Servers;
  const ids = new Map<string, Set<string>>();
  before(async () => {
    const [real, testkit] = await Promise.all([
      startRealQdrant({ apiKey: KEY, readOnlyApiKey: READ_KEY }),
      startQdrantTestServer({ apiKey: KEY, readOnlyApiKey: READ_KEY, onResponse: auditor.onResponse }),
    ]);
    s = { real, testkit };
    await seedBoth(s);
    for (const c of ['basic', 'rich']) ids.set(c, await allIds(real.restUrl, c));
  });
  let clients: { real: ReturnType<typeof grpcClients>; testkit: ReturnType<typeof grpcClients> } | undefined;
  after(async () => {
    for (const set of Object.values(clients ?? {})) for (const c of Object.values(set)) c.close();
    await Promise.allSettled([s?.real.stop(), s?.testkit.stop()]);
    // Answering like real Qdrant must not take the test server outside Qdrant's OpenAPI spec.
    auditor.assertClean();
  });

  describe('REST', () => {
    for (const c of REST_CASES) {
      it(c.name, { todo: c.gap ? `known gap ${c.gap}` : undefined }, async () => {
        const [real, testkit] = await Promise.all([restCall(s.real.restUrl, c), restCall(s.testkit.restUrl, c)]);
        if (c.shapeOnly) {
          const known = ids.get(c.path.split('/')[2]!) ?? new Set();
          assert.deepEqual(shape(testkit, known), shape(real, known));
        } else {
          const [t, r] = [normalise(testkit), normalise(real)];
          const diff = differences(t, r);
          assert.ok(diff.length === 0, `${c.method} ${c.path} ${typeof c.body === 'object' ? stringifyJson(c.body) : c.body ?? ''}\n${diff.join('\n')}`);
        }
      });
    }
  });

  describe('gRPC', () => {
    before(() => {
      clients = { real: grpcClients(s.real.grpcPort), testkit: grpcClients(s.testkit.grpcPort!) };
    });
    for (const c of GRPC_CASES) {
      it(c.name, async () => {
        const [real, testkit] = await Promise.all([grpcCall(clients!.real, c), grpcCall(clients!.testkit, c)]);
        if (c.shapeOnly) {
          const known = ids.get(String(c.request.collection_name)) ?? new Set();
          assert.deepEqual(shape(testkit, known), shape(real, known));
          return;
        }
        const diff = differences(normalise(testkit), normalise(real));
        assert.ok(diff.length === 0, `${c.service}/${c.rpc} ${stringifyJson(c.request)}\n${diff.join('\n')}`);
      });
    }
  });
});
