/**
 * What qdrant-conformance.test.ts found real Qdrant 1.19 doing, pinned on the test server alone, so
 * the behaviour stays guarded where the real binary is absent (that test then skips): `query` with
 * `sample: random` over REST and gRPC, serde's error texts and positions, absent (not null)
 * payload/vector keys, the 401/403/404 shapes. Every REST answer is checked against the OpenAPI spec.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../../testkit/qdrant/grpc.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { restCaller } from './testkit-qdrant-helpers.ts';

const KEY = 'k';
const auditor = createResponseAuditor();
let server: QdrantTestServer;
let call: ReturnType<typeof restCaller>;

before(async () => {
  server = await startQdrantTestServer({
    apiKey: KEY, readOnlyApiKey: 'ro', onResponse: auditor.onResponse, datasets: [{ name: 'basic', count: 30 }],
  });
  call = restCaller(server.restUrl, { 'api-key': KEY });
});
after(async () => {
  await server.stop();
  auditor.assertClean();
});

describe('test server: query with sample: random', () => {
  it('answers distinct points of the collection, score 1, version 0, no payload or vector unless asked', async () => {
    const r = await call('POST', '/collections/basic/points/query', { query: { sample: 'random' }, limit: 7 });
    assert.equal(r.status, 200);
    const points = r.json.result.points as Array<Record<string, unknown>>;
    assert.equal(points.length, 7);
    assert.equal(new Set(points.map((p) => p.id)).size, 7);
    for (const p of points) {
      assert.deepEqual(Object.keys(p).sort(), ['id', 'score', 'version']);
      assert.ok(Number(p.id) >= 1 && Number(p.id) <= 30);
      assert.equal(p.score, 1);
    }
  });

  it('samples differently from call to call, honours the filter and the selectors', async () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      const r = await call('POST', '/collections/basic/points/query', { query: { sample: 'random' }, limit: 3 });
      for (const p of r.json.result.points) seen.add(p.id);
    }
    assert.ok(seen.size > 3, 'five samples of 3 out of 30 are not all the same three points');
    const filtered = await call('POST', '/collections/basic/points/query', {
      query: { sample: 'random' }, limit: 100, filter: { must: [{ key: 'category', match: { value: 'music' } }] }, with_payload: ['category'], with_vector: true,
    });
    const count = await call('POST', '/collections/basic/points/count', { filter: { must: [{ key: 'category', match: { value: 'music' } }] } });
    assert.equal(filtered.json.result.points.length, count.json.result.count);
    for (const p of filtered.json.result.points) {
      assert.deepEqual(p.payload, { category: 'music' });
      assert.equal(p.vector.length, 128);
    }
  });

  it('refuses limit 0 with Qdrant\'s validation text', async () => {
    const r = await call('POST', '/collections/basic/points/query', { query: { sample: 'random' }, limit: 0 });
    assert.equal(r.status, 422);
    assert.equal(r.json.status.error, 'Validation error in JSON body: [internal.limit: value 0 invalid, must be 1 or larger]');
  });

  it('answers over gRPC (Points/Query) with ScoredPoints', async () => {
    const def = protoLoader.loadSync('qdrant.proto', { keepCase: true, longs: String, enums: String, oneofs: true, includeDirs: [protoDir()] });
    const Points = (grpc.loadPackageDefinition(def).qdrant as grpc.GrpcObject).Points as grpc.ServiceClientConstructor;
    const client = new Points(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('api-key', KEY);
    try {
      const res = await new Promise<{ result: Array<{ id: { num: string }; score: number }> }>((resolve, reject) => {
        client.Query!({ collection_name: 'basic', query: { sample: 'Random' }, limit: 4 }, md, (err: Error | null, r: never) => (err ? reject(err) : resolve(r)));
      });
      assert.equal(res.result.length, 4);
      assert.ok(res.result.every((p) => p.score === 1 && Number(p.id.num) >= 1));
    } finally {
      client.close();
    }
  });
});

describe('test server: Qdrant 1.19 error texts and shapes', () => {
  const scroll = (body: string) => call('POST', '/collections/basic/points/scroll', body);
  const cases: Array<[string, string, number, string]> = [
    ['negative limit', '{"limit":-1}', 400, 'Format error in JSON body: invalid value: integer `-1`, expected usize at line 1 column 12'],
    ['fractional limit', '{"limit":1.5}', 400, 'Format error in JSON body: invalid type: floating point `1.5`, expected usize at line 1 column 13'],
    ['limit 0', '{"limit":0}', 422, 'Validation error in JSON body: [scroll_request.limit: value 0 invalid, must be 1 or larger]'],
    ['bad offset', '{"offset":"x","limit":2}', 400, 'Format error in JSON body: value x is not a valid point ID, valid values are either an unsigned integer or a UUID at line 1 column 24'],
    ['bad with_payload', '{"with_payload": 7}', 400, 'Format error in JSON body: Expected a boolean, an array of strings, or an object with an include/exclude field at line 1 column 19'],
    ['bad with_vector', '{"with_vector":7}', 400, 'Format error in JSON body: Expected a boolean, or an array of strings at line 1 column 17'],
    ['body cut short', '{"limit": ', 400, 'Format error in JSON body: EOF while parsing a value at line 1 column 10'],
    ['not an object', '[1]', 400, 'Format error in JSON body: invalid type: sequence, expected struct ScrollRequest at line 1 column 0'],
    ['missing colon', '{"limit" 1}', 400, 'Format error in JSON body: expected `:` at line 1 column 10'],
    ['trailing characters', '{"limit":1} x', 400, 'Format error in JSON body: trailing characters at line 1 column 13'],
    ['trailing comma', '{"limit":1,}', 400, 'Format error in JSON body: trailing comma at line 1 column 12'],
    ['bad number', '{"limit": -}', 400, 'Format error in JSON body: invalid number at line 1 column 12'],
    ['multi-line', '{\n  "limit": 1\n  "offset": 2\n}', 400, 'Format error in JSON body: expected `,` or `}` at line 3 column 3'],
  ];
  for (const [label, body, status, error] of cases) {
    it(`${label}: ${status} "${error.slice(0, 50)}…"`, async () => {
      const r = await scroll(body);
      assert.equal(r.status, status);
      assert.equal(r.json.status.error, error);
    });
  }

  it('leaves payload and vector out unless asked; retrieve has no payload by default', async () => {
    const page = await call('POST', '/collections/basic/points/scroll', { limit: 1, with_payload: false });
    assert.deepEqual(page.json.result.points, [{ id: 1 }]);
    const got = await call('POST', '/collections/basic/points', { ids: [2] });
    assert.deepEqual(got.json.result, [{ id: 2 }]);
  });

  it('401 has no content type, 403 names manage access, 404 of a point and of a route', async () => {
    const anon = await restCaller(server.restUrl)('GET', '/collections');
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('content-type'), null);
    const ro = await call('PUT', '/collections/x', { vectors: { size: 2, distance: 'Dot' } }, { 'api-key': 'ro' });
    assert.equal(ro.status, 403);
    assert.equal(ro.json.status.error, 'Forbidden: Global manage access is required');
    const missing = await call('GET', '/collections/basic/points/999');
    assert.equal(missing.json.status.error, 'Not found: Point with id 999 does not exists!');
    const route = await call('GET', '/no-such-route');
    assert.equal(route.status, 404);
    assert.equal(route.text, '');
    const aliases = await call('GET', '/collections/nope/aliases');
    assert.deepEqual(aliases.json.result, { aliases: [] });
  });
});
