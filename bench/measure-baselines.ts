/**
 * What our migrate is compared with:
 * (b) a naive copy written the way a user would, with the official clients: scroll 256 points
 *     with @qdrant/js-client-rest, insert them with @zilliz/milvus2-sdk-node, one after the other;
 * (c) the read ceiling: every point read with the best client and concurrency found, dropped;
 * (d) the write ceiling: rows built beforehand, sent (Upsert or Insert) at the best batch size and concurrency.
 * The ceilings try a few settings on a slice first, then run the best one on the whole workload.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { cutPositions, rangesFromBoundaries } from '../src/core/ranges.ts';
import type { CollectionPlan, PointId, Row } from '../src/core/types.ts';
import { toRows } from '../src/mapping/rows.ts';
import { createMilvusSink } from '../src/milvus/index.ts';
import type { MilvusConnection } from '../src/milvus/client.ts';
import { rawUnary } from '../src/milvus/raw-call.ts';
import { prepareUpserts } from '../src/milvus/writer.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { benchPlan, measureSpan, result, type MeasureInput, type MeasureResult } from './lib.ts';

type NaiveRow = Record<string, unknown>;

/** A Qdrant REST point as a row for the SDK's insert(); undefined when it lacks a vector. */
function naiveRow(plan: CollectionPlan, p: { id: unknown; vector?: unknown; payload?: Record<string, unknown> | null }): NaiveRow | undefined {
  const row: NaiveRow = {};
  const fields = new Set([plan.primaryKey.field, ...plan.vectors.map((v) => v.field)]);
  for (const [k, v] of Object.entries(p.payload ?? {})) if (!fields.has(k) && v !== null) row[k] = v;
  row[plan.primaryKey.field] = plan.primaryKey.type === 'Int64' ? p.id : String(p.id);
  for (const v of plan.vectors) {
    const value = v.source === '' ? p.vector : (p.vector as Record<string, unknown> | undefined)?.[v.source];
    if (value === undefined || value === null) return undefined;
    row[v.field] = value;
  }
  return row;
}

export async function measureNaive(input: MeasureInput): Promise<MeasureResult> {
  const { endpoints } = input;
  const sink = await createMilvusSink({ uri: endpoints.milvusUri });
  const qdrant = new QdrantClient({ url: endpoints.restUrl, checkCompatibility: false });
  const milvus = new MilvusClient({ address: endpoints.milvusUri, logLevel: 'error', telemetry: { enabled: false } } as ConstructorParameters<typeof MilvusClient>[0]);
  try {
    // The same schema as migrate's (created untimed): a user would have made one by hand.
    const plan = await benchPlan(createQdrantReader({ url: endpoints.restUrl, transport: 'rest' }), sink, input.workload, `bench_${input.workload}_naive`);
    await sink.prepare(plan);
    const { value: points, span } = await measureSpan(endpoints, async () => {
      let n = 0;
      let offset: string | number | undefined | null = undefined;
      do {
        const page = await qdrant.scroll(input.workload, { limit: 256, with_payload: true, with_vector: true, ...(offset != null ? { offset } : {}) });
        const data = page.points.map((p) => naiveRow(plan, p as never)).filter((r): r is NaiveRow => r !== undefined);
        if (data.length > 0) {
          const res = await milvus.insert({ collection_name: plan.target, data: data as never });
          if (res.status.error_code !== 'Success') throw new Error(`insert: ${res.status.reason}`);
        }
        n += page.points.length;
        offset = page.next_page_offset as string | number | null | undefined;
      } while (offset != null);
      await milvus.flushSync({ collection_names: [plan.target] });
      return n;
    });
    return result(input, points, span, 'js-client-rest scroll 256 → milvus2-sdk-node insert, sequential');
  } finally {
    await Promise.allSettled([sink.close(), milvus.closeConnection()]);
  }
}

/** Reads with `readers` ranges until `limit` points (or all) have come in; returns the count. */
async function readInRanges(reader: ReturnType<typeof createQdrantReader>, collection: string, total: number, readers: number, pageSize: number, limit: number): Promise<number> {
  const cuts = await reader.idsAt(collection, cutPositions(total, readers, pageSize));
  const ranges = rangesFromBoundaries(cuts);
  const parse = (s: string | null): PointId | undefined => (s === null ? undefined : /^\d+$/.test(s) ? BigInt(s) : s);
  let n = 0;
  const stop = new AbortController();
  await Promise.all(
    ranges.map(async (r) => {
      // Decoded as the pipeline decodes (dense vectors packed, payload JSON written), or this is no ceiling of it.
      for await (const page of reader.read({ collection, pageSize, range: { from: parse(r.from), to: parse(r.to) }, signal: stop.signal, packedVectors: true })) {
        n += page.points.length;
        page.release?.(); // dropped: its buffers serve the next page, as in the pipeline
        if (n >= limit) return void stop.abort();
      }
    }),
  ).catch((e) => {
    if (!stop.signal.aborted) throw e;
  });
  return n;
}

export async function measureReadCeiling(input: MeasureInput): Promise<MeasureResult> {
  const { endpoints } = input;
  const slice = Math.min(input.count, Math.max(5000, Math.min(50_000, Math.round(input.count / 8))));
  const tries: Array<{ transport: 'grpc' | 'rest'; readers: number; pageSize: number; pps?: number }> = [];
  for (const transport of ['grpc', 'rest'] as const) for (const readers of input.quick ? [1, 4] : [1, 2, 4, 8]) tries.push({ transport, readers, pageSize: 500 });
  for (const t of tries) {
    const reader = createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: t.transport });
    const { value, span } = await measureSpan(endpoints, () => readInRanges(reader, input.workload, input.count, t.readers, t.pageSize, slice));
    t.pps = value / span.seconds;
    await reader.close();
  }
  const best = tries.reduce((a, b) => ((b.pps ?? 0) > (a.pps ?? 0) ? b : a));
  const reader = createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: best.transport });
  const { value, span } = await measureSpan(endpoints, () => readInRanges(reader, input.workload, input.count, best.readers, best.pageSize, Infinity));
  await reader.close();
  const config = `${best.transport}, ${best.readers} readers, page ${best.pageSize}, decode only`;
  return result(input, value, span, config, [`tried on ${slice} points: ${tries.map((t) => `${t.transport}×${t.readers} ${Math.round(t.pps ?? 0)}/s`).join(', ')}`], { tries });
}

/** Points held encoded at a time (200k of 768-d is ~620 MB): the ceiling sends a larger workload in chunks of this many. */
const PREBUILD_MAX = 200_000;

/**
 * The workload's points (up to `limit`) as encoded Upsert requests of about `batchBytes`, built
 * untimed, in chunks of at most `chunk` points: the caller times only the sending of each chunk.
 */
async function* prebuild(input: MeasureInput, plan: CollectionPlan, database: string, batchBytes: number, limit: number, chunk = PREBUILD_MAX): AsyncGenerator<{ requests: Buffer[]; rows: number }> {
  const reader = createQdrantReader({ url: input.endpoints.restUrl, grpcPort: input.endpoints.grpcPort, transport: 'grpc' });
  const pending: Row[] = [];
  let requests: Buffer[] = [];
  let n = 0;
  let inChunk = 0;
  let rows = 0;
  const flush = () => {
    for (const b of prepareUpserts(database, plan, pending.splice(0), batchBytes)) requests.push(b.request);
  };
  const take = () => {
    flush();
    const out = { requests, rows };
    [requests, rows, inChunk] = [[], 0, 0];
    return out;
  };
  try {
    for await (const page of reader.read({ collection: input.workload, pageSize: 1000 })) {
      const mapped = toRows(plan, page.points).rows;
      pending.push(...mapped);
      rows += mapped.length;
      n += page.points.length;
      inChunk += page.points.length;
      // Enough rows for several full batches at a time, so requests come out at the asked size.
      if (pending.length >= 20_000) flush();
      if (n >= limit) break;
      if (inChunk >= chunk) yield take();
    }
    if (rows > 0) yield take();
  } finally {
    await reader.close();
  }
}

/** Every prebuilt chunk, for the tries on a slice (one chunk). */
async function prebuildAll(input: MeasureInput, plan: CollectionPlan, database: string, batchBytes: number, limit: number): Promise<{ requests: Buffer[]; rows: number }> {
  const all = { requests: [] as Buffer[], rows: 0 };
  for await (const c of prebuild(input, plan, database, batchBytes, limit, Infinity)) [all.requests, all.rows] = [c.requests, c.rows];
  return all;
}

/** Sends the requests in order with `writers` in flight (no per-collection turn: this is the ceiling). */
async function sendAll(conn: MilvusConnection, requests: Buffer[], writers: number, op: 'Upsert' | 'Insert'): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < requests.length) {
        const res = await rawUnary<{ status: { code?: number; reason?: string } }>(conn, op, requests[next++]!);
        if (res.status.code) throw new Error(`${op}: ${res.status.reason}`);
      }
    }),
  );
}

const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(2);

/** Rounds of write-ceiling tries: every setting once a round, alternate rounds in reverse order. */
const WRITE_TRY_ROUNDS = 2;

interface WriteTry {
  op: 'Upsert' | 'Insert';
  batchBytes: number;
  writers: number;
  /** Rows/s of each round, in round order. */
  runs: number[];
  /** The median of `runs`: what the best setting is chosen by. */
  rps?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Each setting tried on a slice WRITE_TRY_ROUNDS times, interleaved: round 1 in order, round 2 in
 * reverse, and so on. A target keeps compacting and indexing what the last try wrote (Milvus Lite
 * for a minute or more), so in one fixed order the later tries paid for the earlier ones and the
 * "best" setting was mostly its place in the order. Requests are encoded once per batch size.
 */
async function tryWriteSettings(input: MeasureInput, plan: CollectionPlan, sink: Awaited<ReturnType<typeof createMilvusSink>>, conn: MilvusConnection, slice: number): Promise<WriteTry[]> {
  const tries: WriteTry[] = [];
  // Milvus Lite's writes to one collection must be serialised (DESIGN.md; MilvusSink.write), so a
  // ceiling with more in flight is one no tool may safely use there: on Lite, one at a time.
  const inFlight = conn.lite ? [1] : input.quick ? [1, 2] : [1, 2, 4];
  // Request sizes: up to 16 MiB, or up to what the sink holds its requests to where the target's
  // writes cost more per row in larger ones (its write-size probe, run by prepare): on Milvus Lite
  // 2.5.1 one 16 MiB try took minutes.
  await sink.prepare(plan, { rowWrites: true });
  const held = (sink as unknown as { requestBytes: number }).requestBytes;
  const sizes = held < 2 ** 20 ? [held / 2, held] : (input.quick ? [1, 4] : [1, 4, 16]).map((m) => m * 2 ** 20);
  // Both RPCs at every setting: the migrate sends Inserts into a collection it created and Upserts
  // everywhere else (MilvusSink.prepareWrite), so the ceiling is the faster of the two.
  for (const op of ['Upsert', 'Insert'] as const) {
    for (const batchBytes of sizes) for (const writers of inFlight) tries.push({ op, batchBytes, writers, runs: [] });
  }
  const built = new Map<number, { requests: Buffer[]; rows: number }>();
  for (const t of tries) if (!built.has(t.batchBytes)) built.set(t.batchBytes, await prebuildAll(input, plan, conn.database, t.batchBytes, slice));
  for (let round = 0; round < WRITE_TRY_ROUNDS; round++) {
    for (const t of round % 2 === 0 ? tries : [...tries].reverse()) {
      const { requests, rows } = built.get(t.batchBytes)!;
      // As migrate prepares (loaded before the first write, where the target loads): the same target work.
      await sink.prepare(plan, { rowWrites: true });
      const { span } = await measureSpan(input.endpoints, () => sendAll(conn, requests, t.writers, t.op));
      t.runs.push(rows / span.seconds);
    }
  }
  for (const t of tries) t.rps = median(t.runs);
  return tries;
}

export async function measureWriteCeiling(input: MeasureInput): Promise<MeasureResult> {
  const { endpoints } = input;
  const sink = await createMilvusSink({ uri: endpoints.milvusUri });
  const conn = (sink as unknown as { conn: MilvusConnection }).conn;
  const slice = Math.min(input.count, Math.max(4000, Math.min(30_000, Math.round(input.count / 10))));
  const plan = await benchPlan(createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: 'grpc' }), sink, input.workload, `bench_${input.workload}_write`);
  try {
    const tries = await tryWriteSettings(input, plan, sink, conn, slice);
    // The fastest setting, either RPC: the migrate sends Inserts into the collection it created.
    const best = tries.reduce((a, b) => ((b.rps ?? 0) > (a.rps ?? 0) ? b : a));
    // The whole workload, like the migrate (a ceiling over 200k of 1M said nothing of the index
    // build at 1M): encoded PREBUILD_MAX points at a time, untimed; only the sends are timed.
    await sink.prepare(plan, { rowWrites: true });
    let rows = 0;
    const span = { seconds: 0, cpu: 0, sourceCpu: 0, targetCpu: 0 };
    for await (const chunk of prebuild(input, plan, conn.database, best.batchBytes, input.count)) {
      const sent = await measureSpan(endpoints, () => sendAll(conn, chunk.requests, best.writers, best.op));
      for (const k of Object.keys(span) as Array<keyof typeof span>) span[k] += sent.span[k];
      rows += chunk.rows;
    }
    // What migrate does after its last write (flush, index, load), timed apart: the target's own work.
    const finishStarted = performance.now();
    await sink.finish(plan);
    const finishSeconds = (performance.now() - finishStarted) / 1000;
    const config = `${best.op}, ${mib(best.batchBytes)} MiB batches, ${best.writers} in flight`;
    const notes = [
      `tried on ${slice} rows, ${WRITE_TRY_ROUNDS} interleaved rounds, median (each round): ${tries.map((t) => `${t.op} ${mib(t.batchBytes)}MiB×${t.writers} ${Math.round(t.rps ?? 0)}/s (${t.runs.map(Math.round).join(', ')})`).join('; ')}`,
      `then flush + index + load: ${finishSeconds.toFixed(1)} s (not in the time above)`,
    ];
    return result(input, rows, span, config, notes, { tries, finishSeconds });
  } finally {
    await sink.close();
  }
}
