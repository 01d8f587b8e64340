import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QdrantStore, QdrantApiError, type RecordOut } from '../../testkit/qdrant/store.ts';
import { parseUuid } from '../../testkit/qdrant/ids.ts';
import { toHalfPrecision } from '../../testkit/qdrant/vectors.ts';
import { parseJson, stringifyJson } from '../../testkit/qdrant/json.ts';
import { validateResponse } from '../../testkit/qdrant/openapi.ts';
import { dataset } from '../../testkit/datasets/index.ts';

const UUID_A = '0f0e0d0c-0b0a-4908-8706-050403020100';
const UUID_B = 'ffffffff-0000-4000-8000-000000000001';

function mixedStore(): QdrantStore {
  const store = new QdrantStore();
  store.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
  store.upsertPoints('c', [
    { id: UUID_B, vector: [1, 0] },
    { id: 18446744073709551615n, vector: [1, 0] },
    { id: 5, vector: [1, 0] },
    { id: UUID_A.toUpperCase(), vector: [1, 0] },
    { id: 0, vector: [1, 0] },
  ]);
  return store;
}

function scrollAll(store: QdrantStore, name: string, limit: number): RecordOut['id'][] {
  const ids: RecordOut['id'][] = [];
  let offset: RecordOut['id'] | null = null;
  do {
    const page = store.scroll(name, { limit, offset });
    ids.push(...page.points.map((p) => p.id));
    offset = page.next_page_offset;
  } while (offset !== null);
  return ids;
}

describe('QdrantStore scroll order and paging', () => {
  it('orders every integer id before every UUID, integers by value', () => {
    assert.deepEqual(scrollAll(mixedStore(), 'c', 2), [0n, 5n, 18446744073709551615n, UUID_A, UUID_B]);
  });

  it('returns the (limit+1)th id as next_page_offset and null at the end', () => {
    const store = mixedStore();
    assert.equal(store.scroll('c', { limit: 2 }).next_page_offset, 18446744073709551615n);
    assert.equal(store.scroll('c', { limit: 5 }).next_page_offset, null);
  });

  it('treats offset as inclusive and accepts an offset that is not a stored id', () => {
    const store = mixedStore();
    assert.deepEqual(store.scroll('c', { offset: 5n, limit: 1 }).points.map((p) => p.id), [5n]);
    assert.deepEqual(store.scroll('c', { offset: 6n, limit: 1 }).points.map((p) => p.id), [18446744073709551615n]);
    // The smallest UUID starts the UUID part of the id space: how a reader detects UUIDs.
    const fromUuids = store.scroll('c', { offset: '00000000-0000-0000-0000-000000000000', limit: 10 });
    assert.deepEqual(fromUuids.points.map((p) => p.id), [UUID_A, UUID_B]);
  });

  it('stays ordered after out-of-order upserts into a loaded collection', () => {
    const store = new QdrantStore();
    const data = dataset('basic', 300);
    store.seed(data);
    const first = store.scroll(data.collection, { limit: 1 }).points[0]!.id as bigint;
    const size = (data.config.vectors as { size: number }).size;
    store.upsertPoints(data.collection, [{ id: first - 1n, vector: Array(size).fill(0.5) }]);
    const ids = scrollAll(store, data.collection, 64);
    assert.equal(ids[0], first - 1n);
    assert.equal(ids.length, 301);
    assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('rejects limit 0 with a 422 validation error', () => {
    assert.throws(() => mixedStore().scroll('c', { limit: 0 }), (e: QdrantApiError) => e.status === 422);
  });
});

describe('QdrantStore ids', () => {
  it('accepts the UUID forms of the uuid crate and returns lowercase hyphenated', () => {
    const canonical = '550e8400-e29b-41d4-a716-446655440000';
    for (const form of [
      canonical.toUpperCase(), canonical.replaceAll('-', ''), `{${canonical}}`, `urn:uuid:${canonical}`,
    ]) assert.equal(parseUuid(form), canonical, form);
    assert.equal(parseUuid('550e8400-e29b-41d4-a716'), null);
    assert.equal(parseUuid(`{${canonical.replaceAll('-', '')}}`), null);
  });

  it('rejects negative and non-UUID string ids with a 400', () => {
    const store = mixedStore();
    for (const id of [-1, 'not-a-uuid', 1.5]) {
      assert.throws(() => store.upsertPoints('c', [{ id, vector: [1, 0] }]), (e: QdrantApiError) => e.status === 400);
    }
  });
});

describe('QdrantStore vector normalisation', () => {
  function store(): QdrantStore {
    const s = new QdrantStore();
    s.createCollection('v', {
      vectors: {
        cos: { size: 2, distance: 'Cosine' },
        half: { size: 3, distance: 'Dot', datatype: 'float16' },
        bytes: { size: 4, distance: 'Euclid', datatype: 'uint8' },
        bytescos: { size: 2, distance: 'Cosine', datatype: 'uint8' },
      },
      sparse_vectors: { kw: { modifier: 'idf' } },
    });
    return s;
  }

  it('stores Cosine vectors normalised, uint8 Cosine vectors untouched', () => {
    const s = store();
    s.upsertPoints('v', [{ id: 1, vector: { cos: [3, 4], bytescos: [3, 4] } }]);
    const [p] = s.retrieve('v', [1n], false, true);
    assert.deepEqual((p!.vector as Record<string, number[]>).cos, [Math.fround(0.6), Math.fround(0.8)]);
    assert.deepEqual((p!.vector as Record<string, number[]>).bytescos, [3, 4]);
  });

  it('keeps float16 at half precision and truncates / clamps uint8', () => {
    const s = store();
    s.upsertPoints('v', [{ id: 1, vector: { half: [0.1, 65504, 1e-8], bytes: [-3, 1.9, 255.7, 300] } }]);
    const v = s.retrieve('v', [1n], false, true)[0]!.vector as Record<string, number[]>;
    assert.deepEqual(v.half, [0.0999755859375, 65504, 0]);
    assert.deepEqual(v.bytes, [0, 1, 255, 255]);
    assert.equal(toHalfPrecision(1 + 2 ** -11), 1); // tie rounds to even
    assert.equal(toHalfPrecision(1 + 3 * 2 ** -11), 1 + 2 ** -9);
  });

  it('sorts sparse indices and permutes the values with them', () => {
    const s = store();
    s.upsertPoints('v', [{ id: 1, vector: { kw: { indices: [9, 2, 5], values: [0.9, 0.2, 0.5] } } }]);
    const v = s.retrieve('v', [1n], false, true)[0]!.vector as Record<string, { indices: number[]; values: number[] }>;
    assert.deepEqual(v.kw!.indices, [2, 5, 9]);
    assert.deepEqual(v.kw!.values, [0.2, 0.5, 0.9].map(Math.fround));
  });

  it('rejects duplicate sparse indices (422) and wrong dimensions (400)', () => {
    const s = store();
    assert.throws(() => s.upsertPoints('v', [{ id: 1, vector: { kw: { indices: [1, 1], values: [1, 2] } } }]), (e: QdrantApiError) => e.status === 422);
    assert.throws(() => s.upsertPoints('v', [{ id: 1, vector: { cos: [1, 2, 3] } }]), /expected dim: 2, got 3/);
    assert.equal(s.count('v').count, 0, 'a failed batch writes nothing');
  });

  it('leaves a missing named vector absent and answers unknown names with 400', () => {
    const s = store();
    s.upsertPoints('v', [{ id: 1, vector: { cos: [1, 0] } }]);
    assert.deepEqual(Object.keys(s.retrieve('v', [1n], false, true)[0]!.vector as object), ['cos']);
    assert.throws(() => s.scroll('v', { with_vector: ['nope'] }), /Not existing vector name error: nope/);
    assert.throws(() => s.upsertPoints('v', [{ id: 2, vector: [1, 0] }]), /Not existing vector name error: $/);
  });

  it('counts points lacking a vector with a has_vector filter', () => {
    const s = store();
    s.upsertPoints('v', [{ id: 1, vector: { cos: [1, 0] } }, { id: 2, vector: {} }, { id: 3, vector: { cos: [0, 1] } }]);
    assert.equal(s.count('v', { filter: { must_not: [{ has_vector: 'cos' }] } }).count, 1);
  });
});

describe('QdrantStore filters and payload selectors', () => {
  function store(): QdrantStore {
    const s = new QdrantStore();
    s.createCollection('p', { vectors: {} });
    s.upsertPoints('p', [
      { id: 1, vector: {}, payload: { city: 'Berlin', n: 5, tags: ['a', 'b'], big: 18446744073709551615n, nested: { x: 1 } } },
      { id: 2, vector: {}, payload: { city: 'Paris', n: 10, tags: [], note: null, items: [{ k: 'v', q: 2 }] } },
      { id: 3, vector: {}, payload: {} },
    ]);
    return s;
  }
  const ids = (s: QdrantStore, filter: object) => s.scroll('p', { filter, limit: 10 }).points.map((p) => Number(p.id));

  it('evaluates match, range, is_empty, is_null, has_id, should, must_not and nested', () => {
    const s = store();
    assert.deepEqual(ids(s, { must: [{ key: 'city', match: { value: 'Paris' } }] }), [2]);
    assert.deepEqual(ids(s, { must: [{ key: 'tags', match: { any: ['b', 'z'] } }] }), [1]);
    assert.deepEqual(ids(s, { must: [{ key: 'n', range: { gt: 5, lte: 10 } }] }), [2]);
    assert.deepEqual(ids(s, { must: [{ is_empty: { key: 'tags' } }] }), [2, 3]);
    assert.deepEqual(ids(s, { must: [{ is_null: { key: 'note' } }] }), [2]);
    assert.deepEqual(ids(s, { must: [{ has_id: [3, 1] }] }), [1, 3]);
    assert.deepEqual(ids(s, { should: [{ key: 'n', match: { value: 5 } }, { has_id: [3] }] }), [1, 3]);
    assert.deepEqual(ids(s, { must_not: [{ key: 'city', match: { value: 'Berlin' } }] }), [2, 3]);
    assert.deepEqual(ids(s, { must: [{ key: 'nested.x', match: { value: 1 } }] }), [1]);
    assert.deepEqual(ids(s, { must: [{ key: 'items[].q', range: { gte: 2 } }] }), [2]);
    assert.deepEqual(ids(s, { must: [{ nested: { key: 'items', filter: { must: [{ key: 'k', match: { value: 'v' } }] } } }] }), [2]);
    assert.deepEqual(ids(s, { must: [{ key: 'big', match: { value: 18446744073709551615n } }] }), [1]);
    assert.deepEqual(ids(s, { min_should: { conditions: [{ has_id: [1] }, { key: 'n', match: { value: 5 } }], min_count: 2 } }), [1]);
  });

  it('applies with_payload include / exclude / list and keeps key order', () => {
    const s = store();
    const payload = (sel: unknown) => s.retrieve('p', [1n], sel as never)[0]!.payload;
    assert.deepEqual(Object.keys(payload(true)!), ['city', 'n', 'tags', 'big', 'nested']);
    assert.equal(payload(false), undefined);
    assert.deepEqual(payload(['n', 'city']), { city: 'Berlin', n: 5 });
    assert.deepEqual(payload({ include: ['nested.x'] }), { nested: { x: 1 } });
    assert.deepEqual(Object.keys(payload({ exclude: ['tags', 'big'] })!), ['city', 'n', 'nested']);
  });
});

describe('testkit JSON and OpenAPI helpers', () => {
  it('round-trips integers up to 2^64-1 exactly', () => {
    const text = '{"id":18446744073709551615,"n":-9007199254740993,"f":0.5,"s":9007199254740991}';
    const value = parseJson(text) as Record<string, unknown>;
    assert.equal(value.id, 18446744073709551615n);
    assert.equal(value.s, 9007199254740991);
    assert.equal(stringifyJson(value), text);
  });

  it('rejects a response that does not match the spec', () => {
    const bad = JSON.stringify({ result: { count: -1 }, status: 'ok', time: 0 });
    assert.notDeepEqual(validateResponse('POST', '/collections/x/points/count', 200, 'application/json', bad), []);
    const good = JSON.stringify({ result: { count: 3 }, status: 'ok', time: 0 });
    assert.deepEqual(validateResponse('POST', '/collections/x/points/count', 200, 'application/json', good), []);
  });
});
