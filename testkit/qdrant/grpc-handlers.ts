/**
 * The RPCs the gRPC test server answers, as plain functions request → response over a QdrantStore.
 * Each translates the gRPC message into the REST-shaped request the store takes and the result
 * back; transport concerns (auth, faults, status codes, `time`) live in grpc.ts.
 */
import type { JsonObject } from '../../src/core/types.ts';
import { QdrantApiError, type QdrantStore, type RecordOut, type RestPoint, type UpdateResult } from './store.ts';
import type { Filter, WithPayload } from './store.ts';
import { collectionInfoToGrpc, createBodyFromGrpc, fieldSchemaFromGrpc } from './grpc-collections.ts';
import { encodeGetResponse, encodeScrollResponse, PreEncoded } from './grpc-fast.ts';
import { TESTKIT_COMMIT } from './rest.ts';
import { filterFromGrpc } from './grpc-filter.ts';
import {
  asArray, asMsg, idFromGrpc, idToGrpc, structFromGrpc, structToGrpc, toNumber, vectorsFromGrpc,
  vectorsToGrpc, withPayloadFromGrpc, withVectorsFromGrpc, type Msg,
} from './grpc-values.ts';

/** Whether an RPC reads or changes data: a read-only API key may only call `read` ones. */
export type Access = 'read' | 'write' | 'open';

export interface RpcSpec {
  access: Access;
  /** A message object, or bytes already encoded (grpc-fast.ts) for the hot Scroll path. */
  handle(req: Msg): Msg | PreEncoded;
}

export type ServiceSpec = Record<string, RpcSpec>;

export const SERVER_TITLE = 'qdrant - vector search engine';
export const SERVER_VERSION = '1.19.0';

function name(req: Msg): string {
  return String(req.collection_name ?? '');
}

/** PointsOperationResponse; Qdrant 1.19 always sends an (empty) `usage` there, and only there. */
function updateResult(r: UpdateResult): Msg {
  return { result: { operation_id: String(r.operation_id), status: r.status === 'completed' ? 'Completed' : 'Acknowledged' }, usage: {} };
}

function recordToGrpc(p: RecordOut): Msg {
  const out: Msg = { id: idToGrpc(p.id), payload: structToGrpc(p.payload) };
  const vectors = vectorsToGrpc(p.vector);
  if (vectors) out.vectors = vectors;
  return out;
}

function pointFromGrpc(p: unknown): RestPoint {
  const m = asMsg(p) ?? {};
  const out: RestPoint = { id: idFromGrpc(m.id), payload: structFromGrpc(m.payload) };
  const vector = vectorsFromGrpc(m.vectors);
  if (vector !== undefined) out.vector = vector;
  return out;
}

/** Applies one AliasOperations entry; the whole ChangeAliases request is not atomic here. */
function applyAliasAction(store: QdrantStore, action: unknown): void {
  const m = asMsg(action) ?? {};
  const op = asMsg(m[String(m.action)]) ?? {};
  if (m.action === 'create_alias') store.createAlias(String(op.alias_name), String(op.collection_name));
  else if (m.action === 'delete_alias') store.deleteAlias(String(op.alias_name));
  else if (m.action === 'rename_alias') store.renameAlias(String(op.old_alias_name), String(op.new_alias_name));
  else throw new QdrantApiError(400, 'Wrong input: alias operation is missing');
}

export function qdrantService(): ServiceSpec {
  return {
    HealthCheck: { access: 'open', handle: () => ({ title: SERVER_TITLE, version: SERVER_VERSION, commit: TESTKIT_COMMIT }) },
  };
}

export function collectionsService(store: QdrantStore): ServiceSpec {
  return {
    List: { access: 'read', handle: () => ({ collections: store.listCollections().map((n) => ({ name: n })) }) },
    Get: { access: 'read', handle: (req) => ({ result: collectionInfoToGrpc(store.collectionInfo(name(req))) }) },
    CollectionExists: { access: 'read', handle: (req) => ({ result: { exists: store.collectionExists(name(req)) } }) },
    Create: {
      access: 'write',
      handle: (req) => {
        store.createCollection(name(req), createBodyFromGrpc(req));
        return { result: true };
      },
    },
    Delete: { access: 'write', handle: (req) => ({ result: store.deleteCollection(name(req)) }) },
    ListAliases: { access: 'read', handle: () => ({ aliases: store.listAliases() }) },
    ListCollectionAliases: { access: 'read', handle: (req) => ({ aliases: store.listAliases(name(req)) }) },
    UpdateAliases: {
      access: 'write',
      handle: (req) => {
        for (const action of asArray(req.actions)) applyAliasAction(store, action);
        return { result: true };
      },
    },
  };
}

export function pointsService(store: QdrantStore): ServiceSpec {
  return {
    Upsert: {
      access: 'write',
      handle: (req) => updateResult(store.upsertPoints(name(req), asArray(req.points).map(pointFromGrpc), req.wait === true)),
    },
    CreateFieldIndex: {
      access: 'write',
      handle: (req) =>
        updateResult(store.createPayloadIndex(name(req), String(req.field_name), fieldSchemaFromGrpc(req), req.wait === true)),
    },
    Scroll: {
      access: 'read',
      handle: (req) => {
        const offset = asMsg(req.offset) ? idFromGrpc(req.offset) : null;
        const res = store.scroll(name(req), {
          offset,
          limit: toNumber(req.limit) ?? 10,
          filter: (filterFromGrpc(req.filter) as Filter | undefined) ?? null,
          with_payload: withPayloadFromGrpc(req.with_payload, true) as WithPayload,
          with_vector: withVectorsFromGrpc(req.with_vectors) as boolean | string[],
          order_by: asMsg(req.order_by) ? (req.order_by as JsonObject) : null,
        });
        // Encoded directly (grpc-fast.ts): the generic path made the stub, not the client, the cost.
        return encodeScrollResponse(res);
      },
    },
    Count: {
      access: 'read',
      handle: (req) => {
        const filter = filterFromGrpc(req.filter) as Filter | undefined;
        const res = store.count(name(req), filter ? { filter, exact: req.exact !== false } : {});
        return { result: { count: String(res.count) } };
      },
    },
    Query: {
      access: 'read',
      handle: (req) => {
        const query = asMsg(req.query);
        if (query?.variant !== 'sample') throw new QdrantApiError(400, 'Wrong input: the qdrant testkit answers only `query: {sample: Random}`');
        const points = store.sample(name(req), {
          limit: toNumber(req.limit) ?? 10,
          filter: (filterFromGrpc(req.filter) as Filter | undefined) ?? null,
          with_payload: withPayloadFromGrpc(req.with_payload, false) as WithPayload,
          with_vector: withVectorsFromGrpc(req.with_vectors) as boolean | string[],
        });
        return { result: points.map((p) => ({ ...recordToGrpc(p), score: p.score, version: String(p.version) })) };
      },
    },
    Get: {
      access: 'read',
      handle: (req) => {
        const ids = asArray(req.ids).map(idFromGrpc);
        // Unlike Scroll, Qdrant's Get returns no payload when the selector is unset (its retrieve
        // defaults to `with_payload: false`; REST documents `true` but gRPC sends None).
        const withPayload = withPayloadFromGrpc(req.with_payload, false) as WithPayload;
        const points = store.retrieve(name(req), ids, withPayload, withVectorsFromGrpc(req.with_vectors) as boolean | string[]);
        return encodeGetResponse(points);
      },
    },
  };
}
