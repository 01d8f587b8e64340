/**
 * The raw read ceiling (issue 12 §2): what the source can serve to a minimal gRPC client that
 * decodes nothing but the page cursor. Scroll requests are encoded like ours (grpc-scroll.ts) and
 * sent over one HTTP/2 connection of the fastest client we have (grpc-raw.ts over our own socket
 * HTTP/2, h2-socket.ts, whatever Q2M_RAW_GRPC says); of each ScrollResponse only next_page_offset is
 * read, and the points are counted by skipping their bytes. Best of 1-4 readers over id ranges
 * (cut from idsAt and the clients made before the clock starts: earlier this timed them too), page 500
 * like our reader. The pipeline's target is ≥ 0.9 × this.
 */
import { ProtoReader } from '../src/core/protobuf.ts';
import { cutPositions, rangesFromBoundaries } from '../src/core/ranges.ts';
import type { PointId } from '../src/core/types.ts';
import { RawGrpcClient } from '../src/transcode/grpc-raw.ts';
import { encodeScrollRequest } from '../src/qdrant/grpc-scroll.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { measureSpan, result, type MeasureInput, type MeasureResult } from './lib.ts';

const PAGE = 500;

/** PointId message: num 1 (varint), uuid 2 (string). */
function readId(r: ProtoReader): PointId | null {
  let id: PointId | null = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) id = r.varint64();
    else if (field === 2 && wire === 2) id = r.string();
    else r.skip(wire);
  }
  return id;
}

/** ScrollResponse: next_page_offset 1, result 2: only the cursor is decoded (receive-cost.ts too). */
export function pageOf(buf: Buffer): { points: number; next: PointId | null } {
  const r = new ProtoReader(buf);
  let points = 0;
  let next: PointId | null = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) next = readId(r.sub());
    else {
      if (field === 2) points++;
      r.skip(wire);
    }
  }
  return { points, next };
}

async function readRange(client: RawGrpcClient, collection: string, from: PointId | undefined, to: PointId | undefined, limit: { left: number }): Promise<number> {
  let n = 0;
  let offset = from;
  const before = (id: PointId) => to === undefined || (typeof id === typeof to ? id < to : typeof id === 'bigint');
  for (;;) {
    const bytes = await client.call('/qdrant.Points/Scroll', encodeScrollRequest({ collection, offset, limit: PAGE, withData: true }), { timeoutMs: 120_000 });
    const page = pageOf(bytes);
    // Its buffer serves the next answer, as the product's reader does (grpc-raw.ts).
    client.release(bytes);
    n += page.points;
    limit.left -= page.points;
    if (page.next === null || !before(page.next) || limit.left <= 0) return n;
    offset = page.next;
  }
}

/** The range boundaries for `readers` readers (an ids scan: untimed, like every measure's setup). */
async function cutsFor(endpoints: MeasureInput['endpoints'], collection: string, total: number, readers: number): Promise<PointId[]> {
  const reader = createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: 'grpc' });
  try {
    return await reader.idsAt(collection, cutPositions(total, readers, PAGE));
  } finally {
    await reader.close();
  }
}

/** Reads the ranges between `cuts` with one raw client each; only this is timed. */
async function readAll(endpoints: MeasureInput['endpoints'], collection: string, cuts: PointId[], clients: RawGrpcClient[], limit: number): Promise<number> {
  const parse = (s: string | null): PointId | undefined => (s === null ? undefined : /^\d+$/.test(s) ? BigInt(s) : s);
  const left = { left: limit };
  const counts = await Promise.all(rangesFromBoundaries(cuts).map((r, i) => readRange(clients[i % clients.length]!, collection, parse(r.from), parse(r.to), left)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Cuts the ranges and makes the clients untimed, then times the reads alone. */
async function timedRead(endpoints: MeasureInput['endpoints'], collection: string, total: number, readers: number, limit: number) {
  const cuts = await cutsFor(endpoints, collection, total, readers);
  const clients = Array.from({ length: readers }, () => new RawGrpcClient(`http://127.0.0.1:${endpoints.grpcPort}`, {}, { transport: 'socket' }));
  try {
    return await measureSpan(endpoints, () => readAll(endpoints, collection, cuts, clients, limit));
  } finally {
    for (const c of clients) c.close();
  }
}

export async function measureRawRead(input: MeasureInput): Promise<MeasureResult> {
  const { endpoints } = input;
  const slice = Math.min(input.count, Math.max(5000, Math.min(50_000, Math.round(input.count / 8))));
  const tries: Array<{ readers: number; pps?: number }> = (input.quick ? [1, 4] : [1, 2, 4]).map((readers) => ({ readers }));
  for (const t of tries) {
    const { value, span } = await timedRead(endpoints, input.workload, input.count, t.readers, slice);
    t.pps = value / span.seconds;
  }
  const best = tries.reduce((a, b) => ((b.pps ?? 0) > (a.pps ?? 0) ? b : a));
  const { value, span } = await timedRead(endpoints, input.workload, input.count, best.readers, Infinity);
  const notes = [`tried on ${slice} points: ${tries.map((t) => `×${t.readers} ${Math.round(t.pps ?? 0)}/s`).join(', ')}`];
  return result(input, value, span, `raw gRPC (socket HTTP/2), ${best.readers} readers, page ${PAGE}, cursor decode only`, notes, { tries });
}
