/**
 * The official @qdrant/js-client-grpc (1.19) against the test server's gRPC API: every RPC the
 * migrator and the test kit rely on, ids above 2^53 kept exact, auth, error codes and faults.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import {
  Datatype, Distance, Modifier, PayloadSchemaType, QdrantClient, FieldType, toDenseVector, toSparseVector,
} from '@qdrant/js-client-grpc';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { dataset } from '../../testkit/datasets/index.ts';
import { fromPayload, idOf, pid, toPayload } from '../helpers/qdrant-grpc.ts';

const KEY = 'secret-key';
const READ_KEY = 'read-only-key';
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = 'ffffffff-0000-4000-8000-000000000002';
const BIG = 2n ** 64n - 1n;

let server: QdrantTestServer;
let client: QdrantClient;

function connect(headers: Record<string, string> = { 'api-key': KEY }): QdrantClient {
  return new QdrantClient({ host: '127.0.0.1', port: server.grpcPort!, checkCompatibility: false, headers });
}

async function grpcCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return (err as { code: number }).code;
  }
  assert.fail('expected the call to fail');
}

const dense = (values: number[]) => ({ vector: { case: 'dense' as const, value: { data: values } } });

async function createDocs(name: string): Promise<void> {
  await client.api('collections').create({
    collectionName: name,
    vectorsConfig: {
      config: {
        case: 'paramsMap',
        value: {
          map: {
            text: { size: 2n, distance: Distance.Cosine },
            image: { size: 2n, distance: Distance.Dot, datatype: Datatype.Float16 },
          },
        },
      },
    },
    sparseVectorsConfig: { map: { kw: { modifier: Modifier.Idf } } },
  });
  const points: Array<{ id: number | bigint | string; payload: JsonObject; image: boolean }> = [
    { id: 3, payload: { colour: 'red', n: 3 }, image: true },
    { id: 1, payload: { colour: 'blue', n: 1, big: 2n ** 60n + 1n, nested: { a: [1, null, 'x'], b: null } }, image: true },
    { id: U2.toUpperCase(), payload: { colour: 'red', n: 5 }, image: false },
    { id: BIG, payload: { colour: 'green', n: 4 }, image: true },
    { id: U1, payload: { colour: 'red', n: 6, id: 'payload-id' }, image: true },
    { id: 2, payload: { colour: 'blue', n: 2 }, image: false },
  ];
  await client.api('points').upsert({
    collectionName: name,
    wait: true,
    points: points.map((p) => ({
      id: pid(p.id),
      payload: toPayload(p.payload),
      vectors: {
        vectorsOptions: {
          case: 'vectors',
          value: {
            vectors: {
              text: dense([3, 4]),
              ...(p.image ? { image: dense([0.5, -0.25]) } : {}),
              kw: { vector: { case: 'sparse', value: { indices: [9, 2], values: [0.5, 0.25] } } },
            },
          },
        },
      },
    })),
  });
}

describe('testkit Qdrant gRPC API with the official JS gRPC client', () => {
  before(async () => {
    server = await startQdrantTestServer({ apiKey: KEY, readOnlyApiKey: READ_KEY });
    client = connect();
    await createDocs('docs');
  });
  after(async () => {
    await server?.stop();
  });

  it('answers HealthCheck with the 1.19 version, without a key', async () => {
    const health = await connect({}).api('service').healthCheck({});
    assert.equal(health.version, '1.19.0');
  });

  it('creates, describes, lists and deletes collections', async () => {
    const info = (await client.api('collections').get({ collectionName: 'docs' })).result!;
    assert.equal(info.pointsCount, 6n);
    const params = info.config!.params!;
    assert.equal(params.vectorsConfig?.config.case, 'paramsMap');
    const map = params.vectorsConfig?.config.case === 'paramsMap' ? params.vectorsConfig.config.value.map : {};
    assert.equal(map.image?.datatype, Datatype.Float16);
    assert.equal(map.text?.distance, Distance.Cosine);
    assert.equal(params.sparseVectorsConfig?.map.kw?.modifier, Modifier.Idf);
    const names = (await client.api('collections').list({})).collections.map((c) => c.name);
    assert.deepEqual(names, ['docs']);
    assert.equal((await client.api('collections').collectionExists({ collectionName: 'docs' })).result?.exists, true);
    await client.api('collections').create({
      collectionName: 'tmp',
      vectorsConfig: { config: { case: 'params', value: { size: 4n, distance: Distance.Manhattan } } },
    });
    assert.equal(await grpcCode(client.api('collections').create({ collectionName: 'tmp' })), status.ALREADY_EXISTS);
    assert.equal((await client.api('collections').delete({ collectionName: 'tmp' })).result, true);
    assert.equal((await client.api('collections').collectionExists({ collectionName: 'tmp' })).result?.exists, false);
    assert.equal(await grpcCode(client.api('collections').get({ collectionName: 'tmp' })), status.NOT_FOUND);
  });

  it('scrolls ints before UUIDs with next_page_offset, keeping ids above 2^53 exact', async () => {
    const seen: Array<bigint | string> = [];
    const offsets: Array<bigint | string> = [];
    let offset: ReturnType<typeof pid> | undefined;
    for (;;) {
      const page = await client.api('points').scroll({ collectionName: 'docs', limit: 4, ...(offset ? { offset } : {}) });
      seen.push(...page.result.map((p) => idOf(p.id)));
      if (!page.nextPageOffset) break;
      offsets.push(idOf(page.nextPageOffset));
      offset = page.nextPageOffset as ReturnType<typeof pid>;
    }
    assert.deepEqual(seen, [1n, 2n, 3n, BIG, U1, U2]);
    assert.deepEqual(offsets, [U1]);
    const first = await client.api('points').scroll({ collectionName: 'docs', limit: 1, offset: pid(BIG) });
    assert.equal(idOf(first.result[0]?.id), BIG);
  });

  it('keeps every id of the overflow-ids dataset (2^63 .. 2^64-1) exact', async () => {
    const ds = dataset('overflow-ids', 40);
    server.store.seed(ds);
    const page = await client.api('points').scroll({ collectionName: ds.collection, limit: 100 });
    assert.deepEqual(page.result.map((p) => idOf(p.id)), [...ds.points()].map((p) => p.id));
  });

  it('returns payloads and vectors in the 1.19 shape', async () => {
    const res = await client.api('points').get({
      collectionName: 'docs',
      ids: [pid(U2), pid(1), pid(999)],
      withPayload: { selectorOptions: { case: 'enable', value: true } },
      withVectors: { selectorOptions: { case: 'enable', value: true } },
    });
    assert.deepEqual(res.result.map((p) => idOf(p.id)), [U2, 1n]);
    const one = res.result[1]!;
    assert.deepEqual(fromPayload(one.payload), { colour: 'blue', n: 1, big: 2n ** 60n + 1n, nested: { a: [1, null, 'x'], b: null } });
    const vectors = one.vectors?.vectorsOptions.case === 'vectors' ? one.vectors.vectorsOptions.value.vectors : {};
    assert.deepEqual(toDenseVector(vectors.text!)?.data.map((x) => Math.round(x * 1e6) / 1e6), [0.6, 0.8]);
    assert.deepEqual(toDenseVector(vectors.image!)?.data, [0.5, -0.25]);
    const sparse = toSparseVector(vectors.kw!);
    assert.deepEqual([sparse?.indices, sparse?.values], [[2, 9], [0.25, 0.5]]);
    const missing = res.result[0]!.vectors?.vectorsOptions;
    assert.ok(missing?.case === 'vectors' && !('image' in missing.value.vectors), 'absent vector is an absent key');
  });

  it('counts with filters', async () => {
    const count = async (filter?: object) =>
      (await client.api('points').count({ collectionName: 'docs', exact: true, ...(filter ? { filter } : {}) })).result?.count;
    const field = (key: string, match: object) => ({ conditionOneOf: { case: 'field', value: { key, match: { matchValue: match } } } });
    assert.equal(await count(), 6n);
    assert.equal(await count({ must: [field('colour', { case: 'keyword', value: 'red' })] }), 3n);
    assert.equal(await count({ mustNot: [field('colour', { case: 'keywords', value: { strings: ['red', 'blue'] } })] }), 1n);
    const range = { conditionOneOf: { case: 'field', value: { key: 'n', range: { gte: 2, lt: 5 } } } };
    assert.equal(await count({ must: [range] }), 3n);
    const hasImage = { conditionOneOf: { case: 'hasVector', value: { hasVector: 'image' } } };
    assert.equal(await count({ must: [hasImage] }), 4n);
    const hasId = { conditionOneOf: { case: 'hasId', value: { hasId: [pid(BIG), pid(U1)] } } };
    assert.equal(await count({ should: [hasId] }), 2n);
  });

  it('manages aliases, and reads through them', async () => {
    const aliases = client.api('collections');
    await aliases.updateAliases({ actions: [{ action: { case: 'createAlias', value: { collectionName: 'docs', aliasName: 'a1' } } }] });
    await aliases.updateAliases({ actions: [{ action: { case: 'renameAlias', value: { oldAliasName: 'a1', newAliasName: 'a2' } } }] });
    const listed = (await aliases.listAliases({})).aliases.map((a) => [a.aliasName, a.collectionName]);
    assert.deepEqual(listed, [['a2', 'docs']]);
    assert.equal((await aliases.listCollectionAliases({ collectionName: 'docs' })).aliases[0]?.aliasName, 'a2');
    assert.equal((await client.api('points').count({ collectionName: 'a2' })).result?.count, 6n);
    await aliases.updateAliases({ actions: [{ action: { case: 'deleteAlias', value: { aliasName: 'a2' } } }] });
    assert.equal((await aliases.listAliases({})).aliases.length, 0);
  });

  it('creates payload indexes that show in the collection info', async () => {
    await client.api('points').createFieldIndex({ collectionName: 'docs', fieldName: 'colour', fieldType: FieldType.FieldTypeKeyword, wait: true });
    const schema = (await client.api('collections').get({ collectionName: 'docs' })).result?.payloadSchema;
    assert.equal(schema?.colour?.dataType, PayloadSchemaType.Keyword);
    assert.equal(schema?.colour?.points, 6n);
  });

  it('refuses calls without the key, and writes with the read-only key', async () => {
    assert.equal(await grpcCode(connect({}).api('points').count({ collectionName: 'docs' })), status.UNAUTHENTICATED);
    assert.equal(await grpcCode(connect({ 'api-key': 'wrong' }).api('collections').list({})), status.UNAUTHENTICATED);
    const reader = connect({ 'api-key': READ_KEY });
    assert.equal((await reader.api('points').count({ collectionName: 'docs' })).result?.count, 6n);
    const write = reader.api('collections').delete({ collectionName: 'docs' });
    assert.equal(await grpcCode(write), status.PERMISSION_DENIED);
    const bearer = connect({ authorization: `Bearer ${KEY}` });
    assert.ok((await bearer.api('collections').list({})).collections.some((c) => c.name === 'docs'));
  });

  it('maps store errors and injected faults to gRPC codes', async () => {
    assert.equal(await grpcCode(client.api('points').scroll({ collectionName: 'nope' })), status.NOT_FOUND);
    assert.equal(await grpcCode(client.api('points').scroll({ collectionName: 'docs', limit: 0 })), status.INVALID_ARGUMENT);
    const faulty = (rule: object) => server.faults.configure({ rules: [{ route: 'GRPC /qdrant.Points/Count', ...rule }] });
    const count = () => client.api('points').count({ collectionName: 'docs' });
    try {
      faulty({ errorRate: 1, errorStatus: 503 });
      assert.equal(await grpcCode(count()), status.UNAVAILABLE);
      faulty({ errorRate: 1, errorStatus: 500 });
      assert.equal(await grpcCode(count()), status.INTERNAL);
      faulty({ closeAfter: 0 });
      assert.equal(await grpcCode(count()), status.UNAVAILABLE);
      faulty({ rateLimitRate: 1, retryAfterSeconds: 7 });
      const err = await count().catch((e: unknown) => e as { cause?: { code?: number; retry_after?: number } });
      // The client wraps its own ResourceExhausted error (a bug of 1.19.0): read it from `cause`.
      assert.deepEqual([err && 'cause' in err ? err.cause?.code : undefined, err && 'cause' in err ? err.cause?.retry_after : undefined], [status.RESOURCE_EXHAUSTED, 7]);
    } finally {
      server.faults.clear();
    }
    assert.equal((await count()).result?.count, 6n);
  });
});
