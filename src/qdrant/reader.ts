/**
 * The SourceReader over a QdrantTransport: describe (id kinds, missing-vector counts), ranged
 * scroll with retries. Protocol-free, so REST and gRPC behave identically.
 */
import type { DescribeOptions, ReadOptions, SourceAlias, SourceReader } from '../core/contracts.ts';
import { compareIds, INT64_LIMIT, MIN_UUID } from '../core/ids.ts';
import { withRetry, type RetryOptions } from '../core/retry.ts';
import { UNNAMED_VECTOR, type IdKinds, type Page, type Point, type PointId, type SourceCollection } from '../core/types.ts';
import { isNotFound, sourceErrors } from './errors.ts';
import type { QdrantTransport } from './transport.ts';
import { DEFAULT_PAYLOAD_SAMPLE, samplePayloadKeys } from './payload-sample.ts';

/** Ids per request of the ids-only scroll that finds range boundaries. */
const ID_PAGE = 10_000;

/** Retry settings for the reader's requests (see core/retry.ts for defaults). */
export type ReaderRetryOptions = Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs' | 'maxRetryAfterMs' | 'budgetMs' | 'onRetry'>;

export class QdrantReader implements SourceReader {
  constructor(
    private readonly transport: QdrantTransport,
    private readonly retry: ReaderRetryOptions = {},
  ) {}

  /** Config errors (unreachable, wrong port, 401, 403) fail fast with the reason; a transient answer
   *  (429, 5xx) at first contact gets the same retry budget as every other call. */
  check(): Promise<{ version: string }> {
    return this.withRetry(() => this.transport.check());
  }

  listCollections(): Promise<string[]> {
    return this.withRetry((signal) => this.transport.listCollections(signal));
  }

  async describe(collection: string, options: DescribeOptions = {}): Promise<SourceCollection> {
    const config = await this.about(collection, () => this.withRetry((s) => this.transport.collectionConfig(collection, s)));
    const [pointsCount, idKinds, missing] = await Promise.all([
      this.count(collection),
      this.idKinds(collection),
      Promise.all(
        config.vectors.map((v) =>
          // Every point has the unnamed vector (Qdrant requires it), so only named ones are counted.
          v.name === UNNAMED_VECTOR ? 0 : this.withRetry((s) => this.transport.count(collection, { lackingVector: v.name, signal: s })),
        ),
      ),
    ]);
    // After the count: a collection no larger than the sample is read whole, in order.
    const sample = await samplePayloadKeys(this.transport, (fn) => this.about(collection, () => this.withRetry(fn)), collection,
      config.payloadSchema, pointsCount, options.payloadSample ?? DEFAULT_PAYLOAD_SAMPLE);
    return {
      name: collection,
      pointsCount,
      vectors: config.vectors.map((v, i) => ({ ...v, missingCount: missing[i] ?? 0 })),
      idKinds,
      payloadSchema: config.payloadSchema,
      payloadKeys: sample.keys,
    };
  }

  count(collection: string): Promise<number> {
    return this.about(collection, () => this.withRetry((signal) => this.transport.count(collection, { signal })));
  }

  countLacking(collection: string, vectors: readonly string[]): Promise<number> {
    if (vectors.length === 0) return Promise.resolve(0);
    return this.about(collection, () => this.withRetry((signal) => this.transport.count(collection, { lackingVector: [...vectors], signal })));
  }

  /**
   * Id kinds from three one-point, id-only scrolls instead of a scan. Qdrant orders all integers
   * before all UUIDs, and `offset` is inclusive, so:
   * - from the start: the first id is an integer below 2^63 iff such integers exist
   *   (integers ascend, so the smallest comes first; a UUID first means there are no integers);
   * - from the smallest UUID: a point comes back iff any UUID exists;
   * - from 2^63: the first point is an integer iff an integer >= 2^63 exists (otherwise it is the
   *   first UUID, or nothing), which is why this one alone cannot answer "any UUID?".
   */
  async idKinds(collection: string): Promise<IdKinds> {
    const first = (offset?: PointId) =>
      this.about(collection, () =>
        this.withRetry((signal) => this.transport.scroll({ collection, offset, limit: 1, withData: false, signal })),
      ).then((r) => r.points[0]?.id);
    const [start, firstUuid, from63] = await Promise.all([first(), first(MIN_UUID), first(INT64_LIMIT)]);
    return {
      int: typeof start === 'bigint' && start < INT64_LIMIT,
      uuid: firstUuid !== undefined,
      intAbove63: typeof from63 === 'bigint' && from63 >= INT64_LIMIT,
    };
  }

  /**
   * Pages of `pageSize` points from `from ?? range.from` up to (excluding) `range.to`. The last
   * page has `next: null`. An abort rejects with the signal's reason (it never looks like the end
   * of the range, so a cancelled read cannot be checkpointed as complete).
   */
  async *read(options: ReadOptions): AsyncGenerator<Page> {
    const { collection, range, signal } = options;
    if (!(options.pageSize >= 1)) throw new RangeError(`pageSize must be >= 1, got ${options.pageSize}`);
    let cursor: PointId | undefined = options.from ?? range?.from;
    while (true) {
      signal?.throwIfAborted();
      const offset = cursor;
      const page = await this.about(collection, () =>
        this.withRetry((s) => this.transport.scroll({ collection, offset, limit: options.pageSize, withData: !options.idsOnly, packedVectors: options.packedVectors, signal: s }), signal),
      );
      const clipped = clipToRange(page.points, page.next, range?.to);
      yield page.release ? { ...clipped, release: page.release } : clipped;
      if (clipped.next === null) return;
      cursor = clipped.next;
    }
  }

  /**
   * Ids at the given positions, from one ids-only scroll (no payload, no vectors) in pages of
   * ID_PAGE, stopping at the last position. Qdrant's scroll cannot skip by position, so this is
   * O(N); its ranges are exactly equal for any id distribution. The split uses it for collections
   * below the sampling threshold and wherever sampleIds() is unavailable or fails.
   */
  async idsAt(collection: string, positions: readonly number[], signal?: AbortSignal): Promise<PointId[]> {
    const out: PointId[] = [];
    let want = 0;
    let seen = 0;
    let offset: PointId | undefined;
    while (want < positions.length) {
      signal?.throwIfAborted();
      const page = await this.about(collection, () =>
        this.withRetry((s) => this.transport.scroll({ collection, offset, limit: ID_PAGE, withData: false, signal: s }), signal),
      );
      for (; want < positions.length && positions[want]! < seen + page.points.length; want++) {
        out.push(page.points[positions[want]! - seen]!.id);
      }
      seen += page.points.length;
      if (page.next === null) break;
      offset = page.next;
    }
    return out;
  }

  /**
   * One ids-only `query` with `sample: random` (Qdrant 1.11+). Not wrapped in the not-found
   * lookup: a 404 here means a server without the endpoint, and the caller falls back to a scan,
   * which reports a truly missing collection itself. Transient failures are retried as usual.
   */
  async sampleIds(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]> {
    if (!(limit >= 1)) throw new RangeError(`limit must be >= 1, got ${limit}`);
    return this.withRetry((s) => this.transport.sample(collection, limit, s), signal);
  }

  async listAliases(): Promise<SourceAlias[]> {
    const aliases = await this.withRetry((signal) => this.transport.listAliases(signal));
    return aliases.sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  }

  async retrieve(collection: string, ids: PointId[], options: { packedVectors?: boolean; withVectors?: boolean } = {}): Promise<Point[]> {
    return this.about(collection, () => this.withRetry((signal) => this.transport.retrieve(collection, ids, signal, options)));
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private withRetry<T>(fn: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(() => fn(signal), { ...this.retry, ...(signal ? { signal } : {}) });
  }

  /** Adds the list of existing collections to a not-found error (best effort). */
  private async about<T>(collection: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const available = await this.transport.listCollections().catch(() => undefined);
      throw sourceErrors.collectionNotFound(this.transport.endpoint, collection, available);
    }
  }
}

/** Drops points at or beyond `to` (exclusive); the page then ends the range. */
export function clipToRange(points: Point[], next: PointId | null, to: PointId | undefined): Page {
  if (to === undefined) return { points, next };
  const cut = points.findIndex((p) => compareIds(p.id, to) >= 0);
  if (cut >= 0) return { points: points.slice(0, cut), next: null };
  return { points, next: next !== null && compareIds(next, to) < 0 ? next : null };
}
