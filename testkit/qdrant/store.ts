/**
 * QdrantStore: the in-memory state behind the REST and gRPC test servers. Requests and results are
 * in Qdrant's REST JSON shape (ids already parsed: integers as bigint, UUIDs as strings), so both
 * transports share every rule: ordering, normalisation, selectors, filters and error wording.
 */
import type { JsonObject, PointId } from '../../src/core/types.ts';
import { Collection, type StoredPoint } from './collection.ts';
import { collectionConfigOut, parseCollectionConfig, type CreateCollectionBody } from './config.ts';
import { collectionNotFound, formatError, notExistingVector, QdrantApiError, serdeKind, validationError, wrongInput } from './errors.ts';
import { matchesFilter, type Filter } from './filter.ts';
import { parsePointId } from './ids.ts';
import { selectPayload, type WithPayload } from './payload.ts';
import { fieldSchemaType, INDEX_PARAM_DEFAULTS } from './payload-index.ts';

export { fieldSchemaType } from './payload-index.ts';
import { collectionInfo } from './info.ts';
import { normaliseVector, splitVectorStruct, vectorToJson, type SparseValue, type StoredVector } from './vectors.ts';

export { QdrantApiError } from './errors.ts';
export type { CreateCollectionBody } from './config.ts';
export type { Filter } from './filter.ts';
export type { WithPayload } from './payload.ts';
export type { Collection, StoredPoint } from './collection.ts';

export interface RestPoint {
  id: number | bigint | string;
  vector?: unknown;
  payload?: JsonObject | null;
}

export type WithVector = boolean | string[];

export interface ScrollRequest {
  offset?: PointId | null;
  limit?: number | null;
  filter?: Filter | null;
  with_payload?: WithPayload | null;
  with_vector?: WithVector | null;
  order_by?: unknown;
}

export interface CountRequest {
  filter?: Filter | null;
  exact?: boolean;
}

export type VectorJson = number[] | number[][] | SparseValue;
/**
 * REST `Record`: `vector` is a bare value for the unnamed vector alone, else a map by name. As in
 * Qdrant, `payload` and `vector` are absent (not null) when the request did not ask for them.
 */
export interface RecordOut {
  id: PointId;
  payload?: JsonObject;
  vector?: VectorJson | Record<string, VectorJson>;
}

export interface SampleRequest {
  limit?: number | null;
  filter?: Filter | null;
  with_payload?: WithPayload | null;
  with_vector?: WithVector | null;
}

/** REST `ScoredPoint` (the subset a sample answers). */
export type ScoredOut = RecordOut & { version: number; score: number };

export interface ScrollResult {
  points: RecordOut[];
  next_page_offset: PointId | null;
}

export interface UpdateResult {
  operation_id: number;
  status: 'acknowledged' | 'completed';
}

/** A bulk source for `seed()`; `Dataset` from testkit/datasets fits it. */
export interface SeedSource {
  collection: string;
  config: CreateCollectionBody;
  payloadIndexes?: Array<{ field_name: string; field_schema: unknown }>;
  points(): Iterable<RestPoint>;
}

const SEED_BATCH = 1000;

export class QdrantStore {
  private readonly collections = new Map<string, Collection>();
  private readonly aliases = new Map<string, string>();

  createCollection(name: string, body: CreateCollectionBody): void {
    if (this.collections.has(name)) throw new QdrantApiError(409, `Wrong input: Collection \`${name}\` already exists!`);
    if (this.aliases.has(name)) throw wrongInput(`Alias with the same name \`${name}\` already exists!`);
    this.collections.set(name, new Collection(name, parseCollectionConfig(body)));
  }

  /** True when a collection was deleted (Qdrant answers `result: false` for a missing one). */
  deleteCollection(name: string): boolean {
    if (!this.collections.delete(name)) return false;
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    return true;
  }

  /** Resolves a name or an alias; throws Qdrant's 404 when neither exists. */
  getCollection(nameOrAlias: string): Collection {
    const c = this.collections.get(nameOrAlias) ?? this.collections.get(this.aliases.get(nameOrAlias) ?? '');
    if (!c) throw collectionNotFound(nameOrAlias);
    return c;
  }

  collectionExists(nameOrAlias: string): boolean {
    return this.collections.has(nameOrAlias) || this.aliases.has(nameOrAlias);
  }

  /** REST `CollectionInfo`. */
  collectionInfo(nameOrAlias: string): JsonObject {
    const c = this.getCollection(nameOrAlias);
    return collectionInfo(c, collectionConfigOut(c.config));
  }

  listCollections(): string[] {
    return [...this.collections.keys()];
  }

  /** Qdrant answers an empty list (not 404) for a collection that does not exist. */
  listAliases(collection?: string): Array<{ alias_name: string; collection_name: string }> {
    return [...this.aliases]
      .filter(([, target]) => collection === undefined || target === collection)
      .map(([alias_name, collection_name]) => ({ alias_name, collection_name }));
  }

  createAlias(alias: string, collection: string): void {
    if (!this.collections.has(collection)) throw collectionNotFound(collection);
    if (this.collections.has(alias)) throw wrongInput(`Collection with the same name \`${alias}\` already exists!`);
    this.aliases.set(alias, collection);
  }

  deleteAlias(alias: string): void {
    if (!this.aliases.delete(alias)) throw new QdrantApiError(404, `Not found: Alias \`${alias}\` doesn't exist!`);
  }

  renameAlias(oldName: string, newName: string): void {
    const target = this.aliases.get(oldName);
    if (target === undefined) throw new QdrantApiError(404, `Not found: Alias \`${oldName}\` doesn't exist!`);
    this.aliases.delete(oldName);
    this.aliases.set(newName, target);
  }

  /**
   * Upserts (replacing vectors and payload of existing ids). Every point is validated before any
   * is written, so a bad point leaves the collection untouched, as one Qdrant operation would.
   */
  upsertPoints(name: string, points: RestPoint[], wait = true): UpdateResult {
    const c = this.getCollection(name);
    const prepared = this.prepare(c, points);
    for (const p of prepared) c.put(p.id, p.vectors, p.payload);
    return { operation_id: c.operationId++, status: wait ? 'completed' : 'acknowledged' };
  }

  /** `POST /points/delete` by ids (the filter form is not served); absent ids are no error, as in Qdrant. */
  deletePoints(name: string, ids: PointId[], wait = true): UpdateResult {
    const c = this.getCollection(name);
    for (const id of ids) c.delete(id);
    return { operation_id: c.operationId++, status: wait ? 'completed' : 'acknowledged' };
  }

  /** Validates an upsert without writing it (Qdrant checks vectors before the key's access). */
  checkPoints(name: string, points: RestPoint[]): void {
    this.prepare(this.getCollection(name), points);
  }

  private prepare(c: Collection, points: RestPoint[]) {
    return points.map((p, i) => {
      const id = parsePointId(p.id);
      const vectors = new Map<string, StoredVector>();
      for (const [config, raw] of splitVectorStruct(p.vector, c.config.vectors)) {
        vectors.set(config.name, normaliseVector(config, raw, `points[${i}].vector.${config.name}`));
      }
      const payload = p.payload ?? {};
      if (typeof payload !== 'object' || Array.isArray(payload)) throw formatError(`invalid type: ${serdeKind(payload)}, expected a map`);
      return { id, vectors, payload };
    });
  }

  createPayloadIndex(name: string, field: string, schema: unknown, wait = true): UpdateResult {
    const c = this.getCollection(name);
    if (schema === undefined || schema === null) {
      throw new QdrantApiError(400, "Bad request: Can't auto-detect field type, please specify `field_schema` in the request");
    }
    const typed = typeof schema === 'object' ? (schema as JsonObject) : null;
    const dataType = fieldSchemaType(schema);
    const params = typed ? { ...(typed.type ? INDEX_PARAM_DEFAULTS[dataType] : {}), ...typed } : undefined;
    c.payloadIndexes.set(field, params ? { data_type: dataType, params } : { data_type: dataType });
    c.operationId++;
    return { operation_id: c.operationId++, status: wait ? 'completed' : 'acknowledged' };
  }

  scroll(name: string, req: ScrollRequest): ScrollResult {
    const c = this.getCollection(name);
    if (req.order_by != null) throw wrongInput('order_by is not supported by the qdrant testkit');
    const limit = req.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1) throw validationError(`limit: value ${limit} invalid, must be 1 or larger`);
    const render = this.renderer(c, req.with_payload, req.with_vector ?? false);
    const all = c.points();
    const page: RecordOut[] = [];
    // Qdrant reads limit + 1 points and hands the extra one's id back as the next offset.
    let next: PointId | null = null;
    for (let i = req.offset == null ? 0 : c.lowerBound(parsePointId(req.offset)); i < all.length; i++) {
      const p = all[i]!;
      if (req.filter && !matchesFilter(this.target(c, p), req.filter)) continue;
      if (page.length === limit) {
        next = p.id;
        break;
      }
      page.push(render(p));
    }
    return { points: page, next_page_offset: next };
  }

  /**
   * `query` with `sample: random` (the only query the test server answers): up to `limit` distinct
   * points matching the filter, in random order, each with `score: 1` and `version: 0`: Qdrant 1.19
   * reports version 0 for sampled points whatever operation wrote them (probed).
   */
  sample(name: string, req: SampleRequest): ScoredOut[] {
    const c = this.getCollection(name);
    const render = this.renderer(c, req.with_payload ?? false, req.with_vector ?? false);
    const all = c.points();
    const matching = req.filter ? all.filter((p) => matchesFilter(this.target(c, p), req.filter!)) : all;
    const n = Math.min(req.limit ?? 10, matching.length);
    // Floyd's algorithm: `n` distinct uniform positions in O(n) without copying the collection, so
    // an unfiltered sample of 10M points costs what Qdrant's does (it draws from its id tracker).
    const picked = new Set<number>();
    for (let j = matching.length - n; j < matching.length; j++) {
      const t = Math.floor(Math.random() * (j + 1));
      picked.add(picked.has(t) ? j : t);
    }
    // Floyd's set is a uniform subset, not a uniform order: shuffle it (Fisher-Yates).
    const order = [...picked];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order.map((i) => ({ ...render(matching[i]!), version: 0, score: 1 }));
  }

  /** Always exact (the test server has no approximate count). */
  count(name: string, req: CountRequest = {}): { count: number } {
    const c = this.getCollection(name);
    if (!req.filter) return { count: c.size };
    let count = 0;
    for (const p of c.points()) if (matchesFilter(this.target(c, p), req.filter)) count++;
    return { count };
  }

  /** Points in request order; unknown and repeated ids are skipped, as Qdrant does. */
  retrieve(name: string, ids: PointId[], withPayload: WithPayload | null = true, withVector: WithVector = false): RecordOut[] {
    const c = this.getCollection(name);
    const render = this.renderer(c, withPayload, withVector);
    const seen = new Set<PointId>();
    const out: RecordOut[] = [];
    for (const raw of ids) {
      const id = parsePointId(raw);
      const p = c.get(id);
      if (!p || seen.has(id)) continue;
      seen.add(id);
      out.push(render(p));
    }
    return out;
  }

  /** Creates the dataset's collection and payload indexes and loads its points, bypassing HTTP. */
  seed(dataset: SeedSource): void {
    this.createCollection(dataset.collection, dataset.config);
    for (const idx of dataset.payloadIndexes ?? []) this.createPayloadIndex(dataset.collection, idx.field_name, idx.field_schema);
    let batch: RestPoint[] = [];
    for (const p of dataset.points()) {
      batch.push(p);
      if (batch.length === SEED_BATCH) {
        this.upsertPoints(dataset.collection, batch);
        batch = [];
      }
    }
    if (batch.length > 0) this.upsertPoints(dataset.collection, batch);
  }

  private target(c: Collection, p: StoredPoint) {
    return { id: p.id, payload: p.payload, hasVector: (n: string) => c.hasVector(p, n) };
  }

  /** Builds the Record renderer once per request (selector validation included). */
  private renderer(c: Collection, withPayload: WithPayload | null | undefined, withVector: WithVector | null) {
    // Selectors are checked once up front, so an empty page still rejects a malformed one.
    selectPayload({}, withPayload);
    if (withVector !== null && typeof withVector !== 'boolean' && !Array.isArray(withVector)) {
      throw formatError('Expected a boolean, or an array of strings');
    }
    const names = withVector === true ? [...c.config.vectors.keys()] : withVector ? withVector : [];
    for (const n of names) if (!c.config.vectors.has(n)) throw notExistingVector(n);
    const wantVectors = withVector === true || Array.isArray(withVector);
    return (p: StoredPoint): RecordOut => {
      const out: RecordOut = { id: p.id };
      const payload = selectPayload(p.payload, withPayload);
      if (payload !== null) out.payload = payload;
      if (wantVectors) {
        const named: Record<string, VectorJson> = {};
        for (const n of names) {
          const v = c.vector(p, n);
          if (v !== undefined) named[n] = vectorToJson(v);
        }
        const keys = Object.keys(named);
        out.vector = keys.length === 1 && keys[0] === '' ? named['']! : named;
      }
      return out;
    };
  }
}
