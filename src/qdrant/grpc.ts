/**
 * gRPC transport over the official @qdrant/js-client-grpc (Connect over HTTP/2). uint64 ids and
 * int64 payload integers arrive as bigint, so nothing here can round.
 *
 * The client's own `timeout` option is disabled (Infinity) because its interceptor replaces the
 * request's AbortSignal with its own, which would make our per-call abort signal ineffective; we
 * pass Connect's `timeoutMs` and our signal per call instead.
 */
import { ConnectErrorCode as Code, QdrantClient, Sample } from '@qdrant/js-client-grpc';
import type { SourceAlias } from '../core/contracts.ts';
import type { Point, PointId } from '../core/types.ts';
import { diagnoseGrpcFailure } from './check.ts';
import { displayUrl, sourceErrors } from './errors.ts';
import { fromGrpcId, grpcCollectionConfig } from './grpc-convert.ts';
import { RawGrpcClient } from '../transcode/grpc-raw.ts';
import { BlockPool } from '../transcode/arena.ts';
import { decodeGetResponse, decodeScrollResponse, encodeGetRequest, encodeScrollRequest } from './grpc-scroll.ts';
import type { CollectionConfig, QdrantTransport, ScrollRequest, ScrollResult } from './transport.ts';

export interface GrpcTransportOptions {
  /** Qdrant URL; its scheme and host are used, its port is replaced by `grpcPort`. */
  url: string;
  apiKey?: string;
  /** Default 6334. */
  grpcPort?: number;
  timeoutMs: number;
}

export class GrpcTransport implements QdrantTransport {
  readonly endpoint: string;
  private readonly grpcUrl: string;
  private readonly client: QdrantClient;
  private readonly raw: RawGrpcClient;
  /** Blocks of packed pages, reused once a page is released (transcode/arena.ts). */
  private readonly pages = new BlockPool();
  private readonly pathPrefix: string;

  constructor(private readonly options: GrpcTransportOptions) {
    const u = new URL(options.url);
    u.port = String(options.grpcPort ?? 6334);
    this.grpcUrl = `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, '');
    this.endpoint = displayUrl(this.grpcUrl);
    this.pathPrefix = u.pathname.replace(/\/+$/, '');
    this.raw = new RawGrpcClient(`${u.protocol}//${u.host}`, options.apiKey ? { 'api-key': options.apiKey } : {});
    this.client = new QdrantClient({
      url: this.grpcUrl,
      // As a header rather than `apiKey`: the same metadata on the wire, without the client's
      // console.warn about keys over plain http (our output may be JSON; the CLI warns itself).
      ...(options.apiKey ? { headers: { 'api-key': options.apiKey } } : {}),
      timeout: Number.POSITIVE_INFINITY,
      checkCompatibility: false,
    });
  }

  async check(): Promise<{ version: string }> {
    let version = '';
    let step = 'the health check';
    try {
      version = (await this.client.api('service').healthCheck({}, this.callOptions())).version;
      // HealthCheck may be served without a key; listing collections proves the key can read.
      step = 'listing collections';
      await this.client.api('collections').list({}, this.callOptions());
    } catch (error) {
      // The server answered "slow down": transient (check() retries it), nothing to diagnose.
      if (asGrpcFailure(error)?.code === Code.ResourceExhausted) throw this.mapError(error, step);
      throw await diagnoseGrpcFailure(this.grpcUrl, error, Boolean(this.options.apiKey), step);
    }
    return { version };
  }

  async listCollections(signal?: AbortSignal): Promise<string[]> {
    const res = await this.run(() => this.client.api('collections').list({}, this.callOptions(signal)), 'listing collections', signal);
    return res.collections.map((c) => c.name).sort();
  }

  async listAliases(signal?: AbortSignal): Promise<SourceAlias[]> {
    const res = await this.run(() => this.client.api('collections').listAliases({}, this.callOptions(signal)), 'listing aliases', signal);
    return res.aliases.map((a) => ({ alias: a.aliasName, collection: a.collectionName }));
  }

  async collectionConfig(collection: string, signal?: AbortSignal): Promise<CollectionConfig> {
    const res = await this.run(
      () => this.client.api('collections').get({ collectionName: collection }, this.callOptions(signal)),
      `reading the info of collection "${collection}"`,
      signal,
      collection,
    );
    if (!res.result) throw sourceErrors.badResponse(this.grpcUrl, `no collection info for "${collection}"`);
    try {
      return grpcCollectionConfig(res.result);
    } catch (error) {
      throw sourceErrors.badResponse(this.grpcUrl, `collection info of "${collection}": ${(error as Error).message}`, error);
    }
  }

  async count(collection: string, options: { lackingVector?: string | string[]; signal?: AbortSignal } = {}): Promise<number> {
    const lacking = options.lackingVector === undefined ? [] : [options.lackingVector].flat();
    const has = (v: string) => ({ conditionOneOf: { case: 'hasVector' as const, value: { hasVector: v } } });
    // Lacking one of several = not having all of them: a nested filter inside mustNot.
    const filter =
      lacking.length === 0 ? undefined
        : lacking.length === 1 ? { mustNot: [has(lacking[0]!)] }
          : { mustNot: [{ conditionOneOf: { case: 'filter' as const, value: { must: lacking.map(has) } } }] };
    const res = await this.run(
      () => this.client.api('points').count({ collectionName: collection, exact: true, filter }, this.callOptions(options.signal)),
      `counting collection "${collection}"`,
      options.signal,
      collection,
    );
    return Number(res.result?.count ?? 0n);
  }

  /** Over our own codec and HTTP/2 call (grpc-raw.ts, grpc-scroll.ts): the hot path, measured. */
  async scroll(request: ScrollRequest): Promise<ScrollResult> {
    const bytes = await this.run(
      () => this.raw.call(`${this.pathPrefix}/qdrant.Points/Scroll`, encodeScrollRequest(request), this.callOptions(request.signal)),
      `scroll of collection "${request.collection}"`,
      request.signal,
      request.collection,
    );
    return this.decodeAndRelease(bytes, () => decodeScrollResponse(bytes, { packedVectors: request.packedVectors === true, pool: this.pages }));
  }

  /** Over our own codec, like scroll (verify fetches thousands of 768-d points per second). */
  async retrieve(collection: string, ids: PointId[], signal?: AbortSignal, options: { withVectors?: boolean; packedVectors?: boolean } = {}): Promise<Point[]> {
    if (ids.length === 0) return [];
    const bytes = await this.run(
      () => this.raw.call(`${this.pathPrefix}/qdrant.Points/Get`, encodeGetRequest(collection, ids, options.withVectors !== false), this.callOptions(signal)),
      `retrieving points of collection "${collection}"`,
      signal,
      collection,
    );
    return this.decodeAndRelease(bytes, () => decodeGetResponse(bytes, { packedVectors: options.packedVectors === true }));
  }

  async sample(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]> {
    const disabled = { selectorOptions: { case: 'enable' as const, value: false } };
    const res = await this.run(
      () =>
        this.client.api('points').query(
          { collectionName: collection, query: { variant: { case: 'sample', value: Sample.Random } }, limit: BigInt(limit), withPayload: disabled, withVectors: disabled },
          this.callOptions(signal),
        ),
      `random sample of collection "${collection}"`,
      signal,
      // No collection: NOT_FOUND here would be a server without Query, not a missing collection.
    );
    return this.decode(() => res.result.map((p) => fromGrpcId(p.id)));
  }

  async close(): Promise<void> {
    // Connect's Node transport pools HTTP/2 sessions per client and closes them when idle (the
    // client exposes no close()); our own Scroll session is closed here.
    this.raw.close();
  }

  private callOptions(signal?: AbortSignal): { timeoutMs: number; signal?: AbortSignal } {
    return { timeoutMs: this.options.timeoutMs, ...(signal ? { signal } : {}) };
  }

  /** Decodes an answer of our own HTTP/2 call, whose buffer is reused once decoded (nothing decoded refers to it). */
  private decodeAndRelease<T>(bytes: Buffer, fn: () => T): T {
    try {
      return this.decode(fn);
    } finally {
      this.raw.release(bytes);
    }
  }

  private decode<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw sourceErrors.badResponse(this.grpcUrl, (error as Error).message, error);
    }
  }

  /** Runs one call and maps gRPC status codes to MigrationErrors (never message text). */
  private async run<T>(fn: () => Promise<T>, what: string, signal?: AbortSignal, collection?: string): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.mapError(error, what, collection);
    }
  }

  private mapError(raw: unknown, what: string, collection?: string): Error {
    const failure = asGrpcFailure(raw);
    if (!failure) return sourceErrors.connection(this.grpcUrl, raw);
    const error = raw;
    switch (failure.code) {
      case Code.Unauthenticated:
        return sourceErrors.unauthorized(this.grpcUrl, Boolean(this.options.apiKey), error);
      case Code.PermissionDenied:
        return sourceErrors.forbidden(this.grpcUrl, what, error);
      case Code.NotFound:
        if (collection !== undefined) return sourceErrors.collectionNotFound(this.grpcUrl, collection);
        break;
      case Code.ResourceExhausted:
        return sourceErrors.rateLimited(this.grpcUrl, `${what}: gRPC ${Code[failure.code]}`, error, retryAfterOf(failure));
      case Code.Unavailable:
      case Code.DeadlineExceeded:
      case Code.Aborted:
      case Code.Internal:
      case Code.Unknown:
      case Code.Canceled:
        return sourceErrors.unavailable(this.grpcUrl, `${what}: gRPC ${Code[failure.code]}`, error, retryAfterOf(failure));
    }
    return sourceErrors.rejected(this.grpcUrl, what, `gRPC ${Code[failure.code]}: ${failure.rawMessage}`, error);
  }
}

interface GrpcFailure {
  code: Code;
  rawMessage: string;
  metadata?: Headers;
  retry_after?: unknown;
}

/**
 * The client throws QdrantClientResourceExhaustedError (carrying retry_after) from an
 * interceptor; its renamed `name` defeats ConnectError's Symbol.hasInstance check, so Connect
 * re-wraps it as UNKNOWN with the original as `cause` (js-client-grpc 1.19.0). Hence duck typing,
 * and looking through that wrapper so a 429 stays a 429.
 */
function asGrpcFailure(error: unknown): GrpcFailure | undefined {
  const looksLike = (e: unknown): e is GrpcFailure =>
    typeof e === 'object' && e !== null && typeof (e as GrpcFailure).code === 'number' && typeof (e as GrpcFailure).rawMessage === 'string';
  if (!looksLike(error)) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  return error.code === Code.Unknown && looksLike(cause) ? cause : error;
}

/** Seconds from the client's ResourceExhausted error or from the retry-after trailer. */
function retryAfterOf(error: GrpcFailure): number | undefined {
  const fromClient = error.retry_after;
  if (typeof fromClient === 'number' && Number.isFinite(fromClient)) return fromClient;
  const header = error.metadata?.get('retry-after') ?? null;
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) ? seconds : undefined;
}
