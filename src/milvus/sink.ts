/**
 * The Milvus / Zilliz Cloud / Milvus Lite implementation of the Sink contract (core/contracts.ts).
 */
import { promisify } from '@zilliz/milvus2-sdk-node';
import type { AliasOutcome, FinishOptions, PreparedWrite, PrepareOptions, Sink, TargetLease } from '../core/contracts.ts';
import type { CollectionPlan, Row, TargetCapabilities } from '../core/types.ts';
import { systemError } from '../core/errors.ts';
import { withRetry, type RetryOptions } from '../core/retry.ts';
import { connectMilvus, type MilvusConnection } from './client.ts';
import { createHash } from 'node:crypto';
import { capabilitiesFromVersion, fromProbes } from './capabilities.ts';
import { probeTarget } from './probe.ts';
import { PROBE_SMALL_BYTES, probeWriteRequestBytes, type WriteSizeAnswer } from './probe-write-size.ts';
import { call, type MilvusStatus } from './errors.ts';
import { acquireLeases } from './lease.ts';
import { listTargetAliases, pointAlias } from './aliases.ts';
import { deleteRows } from './delete.ts';
import { decodeRows, DYNAMIC_FIELD, parsePayload, payloadJson } from './rows.ts';
import { TargetRow } from '../core/compare-payload.ts';
import type { QueryField } from './query-codec.ts';
import { rawQuery, rowOutputFields, scanOrdered, type ScanOptions } from './scan.ts';
import { ensureIndexes, prepareCollection } from './schema.ts';
import { DEFAULT_BATCH_BYTES, detachRows, Flights, prepareUpserts, releaseBatches, RequestBuffers, sendPrepared, type DetachedBatch, type PreparedBatch, type WriteMethod } from './writer.ts';
import { estimateRowBytes } from '../core/defaults.ts';

export interface MilvusSinkOptions {
  /** `http://host:19530`, `https://…zillizcloud.com`, … */
  uri: string;
  /** `user:password` or an API key. */
  token?: string;
  /** Default `default`. */
  database?: string;
  /** Target size of one Upsert request in bytes. Default 16 MiB (Milvus refuses ~64 MB and up).
   *  Held lower where the target's writes cost more per row in larger requests (probed at prepare:
   *  probe-write-size.ts). */
  batchBytes?: number;
  /** Per-RPC deadline in ms. Default 120 000. */
  timeoutMs?: number;
  /** Client-side cap on one gRPC message (see MilvusConnectOptions.maxMessageBytes). Default none. */
  maxMessageBytes?: number;
  /** Called after each acknowledged write request, with its rows, estimated bytes, RPC and the ms from sending it to its answer. */
  onRequest?: (rows: number, bytes: number, method: WriteMethod, ms: number) => void;
  /** How transient target errors (unavailable, rate-limited, timeouts) are retried; merged over
   *  TARGET_RETRY_DEFAULTS. Config errors are never retried. */
  retry?: SinkRetryOptions;
}

export type SinkRetryOptions = Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs' | 'budgetMs' | 'onRetry'>;

/**
 * Rides out a target outage of up to a minute (a Milvus restart, a rolling upgrade, a Zilliz
 * scale-up): backoff from 0.5 s up to 5 s with jitter, bounded by time rather than a count so a
 * long outage and a flaky link get the same patience.
 */
export const TARGET_RETRY_DEFAULTS: SinkRetryOptions = { retries: Number.MAX_SAFE_INTEGER, baseMs: 500, maxMs: 5000, budgetMs: 60_000 };

/**
 * Ids per fetch query: about FETCH_BYTES of rows, at most FETCH_IDS ids (the `pk in [...]`
 * expression stays a few tens of KB). Few, large queries: Milvus 2.3.5 answers a Strong query in
 * ~0.2 s whatever its size (probed on 20k rows: `pk in` 512 or 2,048 ids alike), Milvus Lite 3.2.2
 * in a time proportional to the rows (probed on 100k rows: 35 ms for 512, 180-250 ms for 2,048).
 */
const FETCH_IDS = 2048;
const FETCH_BYTES = 8 * 2 ** 20;

/** Ids per ids-only scan window on Milvus Lite 3 (MilvusSink.scan): ~20 MB of ids as Rows. */
const LITE_IDS_WINDOW = 131_072;

function fetchChunk(plan: CollectionPlan): number {
  return Math.max(64, Math.min(FETCH_IDS, Math.floor(FETCH_BYTES / estimateRowBytes(plan))));
}

/**
 * Fetched rows for the compare engine: `$meta` kept as the target's text and parsed only when read
 * (core/compare-payload.ts TargetRow), because the walk compares the text first (basic 100k: the
 * parse of every row was ~0.3 s of the check's CPU and a tenth of what it allocated). Each row
 * carries payloadJson, what the Upserts write into `$meta`, so the walk compares the source's
 * mapped payload as the text the migration wrote.
 */
function decodeLazy(plan: CollectionPlan, fields: QueryField[]): Row[] {
  const meta = fields.find((f) => f.field_name === DYNAMIC_FIELD);
  const metas = (meta?.scalars?.json_data as { data?: Buffer[] } | undefined)?.data;
  const rows = decodeRows(plan, fields.filter((f) => f !== meta) as never);
  if (metas?.length !== rows.length) return metas ? decodeRows(plan, fields as never) : rows;
  return rows.map((r, i) => new TargetRow(r.id, r.vectors, r.scalars, metas[i]!, parsePayload, payloadJson));
}

/**
 * Probed capabilities per target (URI, database, token), for the life of the process: probing
 * creates and drops collections, so `plan` then `migrate` in one API server, or many jobs, probe once.
 */
const probed = new Map<string, Promise<TargetCapabilities>>();
/** The write-size probe's answer per target (same key): a request size to stay under, or none. */
const writeSizes = new Map<string, Promise<Omit<WriteSizeAnswer, 'dropped'>>>();

function probeKey(opts: MilvusSinkOptions): string {
  const token = opts.token ? createHash('sha256').update(opts.token).digest('hex') : '';
  return `${opts.uri}|${opts.database || 'default'}|${token}`;
}

/** The probes, or the version's guesses when the token may not create collections. */
async function detectCapabilities(conn: MilvusConnection): Promise<TargetCapabilities> {
  try {
    return fromProbes(conn.uri, conn.version, await probeTarget(conn));
  } catch (e) {
    if ((e as { code?: string }).code !== 'TARGET_AUTH') throw e;
    return capabilitiesFromVersion(conn.uri, conn.version);
  }
}

export class MilvusSink implements Sink {
  private caps: Promise<TargetCapabilities> | undefined;
  /**
   * Milvus Lite needs writes to one collection serialised (DESIGN.md), a chain per collection: its
   * Collection.insert (milvus-lite 3.2.2, engine/collection.py) swaps the memtable on flush and
   * allocates sequence numbers without a lock, so concurrent writes can race a flush. It costs
   * nothing measurable: Lite's server is GIL-bound, and 1, 2 or 4 writes in flight measured the same
   * rows/s (docs/performance.md); requests are encoded before their turn, so encoding overlaps.
   */
  private readonly writeChains = new Map<string, Promise<unknown>>();
  /** Upsert request buffers, reused from write to write (writer.ts). */
  private readonly requestBuffers = new RequestBuffers();
  /**
   * Collections this sink created for row writes: each prepared write goes there as an Insert on
   * its first try (see prepareWrite).
   */
  private readonly freshTargets = new Set<string>();
  /** Bytes one write request aims at: the option, or less where the target's probe said so (prepare). */
  private requestBytes: number;
  /** What the write-size probe measured for this target (read by the bench and tests), once prepared. */
  writeSizeProbe: WriteSizeAnswer['measured'];
  /** Drops of the write-size probe's collection this sink started; close() waits for them. */
  private readonly probeDrops: Array<Promise<void>> = [];

  private constructor(
    private readonly conn: MilvusConnection,
    private readonly opts: MilvusSinkOptions,
  ) {
    this.requestBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  }

  /** Connects and checks the target (reachable, token accepted, database exists): config errors. */
  static async connect(opts: MilvusSinkOptions): Promise<MilvusSink> {
    const conn = await connectMilvus(opts);
    return new MilvusSink(conn, opts);
  }

  /** What the target can hold AND this sink can write: plan() must refuse anything prepare() would. */
  capabilities(): Promise<TargetCapabilities> {
    // The Array-of-Struct writer for multivectors does not exist yet, so even a target that has the
    // type (Milvus ≥ 2.6.4) is reported without it (fromProbes): plan() refuses the collection up
    // front instead of prepare() failing after other collections of the job have moved.
    this.caps ??= this.cachedCapabilities();
    return this.caps;
  }

  private cachedCapabilities(): Promise<TargetCapabilities> {
    const key = probeKey(this.opts);
    let caps = probed.get(key);
    if (!caps) {
      caps = this.retrying(() => detectCapabilities(this.conn));
      probed.set(key, caps);
      // A failed probe run (target down) is not an answer: the next call probes again.
      caps.catch(() => probed.delete(key));
    }
    return caps.then((c) => ({ ...c }));
  }

  async listCollections(): Promise<string[]> {
    const res = await this.retrying(() => call(this.conn.ctx('ShowCollections'), () => this.conn.client.showCollections({ db_name: this.conn.database })));
    return res.data.map((c) => c.name).sort();
  }

  /**
   * Retried as a whole: each step re-reads the target first (has / describe / describeIndex), so
   * a repeat continues where the failed attempt stopped. One gap: a CreateCollection that
   * succeeded but whose answer was lost reads as TARGET_EXISTS under `ifExists: fail` (a config
   * error the user can answer with `--if-exists append`), never as a silent double create.
   */
  async prepare(plan: CollectionPlan, options: PrepareOptions = {}): Promise<void> {
    const { created } = await this.retrying(() => prepareCollection(this.conn, plan));
    await this.holdRequestSize();
    const fresh = created && Boolean(options.rowWrites);
    if (fresh) this.freshTargets.add(plan.target);
    else this.freshTargets.delete(plan.target);
    if (fresh) await this.loadBeforeWrites(plan.target);
  }

  /**
   * A new collection is loaded while it is empty, before the first write: the target then takes
   * each write into what it serves as it arrives, and finish() has little left to load. Loaded
   * only after the last write, Milvus 2.3.5 spent 12-15 s of a 20-24 s ref768 migrate (100k points)
   * in LoadCollection, waiting for its data node to flush and reading every sealed segment back
   * from its binlogs (docs/performance.md). The load is started, not awaited (finish() waits for
   * it): on 2.3.5 an empty collection takes ~3 s to report loaded, time the copy can use.
   * Best effort: a target that cannot load now is loaded by finish(), which reports what stops it.
   * A collection that already exists (append, resume) keeps its state: loading one full of data
   * would compete with the writes for the target's CPU. Only for row writes (PrepareOptions).
   */
  private async loadBeforeWrites(target: string): Promise<void> {
    await this.startLoad(target).catch(() => undefined);
  }

  /**
   * Requests no larger than the target takes at its best cost per row: Milvus Lite 2.5.1 takes a
   * 2 MiB Insert at ~4× the cost per row of 512 KiB ones (probe-write-size.ts). Probed once per
   * target and process, before the first write; a probe that cannot tell leaves the size as it is.
   */
  private async holdRequestSize(): Promise<void> {
    // Requests already that small (the batchBytes option) have nothing to learn from the probe.
    if (this.requestBytes <= PROBE_SMALL_BYTES) return;
    const key = probeKey(this.opts);
    let probed = writeSizes.get(key);
    if (!probed) {
      const answer = probeWriteRequestBytes(this.conn);
      this.probeDrops.push(answer.then((a) => a.dropped));
      writeSizes.set(key, (probed = answer.then(({ requestBytes, measured }) => ({ requestBytes, measured }))));
    }
    const { requestBytes, measured } = await probed;
    this.writeSizeProbe = measured;
    if (requestBytes !== undefined) this.requestBytes = Math.min(this.requestBytes, requestBytes);
  }

  async write(plan: CollectionPlan, rows: Row[], signal?: AbortSignal): Promise<void> {
    if (rows.length === 0) return;
    // Encoding is CPU work: done now, before this write's turn, so it overlaps a write in flight.
    const batches = prepareUpserts(this.conn.database, plan, rows, this.requestBytes, this.requestBuffers);
    return this.send(plan, batches, signal);
  }

  /**
   * Sink.prepareWrite: write()'s encoding now, its requests kept as bytes only (writer.ts
   * DetachedBatch): the request buffers hold copies of the rows' vectors and payload bytes, so the
   * caller's page may be released as soon as this returns.
   *
   * Into a collection this sink created for row writes, the first try is an Insert: each page of
   * the copy is sent once, in ranges that never overlap, into a collection that held nothing, so no
   * row of it can be there yet; real Milvus then skips the delete half of an Upsert (Milvus 2.3.5:
   * docs/performance.md). Any retry is an Upsert (the Insert may have landed before its answer was
   * lost), and so is everything else: write() (a page refused as too large is written again there),
   * a resumed job or an append (the collection existed), the SDK's transport (its interceptor
   * repeats calls on its own).
   */
  prepareWrite(plan: CollectionPlan, rows: Row[]): PreparedWrite {
    const batches = detachRows(prepareUpserts(this.conn.database, plan, rows, this.requestBytes, this.requestBuffers));
    const insertFirst = this.freshTargets.has(plan.target) && this.conn.rawWrites() !== undefined;
    let sent = false;
    return {
      rows: rows.length,
      send: (signal?: AbortSignal) => {
        if (sent) return Promise.reject(systemError('SINK_SENT_TWICE', `A prepared write to ${this.conn.describe(plan.target)} was sent twice; its request buffers may already hold another write.`));
        sent = true;
        return this.send(plan, batches, signal, insertFirst);
      },
    };
  }

  /**
   * Sends prepared batches in the collection's turn (Milvus Lite), then gives their buffers back
   * once no transport reads them: at once when the last send is over, or later if a cancelled
   * stream's DATA still waits in a socket (writer.ts Flights). `insertFirst`: the first try is an
   * Insert (prepareWrite), every retry an Upsert.
   */
  private send(plan: CollectionPlan, batches: Array<PreparedBatch | DetachedBatch>, signal?: AbortSignal, insertFirst = false): Promise<void> {
    const flights = new Flights();
    let method: WriteMethod = insertFirst ? 'Insert' : 'Upsert';
    // Retrying the whole call may re-send batches the target already acked: upsert makes that harmless.
    const attempt = () => {
      const options = { signal, onRequest: this.opts.onRequest, flights, method };
      method = 'Upsert';
      return sendPrepared(this.conn, plan, batches, options);
    };
    const run = () => this.retrying(attempt, signal);
    // Settled (acked, or failed after every retry): nothing sends these requests again.
    const settled = () => flights.whenIdle(() => releaseBatches(batches, this.requestBuffers));
    let mine: Promise<void>;
    if (!this.conn.lite) mine = run();
    else {
      const previous = this.writeChains.get(plan.target) ?? Promise.resolve();
      mine = previous.catch(() => undefined).then(run);
      this.writeChains.set(plan.target, mine);
    }
    return mine.finally(settled);
  }

  /**
   * Flush (seal what was written), create any missing index, load (queries and verify need it);
   * after an import, refresh the load so that the imported segments are served too.
   */
  async finish(plan: CollectionPlan, options: FinishOptions = {}): Promise<void> {
    const { client, database } = this.conn;
    await this.retrying(() => call(this.conn.ctx('Flush', plan.target), () => client.flush({ collection_names: [plan.target], db_name: database })));
    await this.retrying(() => ensureIndexes(this.conn, plan));
    // Only a collection loaded (or loading) before this load can miss imported segments: one loaded
    // now takes every segment there is, and a refresh would only wait (~5 s a collection on 2.3.5).
    const refresh = options.imported === true && (await this.retrying(() => this.wasLoaded(plan.target)));
    await this.retrying(() => this.load(plan.target));
    if (refresh) await this.retrying(() => this.refreshLoad(plan.target));
  }

  /** Whether the collection is loaded or loading; a target that cannot say counts as loaded (refresh to be safe). */
  private async wasLoaded(target: string): Promise<boolean> {
    const { client, database } = this.conn;
    const res = await call(this.conn.ctx('GetLoadState', target), () => client.getLoadState({ collection_name: target, db_name: database }));
    return (res.state as string) !== 'LoadStateNotLoad';
  }

  /**
   * Exact count: a `count(*)` query at Strong consistency. Not GetCollectionStatistics: on real
   * Milvus its row_count includes rows an upsert replaced (delete + insert) until compaction, so a
   * replayed batch would count twice.
   */
  async count(target: string): Promise<number> {
    const res = await this.retrying(async () => {
      await this.load(target);
      return this.query(target, { expr: '', output_fields: ['count(*)'] });
    });
    const col = res.fields_data.find((f) => f.field_name === 'count(*)');
    const value = (col?.scalars?.long_data as { data?: string[] } | undefined)?.data?.[0];
    if (value === undefined) throw systemError('SINK_COUNT', `count(*) on ${this.conn.describe(target)} returned no value.`);
    return Number(value);
  }

  async fetch(plan: CollectionPlan, ids: Array<bigint | string>, options: { lazyPayload?: boolean } = {}): Promise<Row[]> {
    if (ids.length === 0) return [];
    await this.retrying(() => this.load(plan.target));
    const output_fields = rowOutputFields(plan);
    const rows: Row[] = [];
    // Up to a quarter more ids per query than rows: the compare walk adds keys of small gaps
    // between source ids (core/compare-gaps.ts), which seldom hold a row; a page with a few of
    // them stays one query (Milvus 2.3.5: ~0.2 s each whatever the size), split evenly otherwise.
    const size = Math.ceil(ids.length / Math.ceil(ids.length / Math.floor(fetchChunk(plan) * 1.25)));
    for (let i = 0; i < ids.length; i += size) {
      const chunk = ids.slice(i, i + size);
      const expr = `${plan.primaryKey.field} in [${chunk.map((id) => idLiteral(plan, id)).join(', ')}]`;
      // The compare engine's Query (scan.ts): the SDK's decoding and debug JSON cost more than the compare.
      const res = await this.retrying(() => rawQuery(this.conn, plan.target)({ expr, output_fields, query_params: [] }));
      rows.push(...(options.lazyPayload ? decodeLazy(plan, res.fields_data) : decodeRows(plan, res.fields_data as never)));
    }
    return rows;
  }

  /**
   * Sink.scan: windows of `pk > last LIMIT batch`, sorted (scan.ts). Milvus Lite 3 (which has no
   * 16,384-row cap on a query) gets ids-only windows of LITE_IDS_WINDOW: each window costs it a pass
   * over every row and a sort, so fewer windows cost it less (probed on 100k rows, ids only: 7
   * windows of 16,384 took 4.4 Lite CPU s and 10.5 s, one of 131,072 3.3-3.6 s and 7.6 s).
   */
  async *scan(plan: CollectionPlan, options: ScanOptions): AsyncGenerator<Row[]> {
    await this.retrying(() => this.load(plan.target), options.signal);
    const batch = options.idsOnly && this.conn.lite ? Math.max(options.batch, LITE_IDS_WINDOW) : options.batch;
    yield* scanOrdered(plan, rawQuery(this.conn, plan.target), { ...options, batch }, (fn) => this.retrying(fn, options.signal));
  }

  /** Sink.delete (delete.ts): in the collection's write chain on Milvus Lite, like write(). */
  delete(plan: CollectionPlan, ids: ReadonlyArray<bigint | string>, signal?: AbortSignal): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    const run = () => deleteRows(this.conn, plan, ids, (fn) => this.retrying(fn, signal), signal);
    if (!this.conn.lite) return run();
    const previous = this.writeChains.get(plan.target) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(run);
    this.writeChains.set(plan.target, mine);
    return mine;
  }

  /** Sink.listAliases (aliases.ts): null on a target without alias RPCs (Milvus Lite 2.5). */
  listAliases(): Promise<Map<string, string> | null> {
    return this.retrying(() => listTargetAliases(this.conn));
  }

  /** Sink.pointAlias (aliases.ts): reads before it writes, so a retry or a resume never repeats a change. */
  pointAlias(alias: string, collection: string, mode: { move: boolean; mustExist: boolean }): Promise<AliasOutcome> {
    return this.retrying(() => pointAlias(this.conn, alias, collection, mode));
  }

  /** The lease lives in the target's `_q2m_leases` collection: see lease.ts. Retried as a whole. */
  acquireLease(targets: readonly string[], owner: string): Promise<TargetLease> {
    return this.retrying(() => acquireLeases(this.conn, targets, owner));
  }

  async close(): Promise<void> {
    await Promise.all(this.probeDrops);
    await this.conn.close();
  }

  private retrying<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, { ...TARGET_RETRY_DEFAULTS, ...this.opts.retry, ...(signal ? { signal } : {}) });
  }

  /**
   * LoadCollection, then GetLoadingProgress until 100 %. Not the SDK's loadCollectionSync: it sleeps
   * 400 ms after every progress answer, the 100 % one included, and fetch/count/scan load before
   * each call, so every `verify --sample` batch idled 400 ms (1,000 points took ~1 s; issue 12 §4).
   * A progress that is not a number (an UNIMPLEMENTED turned into `{}`) counts as loaded, as there.
   */
  private async load(target: string): Promise<void> {
    await this.startLoad(target);
    await this.untilLoaded(target, 'progress');
  }

  /**
   * LoadCollection with `refresh`, then GetLoadingProgress until its refresh_progress is 100: the
   * query nodes take the segment list again and load what they lack. Import jobs end once their
   * segments are written and indexed, not once they are served: in a collection loaded before the
   * import, Milvus 2.3.5 answered count(*) with 0 (and once 50) of 200 imported rows after the
   * import and a complete load, until its query coordinator's own periodic update; with the
   * refresh, all 200 (test/matrix/bulk.test.ts). Load with refresh is Milvus's documented step after
   * a bulk insert. A target without the field in its answer (Milvus Lite, an older server) counts
   * as refreshed.
   */
  private async refreshLoad(target: string): Promise<void> {
    const { client, database } = this.conn;
    await call(this.conn.ctx('LoadCollection', target), () => client.loadCollectionAsync({ collection_name: target, db_name: database, refresh: true }));
    await this.untilLoaded(target, 'refresh_progress');
  }

  /** GetLoadingProgress until `field` is 100 (or not a number), polling from 50 ms up to every 400 ms. */
  private async untilLoaded(target: string, field: 'progress' | 'refresh_progress'): Promise<void> {
    const { client, database } = this.conn;
    const req = { collection_name: target, db_name: database };
    for (let waitMs = 50; ; waitMs = Math.min(waitMs * 2, 400)) {
      const res = (await call(this.conn.ctx('GetLoadingProgress', target), () => client.getLoadingProgress(req))) as unknown as Record<string, unknown>;
      if (!(Number(res[field]) < 100)) return;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }

  /** LoadCollection: the load begins (and a loaded collection stays loaded); load() waits for it. */
  private async startLoad(target: string): Promise<void> {
    const { client, database } = this.conn;
    await call(this.conn.ctx('LoadCollection', target), () => client.loadCollectionAsync({ collection_name: target, db_name: database }));
  }

  /** A raw Query RPC: the SDK's query() parses `$meta` with JSON.parse, which rounds big integers. */
  private query(target: string, req: { expr: string; output_fields: string[] }) {
    type QueryResult = { status: MilvusStatus; fields_data: Array<{ field_name: string; scalars?: Record<string, unknown> }> };
    return call(this.conn.ctx('Query', target), () =>
      promisify(
        this.conn.client.channelPool,
        'Query',
        { collection_name: target, db_name: this.conn.database, ...req, consistency_level: 'Strong', query_params: [] },
        this.conn.client.timeout,
      ) as Promise<QueryResult>,
    );
  }
}

/** A primary key as a Milvus expression literal: Int64 as digits, VarChar as a quoted string. */
function idLiteral(plan: CollectionPlan, id: bigint | string): string {
  if (plan.primaryKey.type === 'Int64') {
    const s = id.toString();
    if (!/^-?\d+$/.test(s)) throw systemError('SINK_ID_TYPE', `Int64 collection ${plan.target} got a non-integer id ${s}.`);
    return s;
  }
  return JSON.stringify(String(id));
}
