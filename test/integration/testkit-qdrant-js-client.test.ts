/**
 * The official @qdrant/js-client-rest (1.19) driven against the test server through every endpoint
 * the server implements. It parses JSON with JSON.parse, so ids here stay below 2^53 (exactness
 * above that is covered by testkit-qdrant-rest.test.ts with lossless requests).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';

const auditor = createResponseAuditor();
let server: QdrantTestServer;
let client: QdrantClient;
const UUID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

before(async () => {
  server = await startQdrantTestServer({ grpcPort: null, apiKey: 'k', onResponse: auditor.onResponse });
  client = new QdrantClient({ url: server.restUrl, apiKey: 'k', checkCompatibility: false });
});
after(async () => {
  await server.stop();
  auditor.assertClean();
});

describe('testkit Qdrant REST with @qdrant/js-client-rest', () => {
  it('reports the server version the client checks compatibility against', async () => {
    assert.equal((await client.versionInfo()).version, '1.19.0');
    const checking = new QdrantClient({ url: server.restUrl, apiKey: 'k', checkCompatibility: true });
    assert.equal((await checking.collectionExists('none')).exists, false);
  });

  it('creates, describes, lists and deletes collections', async () => {
    await client.createCollection('jc', {
      vectors: { text: { size: 3, distance: 'Cosine' }, img: { size: 2, distance: 'Dot', datatype: 'uint8' } },
      sparse_vectors: { kw: { modifier: 'idf' } },
    });
    assert.equal((await client.collectionExists('jc')).exists, true);
    const info = await client.getCollection('jc');
    assert.equal(info.points_count, 0);
    assert.deepEqual(info.config.params.sparse_vectors, { kw: { modifier: 'idf' } });
    assert.ok((await client.getCollections()).collections.some((c) => c.name === 'jc'));
    await client.createCollection('gone', { vectors: { size: 2, distance: 'Dot' } });
    assert.equal(await client.deleteCollection('gone'), true);
  });

  it('upserts, scrolls, counts, retrieves and gets points', async () => {
    const upsert = await client.upsert('jc', {
      wait: true,
      points: [
        { id: UUID, vector: { text: [1, 2, 2], kw: { indices: [7, 3], values: [0.7, 0.3] } }, payload: { a: 1 } },
        { id: 2, vector: { img: [1.9, 300] }, payload: { a: 2, b: 'x' } },
        { id: 1, vector: { text: [0, 0, 5] } },
      ],
    });
    assert.equal(upsert.status, 'completed');
    const page = await client.scroll('jc', { limit: 2, with_vector: true });
    assert.deepEqual(page.points.map((p) => p.id), [1, 2]);
    assert.equal(page.next_page_offset, UUID);
    assert.deepEqual(page.points[1]!.vector, { img: [1, 255] });
    assert.equal((await client.count('jc', { exact: true })).count, 3);
    assert.equal((await client.count('jc', { filter: { must: [{ key: 'a', range: { gte: 2 } }] } })).count, 1);
    const [byUuid] = await client.retrieve('jc', { ids: [UUID.toUpperCase()], with_vector: ['kw'] });
    assert.deepEqual(byUuid!.vector, { kw: { indices: [3, 7], values: [Math.fround(0.3), Math.fround(0.7)] } });
    const got = await client.api().getPoint({ collection_name: 'jc', id: 1 });
    assert.deepEqual(got.data.result?.vector, { text: [0, 0, 1] });
  });

  it('surfaces Qdrant errors with their status', async () => {
    await assert.rejects(client.getCollection('missing'), (e: { status?: number }) => e.status === 404);
    await assert.rejects(client.scroll('jc', { with_vector: ['nope'] }), (e: { status?: number }) => e.status === 400);
  });

  it('manages aliases and payload indexes', async () => {
    await client.updateCollectionAliases({ actions: [{ create_alias: { alias_name: 'jca', collection_name: 'jc' } }] });
    assert.deepEqual((await client.getCollectionAliases('jc')).aliases, [{ alias_name: 'jca', collection_name: 'jc' }]);
    assert.equal((await client.getAliases()).aliases.length, 1);
    assert.equal((await client.getCollection('jca')).points_count, 3);
    const index = await client.createPayloadIndex('jc', { field_name: 'a', field_schema: 'integer', wait: true });
    assert.equal(index.status, 'completed');
    assert.deepEqual((await client.getCollection('jc')).payload_schema, { a: { data_type: 'integer', points: 2 } });
  });

  it('passes the client a 429 with Retry-After as a rate-limit error', async () => {
    server.faults.configure({ rules: [{ route: 'POST /collections/jc/points/count', rateLimitRate: 1, retryAfterSeconds: 3 }] });
    try {
      await assert.rejects(client.count('jc'), (e: { retry_after?: number }) => e.retry_after === 3);
    } finally {
      server.faults.clear();
    }
  });
});
