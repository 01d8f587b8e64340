import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';
import { restCaller } from './testkit-qdrant-helpers.ts';

const MAX_U64 = 18446744073709551615n;
const auditor = createResponseAuditor();
let server: QdrantTestServer;
let call: ReturnType<typeof restCaller>;

before(async () => {
  server = await startQdrantTestServer({ grpcPort: null, onResponse: auditor.onResponse });
  call = restCaller(server.restUrl);
});
after(async () => {
  await server.stop();
  // Every response any test above received must match Qdrant's OpenAPI spec.
  auditor.assertClean();
  assert.ok(auditor.checked > 40, `only ${auditor.checked} responses were validated`);
});

describe('testkit Qdrant REST: service endpoints', () => {
  it('answers GET / with version info (no envelope) and plain-text health checks', async () => {
    const root = await call('GET', '/');
    assert.deepEqual(Object.keys(root.json), ['title', 'version', 'commit']);
    assert.equal(root.json.title, 'qdrant - vector search engine');
    assert.equal(root.json.version, '1.19.0');
    for (const path of ['/healthz', '/readyz']) {
      const r = await call('GET', path);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /^text\/plain/);
    }
  });
});

describe('testkit Qdrant REST: collections', () => {
  it('creates a collection and reports its config, counts and status', async () => {
    const body = {
      vectors: {
        dense: { size: 4, distance: 'Cosine', datatype: 'float16', on_disk: true, hnsw_config: { m: 32 } },
        colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' } },
      },
      sparse_vectors: { kw: { modifier: 'idf' } },
      hnsw_config: { ef_construct: 64 },
    };
    const created = await call('PUT', '/collections/cfg', body);
    assert.equal(created.json.result, true);
    assert.equal(created.json.status, 'ok');
    assert.equal(typeof created.json.time, 'number');
    const info = (await call('GET', '/collections/cfg')).json.result;
    assert.equal(info.status, 'green');
    assert.equal(info.optimizer_status, 'ok');
    assert.equal(info.points_count, 0);
    assert.equal(typeof info.segments_count, 'number');
    assert.deepEqual(info.config.params.vectors.dense, body.vectors.dense);
    assert.deepEqual(info.config.params.vectors.colbert.multivector_config, { comparator: 'max_sim' });
    assert.deepEqual(info.config.params.sparse_vectors, { kw: { modifier: 'idf' } });
    assert.equal(info.config.hnsw_config.ef_construct, 64);
    assert.equal(info.config.hnsw_config.m, 16, 'defaults fill what the body left out');
    const list = (await call('GET', '/collections')).json.result.collections;
    assert.ok(list.some((c: { name: string }) => c.name === 'cfg'));
  });

  it('answers Qdrant status codes and wording for missing, duplicate and malformed requests', async () => {
    const missing = await call('GET', '/collections/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.status.error, "Not found: Collection `nope` doesn't exist!");
    const dup = await call('PUT', '/collections/cfg', { vectors: { size: 2, distance: 'Dot' } });
    assert.equal(dup.status, 409);
    assert.match(dup.json.status.error, /already exists/);
    const malformed = await call('PUT', '/collections/bad', '{"vectors": ');
    assert.equal(malformed.status, 400);
    assert.match(malformed.json.status.error, /^Format error in JSON body/);
    const zeroSize = await call('PUT', '/collections/bad', { vectors: { size: 0, distance: 'Dot' } });
    // Qdrant 1.19 (probed by qdrant-conformance.test.ts): a size-0 vector fails VectorsConfig's serde parse.
    assert.equal(zeroSize.status, 400);
    assert.match(zeroSize.json.status.error, /untagged enum VectorsConfig at line 1 column \d+$/);
    assert.equal((await call('DELETE', '/collections/nope')).json.result, false);
    assert.deepEqual((await call('GET', '/collections/nope/exists')).json.result, { exists: false });
  });

  it('resolves aliases everywhere a collection name is accepted', async () => {
    await call('PUT', '/collections/aliased', { vectors: { size: 2, distance: 'Dot' } });
    const actions = { actions: [{ create_alias: { alias_name: 'al1', collection_name: 'aliased' } }] };
    assert.equal((await call('POST', '/collections/aliases', actions)).json.result, true);
    assert.deepEqual((await call('GET', '/collections/al1/exists')).json.result, { exists: true });
    assert.equal((await call('GET', '/collections/al1')).json.result.points_count, 0);
    await call('PUT', '/collections/al1/points?wait=true', { points: [{ id: 1, vector: [1, 2] }] });
    assert.equal((await call('POST', '/collections/aliased/points/count', {})).json.result.count, 1);
    await call('POST', '/collections/aliases', { actions: [{ rename_alias: { old_alias_name: 'al1', new_alias_name: 'al2' } }] });
    assert.deepEqual((await call('GET', '/collections/aliased/aliases')).json.result.aliases, [
      { alias_name: 'al2', collection_name: 'aliased' },
    ]);
    assert.ok((await call('GET', '/aliases')).json.result.aliases.some((a: { alias_name: string }) => a.alias_name === 'al2'));
    await call('POST', '/collections/aliases', { actions: [{ delete_alias: { alias_name: 'al2' } }] });
    assert.equal((await call('GET', '/collections/al2')).status, 404);
    assert.equal((await call('DELETE', '/collections/aliased')).json.result, true);
  });

  it('lists payload indexes in payload_schema with their point counts', async () => {
    await call('PUT', '/collections/idx', { vectors: { size: 2, distance: 'Dot' } });
    await call('PUT', '/collections/idx/points?wait=true', {
      points: [{ id: 1, vector: [1, 2], payload: { city: 'x' } }, { id: 2, vector: [1, 2], payload: {} }],
    });
    const created = await call('PUT', '/collections/idx/index?wait=true', { field_name: 'city', field_schema: 'keyword' });
    assert.equal(created.json.result.status, 'completed');
    const schema = (await call('GET', '/collections/idx')).json.result.payload_schema;
    assert.deepEqual(schema, { city: { data_type: 'keyword', points: 1 } });
  });
});

describe('testkit Qdrant REST: points', () => {
  const U1 = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
  const U2 = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';

  before(async () => {
    await call('PUT', '/collections/pts', { vectors: { size: 2, distance: 'Cosine' } });
    const upsert = await call('PUT', '/collections/pts/points?wait=true', {
      points: [
        { id: U2.toUpperCase(), vector: [1, 1], payload: { z: 1, a: 2, m: 3 } },
        { id: MAX_U64, vector: [3, 4], payload: { big: MAX_U64, neg: -9223372036854775808n } },
        { id: `{${U1}}`, vector: [0, 2], payload: null },
        { id: 7, vector: [5, 0], payload: { k: 'v' } },
        { id: 2n ** 63n + 1n, vector: [0, 1] },
      ],
    });
    assert.equal(upsert.json.result.status, 'completed');
  });

  it('scrolls integers (ascending) before UUIDs, with next_page_offset = the (limit+1)th id', async () => {
    const seen: unknown[] = [];
    let offset: unknown = null;
    const offsets: unknown[] = [];
    do {
      const page = (await call('POST', '/collections/pts/points/scroll', { limit: 2, offset })).json.result;
      seen.push(...page.points.map((p: { id: unknown }) => p.id));
      offset = page.next_page_offset;
      offsets.push(offset);
    } while (offset !== null);
    assert.deepEqual(seen, [7, 2n ** 63n + 1n, MAX_U64, U1, U2]);
    assert.deepEqual(offsets, [MAX_U64, U2, null]);
  });

  it('keeps ids and payload integers above 2^53 exact on the wire', async () => {
    const r = await call('POST', '/collections/pts/points', { ids: [MAX_U64], with_payload: true });
    assert.match(r.text, /"id":18446744073709551615/);
    assert.match(r.text, /"big":18446744073709551615,"neg":-9223372036854775808/);
    assert.equal(r.json.result[0].payload.big, MAX_U64);
  });

  it('returns UUIDs lowercase hyphenated, payload keys in stored order, Cosine vectors normalised', async () => {
    const r = await call('POST', '/collections/pts/points', { ids: [U2, `urn:uuid:${U1}`], with_payload: true, with_vector: true });
    assert.deepEqual(r.json.result.map((p: { id: string }) => p.id), [U2, U1]);
    assert.deepEqual(Object.keys(r.json.result[0].payload), ['z', 'a', 'm']);
    assert.deepEqual(r.json.result[1].payload, {}, 'a null payload reads back empty');
    const [x, y] = r.json.result[0].vector as number[];
    assert.ok(Math.abs(x! - Math.SQRT1_2) < 1e-6 && Math.abs(y! - Math.SQRT1_2) < 1e-6, 'unnamed vector is a bare, unit-length array');
  });

  it('applies with_payload / with_vector selectors and defaults', async () => {
    const scroll = (body: object) => call('POST', '/collections/pts/points/scroll', { limit: 1, offset: U2, ...body });
    const dflt = (await scroll({})).json.result.points[0];
    assert.deepEqual(dflt.payload, { z: 1, a: 2, m: 3 });
    assert.ok(!('vector' in dflt), 'no vector key unless asked for (as Qdrant 1.19)');
    assert.ok(!('payload' in (await scroll({ with_payload: false })).json.result.points[0]));
    assert.deepEqual((await scroll({ with_payload: { exclude: ['a'] } })).json.result.points[0].payload, { z: 1, m: 3 });
    assert.deepEqual((await scroll({ with_payload: ['m'] })).json.result.points[0].payload, { m: 3 });
    const unknown = await scroll({ with_vector: ['text'] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.status.error, 'Wrong input: Not existing vector name error: text');
  });

  it('counts exactly with and without a filter', async () => {
    assert.equal((await call('POST', '/collections/pts/points/count', { exact: true })).json.result.count, 5);
    const filtered = await call('POST', '/collections/pts/points/count', { filter: { must: [{ key: 'k', match: { value: 'v' } }] } });
    assert.equal(filtered.json.result.count, 1);
  });

  it('gets one point by id with its vector, and 404s an unknown id', async () => {
    const one = await call('GET', `/collections/pts/points/${MAX_U64}`);
    assert.equal(one.json.result.id, MAX_U64);
    assert.equal((one.json.result.vector as number[]).length, 2);
    assert.equal((await call('GET', '/collections/pts/points/12345')).status, 404);
  });

  it('rejects vectors of the wrong dimension or under an unknown name with 400', async () => {
    const dim = await call('PUT', '/collections/pts/points', { points: [{ id: 1, vector: [1, 2, 3] }] });
    assert.equal(dim.status, 400);
    assert.equal(dim.json.status.error, 'Wrong input: Vector dimension error: expected dim: 2, got 3');
    const named = await call('PUT', '/collections/pts/points', { points: [{ id: 1, vector: { img: [1, 2] } }] });
    assert.equal(named.json.status.error, 'Wrong input: Not existing vector name error: img');
    const badId = await call('PUT', '/collections/pts/points', { points: [{ id: 'abc', vector: [1, 2] }] });
    assert.equal(badId.status, 400);
    assert.equal((await call('POST', '/collections/pts/points/count', {})).json.result.count, 5);
  });
});

describe('testkit Qdrant REST: api keys', () => {
  let secured: QdrantTestServer;
  before(async () => {
    secured = await startQdrantTestServer({ grpcPort: null, apiKey: 'full-key', readOnlyApiKey: 'ro-key', onResponse: auditor.onResponse });
  });
  after(() => secured.stop());

  it('answers 401 in plain text without a key or with a wrong one', async () => {
    const anon = restCaller(secured.restUrl);
    for (const headers of [{}, { 'api-key': 'wrong' }] as Array<Record<string, string>>) {
      const r = await anon('GET', '/collections', undefined, headers);
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('content-type'), null, 'Qdrant 1.19 sends its 401 text without a content type');
      assert.ok(r.text.length > 0);
    }
    assert.equal((await anon('GET', '/healthz')).status, 200, 'health checks need no key');
  });

  it('accepts the key as api-key header or bearer token; the read-only key cannot write', async () => {
    const full = restCaller(secured.restUrl, { authorization: 'Bearer full-key' });
    assert.equal((await full('PUT', '/collections/s', { vectors: { size: 2, distance: 'Dot' } })).status, 200);
    const ro = restCaller(secured.restUrl, { 'api-key': 'ro-key' });
    assert.equal((await ro('POST', '/collections/s/points/scroll', {})).status, 200);
    const write = await ro('PUT', '/collections/s/points', { points: [{ id: 1, vector: [1, 2] }] });
    assert.equal(write.status, 403);
    assert.match(write.json.status.error, /^Forbidden/);
  });
});

describe('testkit Qdrant REST: fault injection', () => {
  it('injects 5xx, 429 with Retry-After and latency by route, set and cleared through the control API', async () => {
    await call('PUT', '/collections/f', { vectors: { size: 2, distance: 'Dot' } });
    const control = await call('POST', '/__testkit/faults', {
      rules: [
        { route: 'POST /collections/f/points/scroll', errorRate: 1, errorStatus: 502, maxFaults: 1 },
        { route: 'POST /collections/f/points/count', rateLimitRate: 1, retryAfterSeconds: 7 },
        { route: 'GET /collections/f', latencyMs: 120 },
      ],
    });
    assert.equal(control.status, 200);
    const failed = await call('POST', '/collections/f/points/scroll', {});
    assert.equal(failed.status, 502);
    assert.equal(typeof failed.json.status.error, 'string');
    assert.equal((await call('POST', '/collections/f/points/scroll', {})).status, 200, 'maxFaults: 1 lets the retry through');
    const limited = await call('POST', '/collections/f/points/count', {});
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    const t0 = performance.now();
    assert.equal((await call('GET', '/collections/f')).status, 200);
    assert.ok(performance.now() - t0 >= 100, 'latency was added');
    const stats = (await call('GET', '/__testkit/faults')).json.stats;
    assert.deepEqual([stats.errors, stats.rateLimited, stats.delayed], [1, 1, 1]);
    await call('DELETE', '/__testkit/faults');
    assert.equal((await call('POST', '/collections/f/points/count', {})).status, 200);
  });

  it('drops the connection after N requests when asked from code', async () => {
    server.faults.configure({ rules: [{ route: 'POST /collections/f/points/scroll', closeAfter: 2 }] });
    try {
      assert.equal((await call('POST', '/collections/f/points/scroll', {})).status, 200);
      assert.equal((await call('POST', '/collections/f/points/scroll', {})).status, 200);
      await assert.rejects(call('POST', '/collections/f/points/scroll', {}), /fetch failed/);
      assert.equal((await call('POST', '/collections/f/points/scroll', {})).status, 200, 'the next connection works');
    } finally {
      server.faults.clear();
    }
  });
});
