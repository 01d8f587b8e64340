/**
 * The two connector contracts. The pipeline only ever talks to these; the Qdrant reader and the
 * Milvus sink implement them (and test doubles must not: tests use the real servers).
 */
import type {
  CollectionPlan,
  IdRange,
  Page,
  Point,
  PointId,
  Row,
  SourceCollection,
  TargetCapabilities,
} from './types.ts';

export interface ReadOptions {
  collection: string;
  /** Slice of the id space; the reader drops points at or beyond `range.to`. Whole space if absent. */
  range?: IdRange;
  /** Resume point (inclusive) inside the range; a checkpoint's cursor. */
  from?: PointId;
  pageSize: number;
  signal?: AbortSignal;
  /** Dense vectors may come as Float32Array views of the bytes the source sent (gRPC; see
   *  DenseVector), never turned into JS numbers. The pipeline asks: its sink writes them as those
   *  bytes. Default false (number[]); REST reads give number[] either way. */
  packedVectors?: boolean;
  /** Ids only: points come without vectors and payload (the compare walk's extra phase reads
   *  every source id once). A reader may ignore it (points then carry their data too). */
  idsOnly?: boolean;
}

export interface DescribeOptions {
  /** Points sampled for payload key stats (`--payload-sample`); default 1000; 0: none (the keys
   *  then come from Qdrant's payload_schema alone). */
  payloadSample?: number;
}

export interface SourceReader {
  /** Called first by every command. Resolves with the server version; throws a config
   *  MigrationError that names the cause (unreachable, wrong port, TLS mismatch, 401, 403). */
  check(): Promise<{ version: string }>;
  /** Collection names (not aliases), sorted. */
  listCollections(): Promise<string[]>;
  /** Everything plan() needs. Throws config SOURCE_COLLECTION_NOT_FOUND for an unknown name.
   *  Also samples `options.payloadSample` points (default 1000, 0: none) for the payload keys'
   *  stats (SourceCollection.payloadKeys): a few extra requests, spread over the id space. */
  describe(collection: string, options?: DescribeOptions): Promise<SourceCollection>;
  /** Exact point count (verify calls it after the migration). */
  count(collection: string): Promise<number>;
  /** Exact number of points that lack at least one of these named vectors (0 for none): the points
   *  a plan with `missingVector: skip` leaves out, counted with the has_vector filters describe()
   *  used. A standalone `verify` calls it to know how many points the target must lack. */
  countLacking(collection: string, vectors: readonly string[]): Promise<number>;
  /** Pages in Qdrant's id order. Ends when the range is exhausted; stops early when `signal` aborts. */
  read(options: ReadOptions): AsyncIterable<Page>;
  /**
   * The ids at these 0-based positions of the collection's scroll order (positions ascending);
   * positions at or past the end are left out. The pipeline calls it once per collection, before
   * the first copy, to cut the id space into ranges of equal size for parallel readers.
   */
  idsAt(collection: string, positions: readonly number[], signal?: AbortSignal): Promise<PointId[]>;
  /**
   * Optional. Up to `limit` distinct ids drawn at random from the whole collection (Qdrant's
   * `query` with `sample: random`), in no particular order. The pipeline calls it once per fresh
   * collection, before the first copy and only for collections large enough to be worth it, to cut
   * the id space at the sample's quantiles instead of scanning every id with idsAt(). Outcomes:
   * the ids (fewer than `limit` when the collection holds fewer); a rejection when the source
   * cannot sample (an older Qdrant: HTTP 404 / 400, gRPC UNIMPLEMENTED / INVALID_ARGUMENT) or the
   * call failed after the reader's retries: the pipeline then falls back to idsAt(); an abort
   * rejects with the signal's reason. No outcome can lose points: ranges cover the whole id space
   * whatever the boundaries, so the sample decides only how evenly the work is shared.
   */
  sampleIds?(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]>;
  /**
   * Points by id with vectors and payload, for verify --sample. Missing ids are absent.
   * `packedVectors`: as for read() (dense vectors may come as Float32Array); default false.
   * `withVectors: false`: no vectors (the compare walk only asks which ids exist); default true.
   */
  retrieve(collection: string, ids: PointId[], options?: { packedVectors?: boolean; withVectors?: boolean }): Promise<Point[]>;
  /**
   * Optional. Every alias of the source (Qdrant `GET /aliases`, gRPC ListAliases), sorted by alias.
   * buildPlan() calls it once per plan, unless the user passed `--no-aliases`, so that each
   * collection's plan lists the aliases to carry. Outcomes: the list (empty when there are none);
   * a rejection after the reader's retries (auth, unreachable), which fails the plan like
   * listCollections() would. A reader without it carries no aliases.
   */
  listAliases?(): Promise<SourceAlias[]>;
  close(): Promise<void>;
}

/** One Qdrant alias: `alias` resolves to `collection`. */
export interface SourceAlias {
  alias: string;
  collection: string;
}

/** Sink.prepareWrite's result: request bytes ready to send. Never sent: its buffers go to the GC. */
export interface PreparedWrite {
  /** Rows it writes. */
  readonly rows: number;
  /** Resolves once the target acknowledged every row (see Sink.prepareWrite for the one exception). */
  send(signal?: AbortSignal): Promise<void>;
}

export interface PrepareOptions {
  /**
   * The rows will arrive by write() (the copy pipeline), not by the target's own import: a new
   * collection may then be loaded before the first write (Milvus serves upserts as they arrive, and
   * finish() has nothing left to load), and its prepared writes may go as Inserts on their first
   * try (nothing can be in it yet). Not for bulk imports: a collection loaded before its import
   * serves the imported segments only once finish() refreshes the load (FinishOptions), which
   * would buy nothing there.
   */
  rowWrites?: boolean;
}

export interface FinishOptions {
  /**
   * The rows arrived by the target's own import (bulk mode), not by write(). A collection that was
   * already loaded when the import ran (append, a resumed job, a collection the user serves) does
   * not serve the imported segments until its segment list is refreshed: Milvus 2.3.5 reports the
   * load complete and counts the rows it served before the import.
   */
  imported?: boolean;
}

export interface Sink {
  /** Called first. Resolves with what the target can hold; throws config errors (unreachable, auth, db). */
  capabilities(): Promise<TargetCapabilities>;
  /** Collection names in the target database. */
  listCollections(): Promise<string[]>;
  /** Creates the collection (schema + indexes) per `plan.ifExists`: fail if it exists, append to it
   *  (schema must match), or drop and create. Called once per collection before any write. */
  prepare(plan: CollectionPlan, options?: PrepareOptions): Promise<void>;
  /** Writes rows; idempotent by primary key (upsert), so a replay never duplicates. Resolves only
   *  once the target acknowledged every row; splits batches that are too large, never drops one. */
  write(plan: CollectionPlan, rows: Row[], signal?: AbortSignal): Promise<void>;
  /**
   * Optional: write() in two halves, for the copy pipeline (core/pipeline.ts). prepareWrite does
   * the CPU half now (rows → request bytes); once it returns the sink holds nothing of `rows` or of
   * the memory their vectors and payloads live in, so the caller may release the page at once and
   * keep only the bytes while the write waits for its turn. `send` is the network half, with
   * write()'s outcomes, but it cannot halve a request the target refuses as too large (the rows are
   * gone): it rejects with code TARGET_REQUEST_TOO_LARGE, and the caller writes the same rows again
   * through write(), which halves. Call `send` at most once.
   */
  prepareWrite?(plan: CollectionPlan, rows: Row[]): PreparedWrite;
  /** Flush and load, after the last write: every acknowledged or imported row is then served. */
  finish(plan: CollectionPlan, options?: FinishOptions): Promise<void>;
  /** Exact entity count of a target collection. */
  count(target: string): Promise<number>;
  /** Rows by primary key, for verify --sample and the compare walk (`verify --full`, `sync`).
   *  Missing keys are absent; a key the target holds twice comes as often as the target returns
   *  it (Milvus 2.3.5 returns one copy, though count(*) counts both; Milvus Lite 3.2.2 keeps one).
   *  `lazyPayload` (the compare walk): rows may keep the target's payload text and parse `dynamic`
   *  on first read (core/compare-payload.ts TargetRow), so spreading such a row loses `dynamic`. */
  fetch(plan: CollectionPlan, ids: Array<bigint | string>, options?: { lazyPayload?: boolean }): Promise<Row[]>;
  /**
   * The whole target collection in ascending primary-key order (Int64 numerically, VarChar by
   * code unit), in windows of `batch` rows, for the compare walk's extra phase (core/compare-extra.ts).
   * Holds one window in memory; loads the collection first. Each window is requested as `pk > last
   * LIMIT batch` and sorted before it is yielded, so a target that returns a window's rows unsorted
   * is still read in order. Outcomes: windows until the end; an abort of `signal` rejects with its
   * reason; target errors as in fetch(). `idsOnly` leaves vectors null and payloads empty; `after`
   * starts past that key (a resumed verify or sync continues from its checkpoint).
   */
  scan(plan: CollectionPlan, options: { batch: number; idsOnly?: boolean; after?: bigint | string; signal?: AbortSignal }): AsyncIterable<Row[]>;
  /**
   * Deletes the rows with these primary keys (every copy of a key real Milvus kept twice), for
   * `sync` (core/sync.ts): the target rows the source no longer has, and the points the plan now
   * leaves out. Called between write()s of the same collection, in the compare engine's id order;
   * resolves only once the target acknowledged every delete, so a checkpoint saved after it never
   * covers a row still there. Ids the target does not hold are no error (a replay after a resume
   * deletes them again, harmlessly). Sent in bounded requests (`pk in [...]`, 1,000 keys each); an
   * abort of `signal` rejects with its reason between requests. Outcomes: config SINK_ID_TYPE for
   * a non-integer key of an Int64 collection; target errors as in write().
   */
  delete(plan: CollectionPlan, ids: ReadonlyArray<bigint | string>, signal?: AbortSignal): Promise<void>;
  /**
   * Makes job `owner` the only writer of these target collections, across processes, machines and
   * data dirs (the lease lives in the target). The job engine calls it once per run, before
   * prepare() (so before any `--if-exists drop`), renews it every third of `ttlMs` while the job
   * runs, and releases it at the end. Outcomes: a held TargetLease; config TARGET_BUSY when another
   * job holds an unexpired lease on one of them (nothing is held then). The same owner (a resumed
   * job) retakes its own lease at once; another owner only after expiry.
   */
  acquireLease(targets: readonly string[], owner: string): Promise<TargetLease>;
  /**
   * Optional. Every alias of the target database and the collection it points at. buildPlan()
   * calls it once per plan, when some collection plans aliases, to find conflicts before any data
   * moves. Outcomes: the map; null when the target has no alias RPCs (Milvus Lite 2.5 answers
   * UNIMPLEMENTED), so plan() can say the aliases will not be carried; config/transient errors as
   * for listCollections(). A sink without it is treated as a target without aliases.
   */
  listAliases?(): Promise<Map<string, string> | null>;
  /**
   * Optional (present whenever listAliases is). Points `alias` at `collection`. The migration
   * calls it after the collection is verified (and for `switch` aliases, after every collection of
   * the job is), once per planned alias; on resume it is called again, so it must be idempotent:
   * it reads the alias first and answers `unchanged` when it already points there. `move: false`
   * never repoints an alias found on another collection (config ALIAS_EXISTS, with the fix);
   * `move: true` repoints it with AlterAlias, atomic on the server (readers switch from one query
   * to the next). A `switch` alias that does not exist is config ALIAS_NOT_FOUND, never created.
   */
  pointAlias?(alias: string, collection: string, mode: { move: boolean; mustExist: boolean }): Promise<AliasOutcome>;
  close(): Promise<void>;
}

/** What Sink.pointAlias did. `moved` carries the collection the alias pointed at before. */
export type AliasOutcome = { action: 'created' | 'unchanged' } | { action: 'moved'; from: string };

/** A held lease (Sink.acquireLease). */
export interface TargetLease {
  /** How long it holds without renewal, ms. */
  readonly ttlMs: number;
  /** Extends it. Throws config TARGET_LEASE_LOST when another job took it (the caller must stop
   *  writing); transient errors when the target is unreachable (the caller retries next time). */
  renew(): Promise<void>;
  /** Gives up what is still ours. Best effort: an unreleased lease simply expires. */
  release(): Promise<void>;
}
