/**
 * The gRPC half of the conformance corpus (see qdrant-conformance-corpus.ts for the seeded data),
 * and a plain @grpc/grpc-js client over the vendored Qdrant 1.19 protos: both servers' answers are
 * decoded by the same loader, so any difference on the wire shows up as a difference here.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../../testkit/qdrant/grpc.ts';
import { BIG, BIG_GAP, KEY, READ_KEY, RICH_UUID, ZERO_UUID, type GrpcCase, type KeyUse } from './qdrant-conformance-corpus.ts';

const num = (n: number | bigint) => ({ num: String(n) });
const field = (key: string, cond: Record<string, unknown>) => ({ field: { key, ...cond } });

const FILTERS: Record<string, unknown> = {
  'must match keyword': { must: [field('colour', { match: { keyword: 'red' } })] },
  'must_not has_vector': { must_not: [{ has_vector: { has_vector: 'image' } }] },
  'is_empty': { must: [{ is_empty: { key: 'note' } }] },
  'is_null': { must: [{ is_null: { key: 'note' } }] },
  'should match keywords': { should: [field('colour', { match: { keywords: { strings: ['green', 'blue'] } } })] },
  'except keywords': { must: [field('colour', { match: { except_keywords: { strings: ['red', 'green'] } } })] },
  'range': { must: [field('count', { range: { gte: -200, lt: 300 } })] },
  'has_id': { must: [{ has_id: { has_id: [num(1), num(2), num(7), num(1000)] } }] },
  'match integer': { must: [field('meta.depth.a.b.c.leaf', { match: { integer: '7' } })] },
};

function scrolls(): GrpcCase[] {
  const s = (name: string, request: Record<string, unknown>): GrpcCase => ({ name: `Scroll: ${name}`, service: 'Points', rpc: 'Scroll', request });
  return [
    s('basic defaults', { collection_name: 'basic' }),
    s('basic limit 3, vectors, no payload', { collection_name: 'basic', limit: 3, with_payload: { enable: false }, with_vectors: { enable: true } }),
    s('basic payload include', { collection_name: 'basic', limit: 3, with_payload: { include: { fields: ['name', 'nope'] } } }),
    s('basic payload exclude', { collection_name: 'basic', limit: 3, with_payload: { exclude: { fields: ['name', 'score'] } } }),
    s('basic offset that exists', { collection_name: 'basic', limit: 4, offset: num(10) }),
    s('basic offset past the end', { collection_name: 'basic', limit: 4, offset: num(1_000_000) }),
    s('rich all vectors', { collection_name: 'rich', limit: 12, with_vectors: { enable: true } }),
    s('rich named vectors', { collection_name: 'rich', limit: 12, with_payload: { enable: false }, with_vectors: { include: { names: ['text', 'keywords'] } } }),
    s('rich offset smallest UUID', { collection_name: 'rich', limit: 4, offset: { uuid: ZERO_UUID }, with_payload: { enable: false } }),
    s('rich offset in an id gap', { collection_name: 'rich', limit: 3, offset: num(4) }),
    s('overflow offset 2^63 + k', { collection_name: 'overflow-ids', limit: 3, offset: num(BIG), with_vectors: { enable: true } }),
    s('overflow offset between ids', { collection_name: 'overflow-ids', limit: 3, offset: num(BIG_GAP) }),
    s('multivector', { collection_name: 'multivector', limit: 3, with_vectors: { enable: true } }),
    s('five named vectors', { collection_name: 'five-vectors', limit: 2, with_vectors: { enable: true } }),
    s('rich point without payload', { collection_name: 'rich', limit: 2, offset: num(49) }),
    s('empty collection', { collection_name: 'empty', limit: 5 }),
    s('hyphenated vector', { collection_name: 'my-docs', limit: 2, with_vectors: { include: { names: ['image-emb'] } } }),
    s('through an alias', { collection_name: 'basic-alias', limit: 2 }),
    ...Object.entries(FILTERS).map(([name, filter]) => s(`rich filter ${name}`, { collection_name: 'rich', limit: 40, filter, with_payload: { enable: false } })),
  ];
}

function others(): GrpcCase[] {
  const c = (name: string, service: GrpcCase['service'], rpc: string, request: Record<string, unknown>, key?: KeyUse): GrpcCase => ({ name, service, rpc, request, key });
  return [
    c('Count exact', 'Points', 'Count', { collection_name: 'basic', exact: true }),
    c('Count not exact', 'Points', 'Count', { collection_name: 'basic', exact: false }),
    c('Count missing vector', 'Points', 'Count', { collection_name: 'rich', exact: true, filter: FILTERS['must_not has_vector'] }),
    c('Count big ids', 'Points', 'Count', { collection_name: 'overflow-ids', exact: true }),
    c('Get ids (default selectors)', 'Points', 'Get', { collection_name: 'basic', ids: [num(3), num(1), num(999)] }),
    c('Get with payload and vectors', 'Points', 'Get', { collection_name: 'rich', ids: [num(1), num(2)], with_payload: { enable: true }, with_vectors: { enable: true } }),
    c('Get big ids', 'Points', 'Get', { collection_name: 'overflow-ids', ids: [num(BIG), num(BIG_GAP)], with_vectors: { enable: true } }),
    c('Collections Get basic', 'Collections', 'Get', { collection_name: 'basic' }),
    c('Collections Get rich', 'Collections', 'Get', { collection_name: 'rich' }),
    c('Collections Get my-docs', 'Collections', 'Get', { collection_name: 'my-docs' }),
    c('Collections Get multivector', 'Collections', 'Get', { collection_name: 'multivector' }),
    c('Collections Get five-vectors', 'Collections', 'Get', { collection_name: 'five-vectors' }),
    c('Collections Get empty', 'Collections', 'Get', { collection_name: 'empty' }),
    c('Collections Get custom', 'Collections', 'Get', { collection_name: 'custom' }),
    c('Count empty', 'Points', 'Count', { collection_name: 'empty', exact: true }),
    c('Get UUID in upper case', 'Points', 'Get', { collection_name: 'rich', ids: [{ uuid: RICH_UUID.toUpperCase() }], with_payload: { include: { fields: ['title'] } } }),
    c('Collections List', 'Collections', 'List', {}),
    c('CollectionExists', 'Collections', 'CollectionExists', { collection_name: 'basic' }),
    c('CollectionExists (missing)', 'Collections', 'CollectionExists', { collection_name: 'nope' }),
    c('ListAliases', 'Collections', 'ListAliases', {}),
    c('ListCollectionAliases', 'Collections', 'ListCollectionAliases', { collection_name: 'basic' }),
    c('ListCollectionAliases (missing collection)', 'Collections', 'ListCollectionAliases', { collection_name: 'nope' }),
    c('HealthCheck', 'Qdrant', 'HealthCheck', {}),
    c('read-only key may read', 'Points', 'Count', { collection_name: 'basic', exact: true }, 'read'),
    c('the key as a bearer token', 'Collections', 'CollectionExists', { collection_name: 'basic' }, 'bearer'),
    c('NOT_FOUND scroll', 'Points', 'Scroll', { collection_name: 'nope', limit: 1 }),
    c('NOT_FOUND collection info', 'Collections', 'Get', { collection_name: 'nope' }),
    c('NOT_FOUND count', 'Points', 'Count', { collection_name: 'nope' }),
    c('INVALID_ARGUMENT unknown vector', 'Points', 'Scroll', { collection_name: 'rich', limit: 1, with_vectors: { include: { names: ['nope'] } } }),
    c('INVALID_ARGUMENT limit 0', 'Points', 'Scroll', { collection_name: 'basic', limit: 0 }),
    c('UNAUTHENTICATED no key', 'Collections', 'List', {}, 'none'),
    c('UNAUTHENTICATED wrong key', 'Points', 'Scroll', { collection_name: 'basic', limit: 1 }, 'wrong'),
    c('PERMISSION_DENIED read-only Create', 'Collections', 'Create', { collection_name: 'ro-denied' }, 'read'),
    c('PERMISSION_DENIED read-only Upsert', 'Points', 'Upsert', { collection_name: 'basic', wait: true, points: [] }, 'read'),
    { name: 'Query sample random', service: 'Points', rpc: 'Query', request: { collection_name: 'basic', query: { sample: 'Random' }, limit: 5 }, shapeOnly: true },
  ];
}

/** Writes into `grpc-ops`, a collection created here (nothing else reads it), and failing writes. */
function writes(): GrpcCase[] {
  const c = (name: string, service: GrpcCase['service'], rpc: string, request: Record<string, unknown>, key?: KeyUse): GrpcCase => ({ name: `write: ${name}`, service, rpc, request, key });
  const dense = (data: number[]) => ({ vectors: { vector: { dense: { data } } } });
  const coll = 'grpc-ops';
  return [
    c('Create', 'Collections', 'Create', { collection_name: coll, vectors_config: { params: { size: '2', distance: 'Dot' } } }),
    c('Create an existing collection', 'Collections', 'Create', { collection_name: coll, vectors_config: { params: { size: '2', distance: 'Dot' } } }),
    c('Upsert', 'Points', 'Upsert', { collection_name: coll, wait: true, points: [{ id: num(1), ...dense([1, 2]), payload: { a: { string_value: 'x' } } }] }),
    c('Upsert, wrong dimension', 'Points', 'Upsert', { collection_name: coll, wait: true, points: [{ id: num(2), ...dense([1, 2, 3]) }] }),
    c('Upsert into a missing collection', 'Points', 'Upsert', { collection_name: 'nope', wait: true, points: [{ id: num(2), ...dense([1, 2]) }] }),
    c('CreateFieldIndex', 'Points', 'CreateFieldIndex', { collection_name: coll, wait: true, field_name: 'a', field_type: 'FieldTypeKeyword' }),
    c('Upsert without wait', 'Points', 'Upsert', { collection_name: coll, points: [{ id: num(3), ...dense([0, 1]) }] }),
    c('UpdateAliases', 'Collections', 'UpdateAliases', { actions: [{ create_alias: { alias_name: 'grpc-alias', collection_name: coll } }] }),
    c('ListCollectionAliases after it', 'Collections', 'ListCollectionAliases', { collection_name: coll }),
    c('Get the collection after them', 'Collections', 'Get', { collection_name: coll }),
    c('Get the points after them', 'Points', 'Get', { collection_name: coll, ids: [num(1), num(3)], with_payload: { enable: true }, with_vectors: { enable: true } }),
    c('PERMISSION_DENIED read-only Delete', 'Collections', 'Delete', { collection_name: coll }, 'read'),
  ];
}

export const GRPC_CASES: GrpcCase[] = [...scrolls(), ...others(), ...writes()];

export interface GrpcAnswer { code: number; details?: string; response?: unknown }

type Clients = Record<GrpcCase['service'], grpc.Client>;

let pkg: grpc.GrpcObject | undefined;
function qdrantPackage(): grpc.GrpcObject {
  const options = { keepCase: true, longs: String, enums: String, defaults: false, arrays: true, objects: true, oneofs: true, includeDirs: [protoDir()] };
  return (pkg ??= grpc.loadPackageDefinition(protoLoader.loadSync('qdrant.proto', options)).qdrant as grpc.GrpcObject);
}

export function grpcClients(port: number): Clients {
  const make = (name: string) => {
    const Ctor = qdrantPackage()[name] as grpc.ServiceClientConstructor;
    return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  };
  return { Points: make('Points'), Collections: make('Collections'), Qdrant: make('Qdrant') };
}

export function grpcCall(clients: Clients, c: GrpcCase): Promise<GrpcAnswer> {
  const md = new grpc.Metadata();
  const key = c.key ?? 'full';
  if (key === 'bearer') md.set('authorization', `Bearer ${KEY}`);
  else if (key !== 'none') md.set('api-key', key === 'full' ? KEY : key === 'read' ? READ_KEY : 'wrong-key');
  const client = clients[c.service] as unknown as Record<string, (...a: unknown[]) => void>;
  return new Promise((resolve) => {
    client[c.rpc]!.call(client, c.request, md, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError | null, response: unknown) => {
      resolve(err ? { code: err.code, details: err.details } : { code: 0, response });
    });
  });
}
