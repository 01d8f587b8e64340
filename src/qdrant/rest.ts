/**
 * REST transport: `fetch` + lossless JSON for every call.
 *
 * Why fetch throughout instead of the official client for the "safe" calls (info, count, list):
 * points must bypass the client anyway (it rounds ids above 2^53 on Node 20, see rest-json.ts), and
 * one small request helper gives every call the same timeout, abort, Retry-After and error
 * classification; mixing in the client would add a second error vocabulary for three GETs.
 */
import { basicAuthorization, splitUserinfo } from '../core/url-credentials.ts';
import { toPointId } from '../core/ids.ts';
import type { SourceAlias } from '../core/contracts.ts';
import type { Point, PointId } from '../core/types.ts';
import { diagnoseRestAnswer, diagnoseRestFailure } from './check.ts';
import { displayUrl, parseRetryAfter, sourceErrors } from './errors.ts';
import { isQdrantRoot, restRoot, type RestRoot } from './probe.ts';
import { restCollectionConfig, restPoint } from './rest-convert.ts';
import { parseJsonExact, stringifyJsonExact } from './rest-json.ts';
import type { CollectionConfig, QdrantTransport, ScrollRequest, ScrollResult } from './transport.ts';

export interface RestTransportOptions {
  url: string;
  apiKey?: string;
  /** Per request. */
  timeoutMs: number;
}

interface CallContext {
  /** What we asked, for messages ("scroll of collection x"). */
  what: string;
  /** Collection the call is about: a 404 then means "collection not found". */
  collection?: string;
  signal?: AbortSignal;
}

export class RestTransport implements QdrantTransport {
  readonly endpoint: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: RestTransportOptions) {
    // fetch refuses a URL with `user:password@` (and would echo it in its error): they go as
    // HTTP Basic auth instead, for a proxy in front of Qdrant that asks for it.
    const { url, userinfo } = splitUserinfo(options.url);
    this.base = url.replace(/\/+$/, '');
    this.endpoint = displayUrl(this.base);
    this.headers = {
      accept: 'application/json',
      ...(options.apiKey ? { 'api-key': options.apiKey } : {}),
      ...(userinfo ? { authorization: basicAuthorization(userinfo) } : {}),
    };
  }

  async check(): Promise<{ version: string }> {
    let root: RestRoot;
    try {
      root = await restRoot(this.base, this.headers, this.options.timeoutMs);
    } catch (error) {
      throw await diagnoseRestFailure(this.base, error);
    }
    if (root.status === 401) throw sourceErrors.unauthorized(this.base, Boolean(this.options.apiKey));
    if (root.status === 403) throw sourceErrors.forbidden(this.base, 'GET /');
    // Busy, not misconfigured: transient, so check() retries it like any other call.
    if (root.status === 429) throw sourceErrors.rateLimited(this.base, `GET /: HTTP 429`, undefined, parseRetryAfter(root.retryAfter));
    if (root.status === 408 || root.status === 502 || root.status === 503 || root.status === 504) {
      throw sourceErrors.unavailable(this.base, `GET /: HTTP ${root.status}`, undefined, parseRetryAfter(root.retryAfter));
    }
    if (!isQdrantRoot(root)) throw await diagnoseRestAnswer(this.base, root);
    // GET / needs no key on Qdrant; listing collections proves the key can read.
    await this.listCollections();
    return { version: root.version ?? 'unknown' };
  }

  async listCollections(signal?: AbortSignal): Promise<string[]> {
    const result = (await this.call('GET', '/collections', undefined, { what: 'listing collections', signal })) as {
      collections?: Array<{ name: string }>;
    };
    return (result.collections ?? []).map((c) => c.name).sort();
  }

  async listAliases(signal?: AbortSignal): Promise<SourceAlias[]> {
    const result = (await this.call('GET', '/aliases', undefined, { what: 'listing aliases', signal })) as {
      aliases?: Array<{ alias_name: string; collection_name: string }>;
    };
    return (result.aliases ?? []).map((a) => ({ alias: a.alias_name, collection: a.collection_name }));
  }

  async collectionConfig(collection: string, signal?: AbortSignal): Promise<CollectionConfig> {
    const info = await this.call('GET', `/collections/${encodeURIComponent(collection)}`, undefined, {
      what: `reading the info of collection "${collection}"`,
      collection,
      signal,
    });
    try {
      return restCollectionConfig(info);
    } catch (error) {
      throw sourceErrors.badResponse(this.base, `collection info of "${collection}": ${(error as Error).message}`, error);
    }
  }

  async count(collection: string, options: { lackingVector?: string | string[]; signal?: AbortSignal } = {}): Promise<number> {
    const lacking = options.lackingVector === undefined ? [] : [options.lackingVector].flat();
    // Lacking one of several = not having all of them: a nested filter inside must_not.
    const filter = lacking.length === 1 ? { must_not: [{ has_vector: lacking[0] }] } : { must_not: [{ must: lacking.map((v) => ({ has_vector: v })) }] };
    const body = { exact: true, ...(lacking.length > 0 ? { filter } : {}) };
    const result = (await this.call('POST', `/collections/${encodeURIComponent(collection)}/points/count`, body, {
      what: `counting collection "${collection}"`,
      collection,
      signal: options.signal,
    })) as { count: number | bigint };
    return Number(result.count);
  }

  async scroll(request: ScrollRequest): Promise<ScrollResult> {
    const body = {
      limit: request.limit,
      with_payload: request.withData,
      with_vector: request.withData && request.withVectors !== false,
      ...(request.offset !== undefined ? { offset: request.offset } : {}),
    };
    const result = (await this.call('POST', `/collections/${encodeURIComponent(request.collection)}/points/scroll`, body, {
      what: `scroll of collection "${request.collection}"`,
      collection: request.collection,
      signal: request.signal,
    })) as { points?: unknown[]; next_page_offset?: unknown };
    return this.decode(() => ({
      points: (result.points ?? []).map(restPoint),
      next: result.next_page_offset === null || result.next_page_offset === undefined ? null : toPointId(result.next_page_offset),
    }));
  }

  async retrieve(collection: string, ids: PointId[], signal?: AbortSignal, options: { withVectors?: boolean; packedVectors?: boolean } = {}): Promise<Point[]> {
    if (ids.length === 0) return [];
    const result = (await this.call(
      'POST',
      `/collections/${encodeURIComponent(collection)}/points`,
      { ids, with_payload: true, with_vector: options.withVectors !== false },
      { what: `retrieving points of collection "${collection}"`, collection, signal },
    )) as unknown[];
    return this.decode(() => result.map(restPoint));
  }

  async sample(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]> {
    const body = { query: { sample: 'random' }, limit, with_payload: false, with_vector: false };
    // No `collection` in the context: the collection was just described, so a 404 here is a Qdrant
    // without the query endpoint (< 1.10), not a missing collection.
    const result = (await this.call('POST', `/collections/${encodeURIComponent(collection)}/points/query`, body, {
      what: `random sample of collection "${collection}"`,
      signal,
    })) as { points?: Array<{ id?: unknown }> };
    return this.decode(() => (result.points ?? []).map((p) => toPointId(p.id)));
  }

  async close(): Promise<void> {
    // fetch keeps no per-transport state worth closing (undici's global pool idles out).
  }

  private decode<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw sourceErrors.badResponse(this.base, (error as Error).message, error);
    }
  }

  /** One REST call: exact JSON both ways; returns the envelope's `result`; throws MigrationErrors. */
  private async call(method: 'GET' | 'POST', path: string, body: unknown, ctx: CallContext): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    let status = 0;
    let text: string;
    let headers: Headers;
    try {
      const response = await fetch(this.base + path, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: stringifyJsonExact(body) }),
        signal,
      });
      status = response.status;
      headers = response.headers;
      text = await response.text();
    } catch (error) {
      // The caller's abort wins over everything: it is a cancellation, not a failure.
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      if (timeout.aborted) {
        throw sourceErrors.unavailable(this.base, `no answer to ${ctx.what} within ${this.options.timeoutMs} ms`, error);
      }
      throw sourceErrors.connection(this.base, error);
    }
    if (status < 200 || status > 299) throw this.httpError(status, headers, text, ctx);
    try {
      return (parseJsonExact(text) as { result?: unknown }).result;
    } catch (error) {
      throw sourceErrors.badResponse(this.base, `${ctx.what}: the body is not JSON`, error);
    }
  }

  private httpError(status: number, headers: Headers, text: string, ctx: CallContext): Error {
    if (status === 401) return sourceErrors.unauthorized(this.base, Boolean(this.options.apiKey));
    if (status === 403) return sourceErrors.forbidden(this.base, ctx.what);
    if (status === 404 && ctx.collection !== undefined) return sourceErrors.collectionNotFound(this.base, ctx.collection);
    const detail = `HTTP ${status}${qdrantErrorText(text)}`;
    if (status === 429) return sourceErrors.rateLimited(this.base, `${ctx.what}: ${detail}`, undefined, parseRetryAfter(headers.get('retry-after')));
    if (status === 408 || status >= 500) {
      return sourceErrors.unavailable(this.base, `${ctx.what}: ${detail}`, undefined, parseRetryAfter(headers.get('retry-after')));
    }
    return sourceErrors.rejected(this.base, ctx.what, detail);
  }
}

/** Qdrant's `{status: {error}}` text, or the start of a plain-text body (401s are plain text). */
function qdrantErrorText(text: string): string {
  try {
    const error = (JSON.parse(text) as { status?: { error?: unknown } }).status?.error;
    if (typeof error === 'string') return `: ${error}`;
  } catch {
    // not JSON: fall through
  }
  const plain = text.trim().slice(0, 200);
  return plain ? `: ${plain}` : '';
}
