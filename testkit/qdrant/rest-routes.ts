/**
 * The REST routes of the test server: each handler takes the parsed request and returns the
 * `result` of Qdrant's envelope (the transport wraps it, or the error, in `{result, status, time}`).
 */
import type { JsonObject } from '../../src/core/types.ts';
import { parseCollectionConfig } from './config.ts';
import { formatError, QdrantApiError, serdeKind, validationError, wrongInput } from './errors.ts';
import { aliasActions, applyAliasActions, object, upsertBody } from './rest-writes.ts';
import { parsePathPointId, parsePointId } from './ids.ts';
import { fieldSchemaType, type CountRequest, type QdrantStore, type SampleRequest, type ScrollRequest, type WithVector } from './store.ts';
import type { WithPayload } from './payload.ts';

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed lazily so that GETs never fail on a stray body. */
  body(): unknown;
  /** The body as sent (for serde positions inside it). */
  text: string;
}

export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  pattern: RegExp;
  /** Needs a full-access key (a read-only key gets 403). */
  write: boolean;
  /** What Qdrant checks before the key's access on a write: throws the 400 / 404 it would answer. */
  precheck?(store: QdrantStore, req: RouteRequest): void;
  /** False where Qdrant's format errors carry no `at line … column …` (hand-parsed bodies). */
  positions?: boolean;
  handle(store: QdrantStore, req: RouteRequest): unknown;
}

const isRandomSample = (q: unknown) => typeof q === 'object' && q !== null && (q as JsonObject).sample === 'random';

const waitFlag = (q: URLSearchParams) => q.get('wait') === 'true';

const C = '/collections/([^/]+)';
const route = (
  method: Route['method'], path: string, write: boolean, handle: Route['handle'], extra: Partial<Route> = {},
): Route => ({ method, pattern: new RegExp(`^${path}$`), write, handle, ...extra });

function indexBody(r: RouteRequest): JsonObject {
  const b = object(r.body(), 'CreateFieldIndex');
  if (typeof b.field_name !== 'string') throw formatError('missing field `field_name`');
  return b;
}

/** Qdrant's `limit` is a usize: serde's texts for anything else. */
function usize(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  const integer = (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
  if (integer && (value as number) >= 0 && typeof value === 'number') return value;
  throw formatError(`${integer ? 'invalid value' : 'invalid type'}: ${serdeKind(value)}, expected usize`);
}

function optionalBool(value: unknown): boolean | undefined {
  if (value === undefined || value === null || typeof value === 'boolean') return value ?? undefined;
  throw formatError(`invalid type: ${serdeKind(value)}, expected a boolean`);
}

/** Validation errors name the request type's field path, e.g. `scroll_request.limit`. */
function validated<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof QdrantApiError && err.message.startsWith('Validation error in JSON body: [')) {
      throw new QdrantApiError(err.status, err.message.replace('[', `[${prefix}.`));
    }
    throw err;
  }
}

export const ROUTES: Route[] = [
  route('GET', '/collections', false, (s) => ({ collections: s.listCollections().map((name) => ({ name })) })),
  route('GET', '/aliases', false, (s) => ({ aliases: s.listAliases() })),
  route('POST', '/collections/aliases', true, (s, r) => applyAliasActions(s, aliasActions(r.body(), r.text)), {
    precheck: (_s, r) => void aliasActions(r.body(), r.text),
  }),
  route('GET', C, false, (s, r) => s.collectionInfo(r.params.name!)),
  route('PUT', C, true, (s, r) => {
    s.createCollection(r.params.name!, object(r.body(), 'CreateCollection'));
    return true;
  }, { precheck: (_s, r) => void parseCollectionConfig(object(r.body(), 'CreateCollection')) }),
  route('DELETE', C, true, (s, r) => s.deleteCollection(r.params.name!)),
  route('GET', `${C}/exists`, false, (s, r) => ({ exists: s.collectionExists(r.params.name!) })),
  route('GET', `${C}/aliases`, false, (s, r) => ({ aliases: s.listAliases(r.params.name!) })),
  route('PUT', `${C}/points`, true, (s, r) => s.upsertPoints(r.params.name!, upsertBody(r.body()), waitFlag(r.query)), {
    positions: false,
    precheck: (s, r) => s.checkPoints(r.params.name!, upsertBody(r.body())),
  }),
  route('POST', `${C}/points/delete`, true, (s, r) => {
    const b = object(r.body(), 'PointsSelector');
    if (!Array.isArray(b.points)) throw wrongInput('the qdrant testkit deletes points by id only: `{"points": [ids]}`');
    return s.deletePoints(r.params.name!, (b.points as unknown[]).map(parsePointId), waitFlag(r.query));
  }, { positions: false }),
  route('POST', `${C}/points/scroll`, false, (s, r) => {
    const b = object(r.body() ?? {}, 'ScrollRequest') as ScrollRequest & JsonObject;
    const limit = usize(b.limit);
    const offset = b.offset == null ? null : parsePointId(b.offset);
    return validated('scroll_request', () => s.scroll(r.params.name!, { ...b, limit, offset }));
  }),
  route('POST', `${C}/points/query`, false, (s, r) => {
    const b = object(r.body() ?? {}, 'QueryRequestInternal');
    if (!isRandomSample(b.query)) throw wrongInput('the qdrant testkit answers only `query: {sample: "random"}`');
    const limit = usize(b.limit);
    if (limit === 0) throw validationError('internal.limit: value 0 invalid, must be 1 or larger');
    return { points: s.sample(r.params.name!, { ...(b as SampleRequest & JsonObject), limit }) };
  }),
  route('POST', `${C}/points/count`, false, (s, r) => {
    const b = object(r.body() ?? {}, 'CountRequest') as CountRequest & JsonObject;
    return s.count(r.params.name!, { ...b, exact: optionalBool(b.exact) });
  }),
  route('POST', `${C}/points`, false, (s, r) => {
    const b = object(r.body(), 'PointRequest');
    if (!Array.isArray(b.ids)) throw formatError('missing field `ids`');
    const ids = (b.ids as unknown[]).map(parsePointId);
    // Qdrant 1.19 returns no payload unless asked (the OpenAPI text says the default is true).
    return s.retrieve(r.params.name!, ids, (b.with_payload ?? false) as WithPayload, (b.with_vector ?? false) as WithVector);
  }),
  route('GET', `${C}/points/([^/]+)`, false, (s, r) => {
    const id = parsePathPointId(r.params.id!);
    const [point] = s.retrieve(r.params.name!, [id], true, true);
    if (!point) throw new QdrantApiError(404, `Not found: Point with id ${String(id)} does not exists!`);
    return point;
  }),
  route('PUT', `${C}/index`, true, (s, r) => {
    const b = indexBody(r);
    return s.createPayloadIndex(r.params.name!, String(b.field_name), b.field_schema, waitFlag(r.query));
  }, {
    precheck: (s, r) => {
      const b = indexBody(r);
      if (b.field_schema != null) fieldSchemaType(b.field_schema);
      s.getCollection(r.params.name!);
    },
  }),
];

/** Finds the route and its path parameters (`name`, `id`), URL-decoded. */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    if (m[1] !== undefined) params.name = decodeURIComponent(m[1]);
    if (m[2] !== undefined) params.id = decodeURIComponent(m[2]);
    return { route: r, params };
  }
  return null;
}
