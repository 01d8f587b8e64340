/**
 * The request corpus of qdrant-conformance.test.ts: every request goes, unchanged, to the Qdrant
 * test server and to real Qdrant 1.19, and the two answers must be equal after the normalisations
 * listed in that test. Seeded collections: basic (ids 1..N, keyword index), rich (ints with gaps,
 * UUIDs, named float32/float16/uint8/sparse vectors, nulls, bigints, 3 payload indexes),
 * overflow-ids (ids 2^63..2^64-1), my-docs (hyphenated names), multivector, five-vectors,
 * manhattan, and two made here: `empty` (no points) and `custom` (non-default config, see
 * EXTRA_COLLECTIONS); aliases basic-alias, second → basic.
 */
import { dataset } from '../../testkit/datasets/index.ts';
import { overflowIdAt } from '../../testkit/datasets/simple.ts';

export const KEY = 'conformance-key';
export const READ_KEY = 'conformance-read-only';

/** Which key a request carries: the full key (default; `bearer`: as `Authorization: Bearer`), the
 *  read-only key, none, or a wrong one. */
export type KeyUse = 'full' | 'bearer' | 'read' | 'none' | 'wrong';

export interface RestCase {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** An object (written with lossless JSON, bigints exact) or a raw string (sent as it is). */
  body?: unknown;
  key?: KeyUse;
  /** Random answers: compare only their shape (see the test's normalisations). */
  shapeOnly?: boolean;
  /** Compare the body text as sent (key order included), not the parsed JSON. */
  raw?: boolean;
  /** A known difference (listed in the test's header): run and reported as TODO, not failed. */
  gap?: string;
}

export interface GrpcCase {
  name: string;
  service: 'Points' | 'Collections' | 'Qdrant';
  rpc: string;
  request: Record<string, unknown>;
  key?: KeyUse;
  shapeOnly?: boolean;
}

export const COUNTS = {
  basic: 40, rich: 60, 'overflow-ids': 12, 'hyphen-names': 10, multivector: 8, 'five-vectors': 6, manhattan: 6,
} as const;

/** Collections created directly (PUT /collections/{name}) beside the datasets. */
export const EXTRA_COLLECTIONS: Record<string, unknown> = {
  empty: { vectors: { size: 4, distance: 'Dot' } },
  ops: { vectors: { size: 2, distance: 'Dot' } },
  custom: {
    vectors: { v: { size: 4, distance: 'Euclid', hnsw_config: { m: 32, ef_construct: 200 }, on_disk: true } },
    hnsw_config: { m: 8, ef_construct: 64 },
    optimizers_config: { indexing_threshold: 0, default_segment_number: 1 },
    on_disk_payload: false,
  },
};

/** Points upserted into `custom` (raw JSON: key order and `__proto__` must survive as written). */
export const CUSTOM_POINTS = '{"points":[' +
  '{"id":1,"vector":{"v":[1,2,3,4]},"payload":{"__proto__":{"x":1},"constructor":5,"toString":"s"}},' +
  '{"id":2,"vector":{"v":[4,3,2,1]},"payload":{"b":1,"a":2,"nested":{"z":1,"y":{"d":1,"c":2}}}},' +
  '{"id":3,"vector":{"v":[0,0,0,1]},"payload":{"b":1,"2":2,"a":3,"10":4}}]}';

/** rich's first UUID id (point 3), which the dataset writes in upper case. */
export const RICH_UUID = String([...dataset('rich', 4).points()][3]!.id).toLowerCase();

export const BIG = overflowIdAt(3, COUNTS['overflow-ids']);
/** Between two overflow ids: not a point. */
export const BIG_GAP = BIG + 1n;
/** No rich UUID is this small: scrolling from it skips every integer id. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const MISSING = 'no-such-collection';

const filters: Record<string, unknown> = {
  'must match keyword': { must: [{ key: 'colour', match: { value: 'red' } }] },
  'must_not has_vector (the missing-vector count)': { must_not: [{ has_vector: 'image' }] },
  'has_vector sparse': { must: [{ has_vector: 'keywords' }] },
  'is_empty': { must: [{ is_empty: { key: 'note' } }] },
  'is_null': { must: [{ is_null: { key: 'note' } }] },
  'should match any': { should: [{ key: 'colour', match: { any: ['green', 'blue'] } }] },
  'match except': { must: [{ key: 'colour', match: { except: ['red', 'green'] } }] },
  'range gte/lt': { must: [{ key: 'count', range: { gte: -200, lt: 300 } }] },
  'has_id': { must: [{ has_id: [1, 2, 7, 40, 1000] }] },
  'nested must + must_not + should': {
    must: [{ key: 'in_stock', match: { value: true } }],
    must_not: [{ key: 'colour', match: { value: 'blue' } }],
    should: [{ key: 'count', range: { gt: 0 } }, { is_null: { key: 'note' } }],
  },
  'match integer': { must: [{ key: 'meta.depth.a.b.c.leaf', match: { value: 7 } }] },
  'match any integers': { must: [{ key: 'count', match: { any: [354, -943, -8, 0] } }] },
  'match except integers': { must: [{ key: 'meta.depth.a.b.c.leaf', match: { except: [1, 2, 3] } }] },
  'match bool': { must: [{ key: 'in_stock', match: { value: false } }] },
  'is_empty on a list': { must: [{ is_empty: { key: 'tags' } }] },
  'values_count': { must: [{ key: 'tags', values_count: { gte: 2, lt: 4 } }] },
  'array element path': { must: [{ key: 'meta.history[].by', match: { value: 'alpha' } }] },
  'nested': { must: [{ nested: { key: 'meta.history', filter: { must: [{ is_null: { key: 'by' } }] } } }] },
  'min_should': { min_should: { conditions: [{ key: 'in_stock', match: { value: true } }, { key: 'count', range: { gt: 0 } }, { is_null: { key: 'note' } }], min_count: 2 } },
  'has_id with a UUID': { must: [{ has_id: [RICH_UUID, 2] }] },
  'range on floats': { must: [{ key: 'price', range: { gt: 100.5, lte: 300 } }] },
  'match text on a keyword': { must: [{ key: 'title', match: { text: 'alpha' } }] },
  'datetime_range': { must: [{ key: 'created_at', range: { gte: '2015-01-01T00:00:00Z', lt: '2020-01-01T00:00:00Z' } }] },
  'must_not is_empty (payload-less points)': { must_not: [{ is_empty: { key: 'title' } }] },
  'nested should inside must': { must: [{ should: [{ key: 'colour', match: { value: 'red' } }, { key: 'colour', match: { value: '白' } }] }] },
};

function scrolls(): RestCase[] {
  const s = (name: string, collection: string, body: unknown): RestCase => ({
    name: `scroll ${collection}: ${name}`, method: 'POST', path: `/collections/${collection}/points/scroll`, body,
  });
  return [
    s('defaults', 'basic', {}),
    s('limit 5', 'basic', { limit: 5 }),
    s('with_payload false, with_vector true', 'basic', { limit: 3, with_payload: false, with_vector: true }),
    s('with_payload list', 'basic', { limit: 3, with_payload: ['name', 'rank', 'nope'] }),
    s('with_payload include', 'basic', { limit: 3, with_payload: { include: ['name'] } }),
    s('with_payload exclude', 'basic', { limit: 3, with_payload: { exclude: ['name', 'score'] } }),
    s('with_vector false explicit', 'basic', { limit: 2, with_payload: true, with_vector: false }),
    s('offset that exists', 'basic', { limit: 4, offset: 10 }),
    s('offset past the end', 'basic', { limit: 4, offset: 1_000_000 }),
    s('last page', 'basic', { limit: 5, offset: 38 }),
    s('exact fit', 'basic', { limit: 40 }),
    s('all named vectors', 'rich', { limit: 12, with_vector: true }),
    s('named vector list', 'rich', { limit: 12, with_payload: false, with_vector: ['text', 'keywords'] }),
    s('a vector name that does not exist', 'rich', { limit: 2, with_payload: false, with_vector: ['nope'] }),
    s('offset in an id gap', 'rich', { limit: 3, offset: 4, with_payload: false }),
    s('offset: the smallest UUID', 'rich', { limit: 4, offset: ZERO_UUID, with_payload: false }),
    s('ids only across ints and UUIDs', 'rich', { limit: 60, with_payload: false, with_vector: false }),
    s('a point without payload (and one with)', 'rich', { limit: 2, offset: 49 }),
    s('offset: an existing UUID', 'rich', { limit: 2, offset: RICH_UUID, with_payload: false }),
    s('offset: an upper-case UUID', 'rich', { limit: 2, offset: RICH_UUID.toUpperCase(), with_payload: false }),
    s('multivector', 'multivector', { limit: 3, with_vector: true }),
    s('five named vectors', 'five-vectors', { limit: 2, with_vector: true }),
    s('five named vectors, two asked', 'five-vectors', { limit: 2, with_vector: ['code', 'title'], with_payload: false }),
    s('Manhattan', 'manhattan', { limit: 2, with_vector: true }),
    s('empty collection', 'empty', { limit: 5 }),
    s('payload keys __proto__ / constructor, nested key order', 'custom', { limit: 2, with_vector: true }),
    { ...s('payload keys that look like integers keep their order', 'custom', { offset: 3, limit: 1 }), raw: true, gap: 'G8' },
    { ...s('payload key order, raw text', 'custom', { limit: 2 }), raw: true },
    s('nested payload include', 'rich', { limit: 3, with_payload: { include: ['meta.depth', 'location'] } }),
    s('payload exclude nested', 'rich', { limit: 3, with_payload: { exclude: ['meta', 'mixed_list'] } }),
    s('offset 2^63 + k (exists)', 'overflow-ids', { limit: 3, offset: BIG, with_vector: true }),
    s('offset between big ids', 'overflow-ids', { limit: 3, offset: BIG_GAP }),
    s('all', 'overflow-ids', { limit: 100 }),
    s('hyphenated vector', 'my-docs', { limit: 2, with_vector: ['image-emb'] }),
    s('through an alias', 'basic-alias', { limit: 2 }),
    ...Object.entries(filters).map(([name, filter]) => s(`filter ${name}`, 'rich', { limit: 40, filter, with_payload: false })),
    s('filter on a keyword index', 'basic', { limit: 40, filter: { must: [{ key: 'category', match: { value: 'music' } }] }, with_payload: false }),
  ];
}

function counts(): RestCase[] {
  const c = (name: string, collection: string, body: unknown): RestCase => ({
    name: `count ${collection}: ${name}`, method: 'POST', path: `/collections/${collection}/points/count`, body,
  });
  return [
    c('exact', 'basic', { exact: true }),
    c('not exact', 'basic', { exact: false }),
    c('default', 'rich', {}),
    c('missing vector (has_vector)', 'rich', { exact: true, filter: filters['must_not has_vector (the missing-vector count)'] }),
    c('filter match', 'rich', { exact: true, filter: filters['must match keyword'] }),
    c('filter is_empty', 'rich', { exact: true, filter: filters.is_empty }),
    c('big ids', 'overflow-ids', { exact: true }),
    c('empty collection', 'empty', { exact: true }),
    c('through an alias', 'second', { exact: true, filter: { must: [{ key: 'category', match: { value: 'books' } }] } }),
  ];
}

function retrieves(): RestCase[] {
  const p = (name: string, collection: string, body: unknown): RestCase => ({
    name: `retrieve ${collection}: ${name}`, method: 'POST', path: `/collections/${collection}/points`, body,
  });
  return [
    p('defaults', 'basic', { ids: [3, 1, 2] }),
    p('with vectors, one missing id', 'basic', { ids: [5, 999], with_vector: true }),
    p('payload off', 'basic', { ids: [5], with_payload: false }),
    p('UUIDs and ints, named vectors', 'rich', { ids: [1, 2, 3], with_vector: ['image', 'keywords'] }),
    p('big ids', 'overflow-ids', { ids: [BIG, BIG_GAP], with_vector: true }),
    p('a UUID in upper case, and one repeated id', 'rich', { ids: [RICH_UUID.toUpperCase(), 1, 1], with_payload: ['title'] }),
    p('multivector', 'multivector', { ids: [2], with_vector: true }),
    { name: 'GET one point', method: 'GET', path: '/collections/basic/points/7' },
    { name: 'GET one big point', method: 'GET', path: `/collections/overflow-ids/points/${BIG}` },
  ];
}

function collections(): RestCase[] {
  const g = (name: string, path: string, key?: KeyUse): RestCase => ({ name, method: 'GET', path, key });
  return [
    g('collection info basic (payload_schema)', '/collections/basic'),
    g('collection info rich (named, sparse, 3 indexes)', '/collections/rich'),
    g('collection info overflow-ids', '/collections/overflow-ids'),
    g('collection info my-docs', '/collections/my-docs'),
    g('collection info multivector', '/collections/multivector'),
    g('collection info five-vectors', '/collections/five-vectors'),
    g('collection info manhattan', '/collections/manhattan'),
    g('collection info empty', '/collections/empty'),
    g('collection info custom (hnsw, optimizers, on_disk)', '/collections/custom'),
    g('collection info through an alias', '/collections/second'),
    g('list collections', '/collections'),
    g('exists', '/collections/basic/exists'),
    g('exists (missing)', `/collections/${MISSING}/exists`),
    g('list aliases', '/aliases'),
    g('collection aliases', '/collections/basic/aliases'),
    g('collection aliases (none)', '/collections/rich/aliases'),
    g('exists through an alias', '/collections/basic-alias/exists'),
    g('collection aliases asked of an alias', '/collections/basic-alias/aliases'),
    g('GET one point through an alias', '/collections/second/points/3'),
    g('collection aliases of a missing collection', `/collections/${MISSING}/aliases`),
    g('read-only key may read', '/collections/basic', 'read'),
    g('the key as a bearer token', '/collections/basic/exists', 'bearer'),
    g('service info', '/', 'none'),
    g('readyz', '/readyz', 'none'),
    g('healthz', '/healthz', 'none'),
  ];
}

function errors(): RestCase[] {
  const e = (name: string, method: RestCase['method'], path: string, body?: unknown, key?: KeyUse): RestCase => ({
    name: `error: ${name}`, method, path, body, key,
  });
  return [
    e('404 collection info', 'GET', `/collections/${MISSING}`),
    e('404 scroll', 'POST', `/collections/${MISSING}/points/scroll`, { limit: 1 }),
    e('404 count', 'POST', `/collections/${MISSING}/points/count`, {}),
    e('404 point', 'GET', '/collections/basic/points/999'),
    e('400 negative limit', 'POST', '/collections/basic/points/scroll', { limit: -1 }),
    e('400 limit 0', 'POST', '/collections/basic/points/scroll', { limit: 0 }),
    e('400 bad offset', 'POST', '/collections/basic/points/scroll', { offset: 'not-a-uuid' }),
    e('400 malformed JSON (cut short)', 'POST', '/collections/basic/points/scroll', '{"limit": '),
    e('400 malformed JSON (cut short in a list)', 'POST', '/collections/basic/points', '{"ids": [1, '),
    e('400 malformed JSON (missing colon)', 'POST', '/collections/basic/points/scroll', '{"limit" 1}'),
    e('400 malformed JSON (trailing characters)', 'POST', '/collections/basic/points/scroll', '{"limit":1} x'),
    e('400 malformed JSON (trailing comma)', 'POST', '/collections/basic/points/scroll', '{"limit":1,}'),
    e('400 malformed JSON (key not a string)', 'POST', '/collections/basic/points/scroll', '{limit:1}'),
    e('400 malformed JSON (bad literal)', 'POST', '/collections/basic/points/scroll', '{"with_vector": tru}'),
    e('400 malformed JSON (no value)', 'POST', '/collections/basic/points/scroll', '{"limit": }'),
    e('400 malformed JSON (list comma)', 'POST', '/collections/basic/points', '{"ids": [1 2]}'),
    e('400 malformed JSON (string cut short)', 'POST', '/collections/basic/points', '{"ids": ["ab'),
    e('400 malformed JSON (multi-line)', 'POST', '/collections/basic/points/scroll', '{\n  "limit": 1\n  "offset": 2\n}'),
    e('400 malformed JSON (bad number)', 'POST', '/collections/basic/points/scroll', '{"limit": -}'),
    e('400 body not an object', 'POST', '/collections/basic/points/scroll', '[1]'),
    e('404 unknown route', 'GET', '/no-such-route'),
    e('unknown body fields are ignored', 'POST', '/collections/basic/points/scroll', { limit: 1, bogus: 1 }),
    e('403 read-only key with an invalid body (checked first)', 'PUT', '/collections/basic/points?wait=true', { points: [{ id: 1, vector: [1] }] }, 'read'),
    e('400 with_payload of a wrong type', 'POST', '/collections/basic/points/scroll', { with_payload: 7 }),
    e('400 retrieve without ids', 'POST', '/collections/basic/points', { with_payload: true }),
    e('401 no key', 'GET', '/collections', undefined, 'none'),
    e('401 wrong key', 'POST', '/collections/basic/points/scroll', { limit: 1 }, 'wrong'),
    e('403 read-only key creates a collection', 'PUT', '/collections/ro-denied', { vectors: { size: 2, distance: 'Dot' } }, 'read'),
    e('403 read-only key changes aliases', 'POST', '/collections/aliases', { actions: [{ delete_alias: { alias_name: 'second' } }] }, 'read'),
    e('403 read-only key upserts', 'PUT', '/collections/basic/points?wait=true', { points: [{ id: 1, vector: Array(128).fill(0.5) }] }, 'read'),
    e('403 read-only key creates a payload index', 'PUT', '/collections/basic/index?wait=true', { field_name: 'rank', field_schema: 'integer' }, 'read'),
    e('403 read-only key deletes a collection', 'DELETE', '/collections/ro-denied', undefined, 'read'),
    e('400 limit of a wrong type', 'POST', '/collections/basic/points/scroll', { limit: 1.5 }),
    e('400 with_vector of a wrong type', 'POST', '/collections/basic/points/scroll', { with_vector: 7 }),
    e('400 count exact of a wrong type', 'POST', '/collections/basic/points/count', { exact: 5 }),
    e('400 retrieve a negative id', 'POST', '/collections/basic/points', { ids: [-1] }),
    e('400 unknown vector name', 'POST', '/collections/rich/points/scroll', { with_vector: ['nope'] }),
    e('422 query limit 0', 'POST', '/collections/basic/points/query', { query: { sample: 'random' }, limit: 0 }),
  ];
}

/** Writes that fail (so both servers stay as seeded), with the full key and with the read-only key. */
function writeErrors(): RestCase[] {
  const w = (name: string, method: RestCase['method'], path: string, body: unknown, key?: KeyUse): RestCase => ({
    name: `write error${key === 'read' ? ' (read-only key)' : ''}: ${name}`, method, path, body, key,
  });
  const up = (name: string, body: unknown, key?: KeyUse, collection = 'basic') => w(name, 'PUT', `/collections/${collection}/points?wait=true`, body, key);
  const create = (name: string, body: unknown, key?: KeyUse, collection = 'bad-new') => w(name, 'PUT', `/collections/${collection}`, body, key);
  const index = (name: string, body: unknown, key?: KeyUse, collection = 'basic') => w(name, 'PUT', `/collections/${collection}/index?wait=true`, body, key);
  const cases: RestCase[] = [];
  for (const key of [undefined, 'read'] as const) {
    cases.push(
      up('point without vector', { points: [{ id: 1 }] }, key),
      up('negative id', { points: [{ id: -1, vector: [1] }] }, key),
      up('wrong dimension', { points: [{ id: 1, vector: [1] }] }, key),
      up('no points or batch', {}, key),
      up('batch without vectors', { batch: { ids: [1] } }, key),
      up('payload not an object', { points: [{ id: 1, vector: Array(128).fill(0.5), payload: 5 }] }, key),
      up('missing collection', { points: [{ id: 1, vector: [1] }] }, key, 'nope'),
      up('body cut short', '{"points":', key),
      create('size 0', { vectors: { size: 0, distance: 'Dot' } }, key),
      create('unknown distance', { vectors: { size: 2, distance: 'Bogus' } }, key),
      create('no distance', { vectors: { size: 2 } }, key),
      create('named, size 0', { vectors: { a: { size: 0, distance: 'Dot' } } }, key),
      index('unknown schema', { field_name: 'a', field_schema: 'bogus' }, key),
      index('no field_name', { field_schema: 'keyword' }, key),
      index('missing collection', { field_name: 'a', field_schema: 'keyword' }, key, 'nope'),
      w('unknown alias action', 'POST', '/collections/aliases', { actions: [{ bogus: {} }] }, key),
      w('second alias action unknown, spaced body', 'POST', '/collections/aliases',
        '{ "actions": [ { "delete_alias": { "alias_name": "zz" } } ,\n  { "bogus": 1 }  ], "x": 1 }', key),
      w('alias action not an object', 'POST', '/collections/aliases', { actions: [5] }, key),
    );
  }
  cases.push(
    index('no field_schema', { field_name: 'a' }),
    create('an existing collection', { vectors: { size: 2, distance: 'Dot' } }, 'read', 'basic'),
    w('delete a missing collection', 'DELETE', '/collections/nope', undefined, 'read'),
    w('alias to a missing collection', 'POST', '/collections/aliases', { actions: [{ create_alias: { alias_name: 'a', collection_name: 'nope' } }] }, 'read'),
  );
  return cases;
}

/** Successful writes into `ops` (nothing else reads it): operation ids and statuses. */
function writes(): RestCase[] {
  const w = (name: string, path: string, body: unknown): RestCase => ({ name: `write: ${name}`, method: 'PUT', path: `/collections/ops${path}`, body });
  return [
    w('first upsert', '/points?wait=true', { points: [{ id: 1, vector: [1, 2] }] }),
    w('a failing upsert (wrong dimension) between them', '/points?wait=true', { points: [{ id: 9, vector: [1, 2, 3] }] }),
    w('a failing payload index between them', '/index?wait=true', { field_name: 'z', field_schema: 'bogus' }),
    w('second upsert (batch form)', '/points?wait=true', { batch: { ids: [2, 3], vectors: [[1, 0], [0, 1]], payloads: [{ a: 'x' }, null] } }),
    w('a payload index', '/index?wait=true', { field_name: 'a', field_schema: 'keyword' }),
    w('an upsert after the index', '/points?wait=true', { points: [{ id: 4, vector: [2, 2], payload: { a: 'y' } }] }),
    w('an upsert without wait', '/points', { points: [{ id: 5, vector: [3, 3] }] }),
    w('a typed payload index', '/index?wait=true', { field_name: 'n', field_schema: { type: 'integer', lookup: true, range: true } }),
    w('a typed float index', '/index?wait=true', { field_name: 'f', field_schema: { type: 'float' } }),
    w('a typed text index', '/index?wait=true', { field_name: 't', field_schema: { type: 'text' } }),
    w('a tenant keyword index', '/index?wait=true', { field_name: 'k', field_schema: { type: 'keyword', is_tenant: true } }),
    { name: 'write: the collection after them', method: 'GET', path: '/collections/ops' },
  ];
}

function queries(): RestCase[] {
  return [
    { name: 'query sample random', method: 'POST', path: '/collections/basic/points/query', body: { query: { sample: 'random' }, limit: 5 }, shapeOnly: true },
    {
      name: 'query sample random, ids only, rich', method: 'POST', path: '/collections/rich/points/query',
      body: { query: { sample: 'random' }, limit: 50, with_payload: false }, shapeOnly: true,
    },
  ];
}

export const REST_CASES: RestCase[] = [
  ...scrolls(), ...counts(), ...retrieves(), ...collections(), ...errors(), ...writeErrors(), ...writes(), ...queries(),
];
