/**
 * Request bodies of the REST write routes (upsert, aliases), and what Qdrant checks before it looks
 * at the key's access: with a read-only key, a write whose body does not parse, or whose collection
 * does not exist (point and index writes), is answered 400 / 404 like any other; only a write
 * that would otherwise proceed gets 403 (probed on Qdrant 1.19).
 */
import type { JsonObject } from '../../src/core/types.ts';
import { formatError, QdrantApiError, serdeKind } from './errors.ts';
import { afterListElement, serdePosition } from './serde-json.ts';
import { parsePointId } from './ids.ts';
import type { QdrantStore, RestPoint } from './store.ts';

/** Throws serde's text when `body` is not a JSON object (Qdrant: column 0, before buffering). */
export function object(body: unknown, what: string): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw formatError(`invalid type: ${serdeKind(body)}, expected struct ${what} at line 1 column 0`);
  }
  return body as JsonObject;
}

function payloadOf(p: JsonObject): JsonObject | null {
  const payload = p.payload;
  if (payload === undefined || payload === null) return null;
  if (typeof payload !== 'object' || Array.isArray(payload)) throw formatError(`invalid type: ${serdeKind(payload)}, expected a map`);
  return payload as JsonObject;
}

/** `{batch: {ids, vectors, payloads}}` → list form. */
function batchToPoints(batch: JsonObject): RestPoint[] {
  const ids = batch.ids as RestPoint['id'][];
  if (!Array.isArray(ids)) throw formatError('missing field `ids`');
  if (!('vectors' in batch)) throw formatError('missing field `vectors`');
  const vectors = batch.vectors as unknown;
  const payloads = (batch.payloads ?? []) as Array<JsonObject | null>;
  return ids.map((id, i) => {
    parsePointId(id);
    let vector: unknown;
    if (Array.isArray(vectors)) vector = vectors[i];
    else if (vectors && typeof vectors === 'object') {
      vector = Object.fromEntries(Object.entries(vectors).map(([name, list]) => [name, (list as unknown[])[i]]));
    }
    return { id, vector, payload: payloads[i] ?? null };
  });
}

/**
 * `PUT /collections/{name}/points` body → points. Qdrant parses PointInsertOperations by hand, so
 * its format errors carry no `at line … column …` (the route says so: `positions: false`).
 */
export function upsertBody(body: unknown): RestPoint[] {
  const b = object(body, 'PointInsertOperations');
  if (Array.isArray(b.points)) {
    return (b.points as unknown[]).map((raw) => {
      const point = object(raw, 'PointStruct');
      if (!('id' in point)) throw formatError('missing field `id`');
      parsePointId(point.id);
      if (!('vector' in point)) throw formatError('missing field `vector`');
      return { id: point.id as RestPoint['id'], vector: point.vector, payload: payloadOf(point) };
    });
  }
  if (b.batch && typeof b.batch === 'object') return batchToPoints(b.batch as JsonObject);
  throw formatError('Invalid PointInsertOperations format');
}

type AliasAction =
  | { create: { alias: string; collection: string } }
  | { delete: string }
  | { rename: { from: string; to: string } };

/**
 * `POST /collections/aliases` body → actions (shape only; nothing is applied). This body is not
 * buffered whole by Qdrant, so serde places an action's error just after that action in `text`.
 */
export function aliasActions(body: unknown, text = ''): AliasAction[] {
  const actions = object(body, 'ChangeAliasesOperation').actions;
  if (!Array.isArray(actions)) throw formatError('missing field `actions`');
  return (actions as unknown[]).map((action, i) => {
    try {
      return aliasAction(action);
    } catch (err) {
      if (!(err instanceof QdrantApiError) || / at line \d+ column \d+$/.test(err.message)) throw err;
      const at = afterListElement(text, 'actions', i);
      throw at === undefined ? err : new QdrantApiError(err.status, err.message + serdePosition(text, at));
    }
  });
}

/** AliasOperations is an untagged enum: anything that is none of its variants fails as a whole. */
function aliasAction(action: unknown): AliasAction {
  const a = (typeof action === 'object' && action !== null ? action : {}) as JsonObject;
  const op = (key: string) => (typeof a[key] === 'object' && a[key] !== null ? (a[key] as JsonObject) : undefined);
  const create = op('create_alias');
  if (create) return { create: { alias: String(create.alias_name), collection: String(create.collection_name) } };
  const del = op('delete_alias');
  if (del) return { delete: String(del.alias_name) };
  const rename = op('rename_alias');
  if (rename) return { rename: { from: String(rename.old_alias_name), to: String(rename.new_alias_name) } };
  throw formatError('data did not match any variant of untagged enum AliasOperations');
}

export function applyAliasActions(store: QdrantStore, actions: AliasAction[]): boolean {
  for (const a of actions) {
    if ('create' in a) store.createAlias(a.create.alias, a.create.collection);
    else if ('delete' in a) store.deleteAlias(a.delete);
    else store.renameAlias(a.rename.from, a.rename.to);
  }
  return true;
}
