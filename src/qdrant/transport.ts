/**
 * What the reader needs from a wire protocol. REST and gRPC both implement it, so the reader's
 * logic (id kinds, missing counts, ranges, retries) exists once and both transports pass the same
 * tests. Transports throw MigrationErrors (see errors.ts); not-found collections throw
 * SOURCE_COLLECTION_NOT_FOUND without the list of names, which the reader adds.
 */
import type { SourceAlias } from '../core/contracts.ts';
import type { PayloadFieldSchema, Point, PointId, SourceVector } from '../core/types.ts';

export interface ScrollRequest {
  collection: string;
  /** Inclusive start; undefined = the first point. */
  offset?: PointId;
  limit: number;
  /** false: ids only (used to probe id kinds cheaply). */
  withData: boolean;
  /** false (with withData): payloads without vectors (the payload key sample). Default true. */
  withVectors?: boolean;
  /** Dense vectors as Float32Array views of the received bytes where the transport can (gRPC). */
  packedVectors?: boolean;
  signal?: AbortSignal;
}

export interface ScrollResult {
  points: Point[];
  /** Qdrant's next_page_offset: the first id after this page, null at the end. */
  next: PointId | null;
  /** Hands the page's buffers back for reuse, once nothing refers to its points (Page.release). */
  release?: () => void;
}

/** A collection's vectors (without missing counts, which need extra queries) and payload schema. */
export interface CollectionConfig {
  vectors: Array<Omit<SourceVector, 'missingCount'>>;
  payloadSchema: Record<string, PayloadFieldSchema>;
}

export interface QdrantTransport {
  /** The endpoint this transport talks to, for messages (no secrets). */
  readonly endpoint: string;
  /** Connects, proves it is Qdrant and the key works; throws config errors naming the mistake. */
  check(): Promise<{ version: string }>;
  listCollections(signal?: AbortSignal): Promise<string[]>;
  collectionConfig(collection: string, signal?: AbortSignal): Promise<CollectionConfig>;
  /** Exact count; with `lackingVector`, only points that do not have that named vector (a list:
   *  points that lack at least one of them). */
  count(collection: string, options?: { lackingVector?: string | string[]; signal?: AbortSignal }): Promise<number>;
  scroll(request: ScrollRequest): Promise<ScrollResult>;
  /** Points by id; `withVectors: false` brings payloads only (the payload key sample); `packedVectors`
   *  as for scroll (gRPC only; REST gives numbers). */
  retrieve(collection: string, ids: PointId[], signal?: AbortSignal, options?: { withVectors?: boolean; packedVectors?: boolean }): Promise<Point[]>;
  /** Up to `limit` random ids of the collection (`query` with `sample: random`, ids only). A server
   *  without it (Qdrant < 1.11) answers 404 / 400 / UNIMPLEMENTED: thrown as a rejected request,
   *  never as "collection not found" (see SourceReader.sampleIds). */
  sample(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]>;
  /** Every alias of the server (REST `GET /aliases`, gRPC ListAliases), in the server's order. */
  listAliases(signal?: AbortSignal): Promise<SourceAlias[]>;
  close(): Promise<void>;
}
