/**
 * `node --import tsx bench/promoted.ts [--points 20000] [--rounds 8] [--old /tmp/D/old] [--pages FILE]`
 *
 * Our CPU per point between the two wires for a plan that promotes payload keys to typed fields,
 * two trees side by side in one process (old = a `git archive` of the tree before, node_modules
 * symlinked): the rich workload's ScrollResponse pages as a real Qdrant 1.19 sends them
 * (../shared/qdrant; recorded once into --pages and reused), then per tree decode (packed, as the
 * pipeline does) → toRows → byte-sized Upsert requests. Rounds alternate which tree goes first.
 *
 * Plans: `promoted` (nine rich keys of seven types promoted: VarChar, Int64 incl. the counters
 * above 2^53, Double, Bool, Timestamptz, Geometry, Array<VarChar>, and `note`, null on a third of
 * the points) and `plain` (nothing promoted: the byte path both trees already had, to show the
 * transcoder's extra bookkeeping costs nothing there). Both trees' Upsert bytes are checked equal.
 */
import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { PayloadKeyPlan, PromotedFieldPlan } from '../src/core/payload-schema.ts';
import type { CollectionPlan, Point, Row, TargetCapabilities } from '../src/core/types.ts';
import { pageSizeFor } from '../src/core/defaults.ts';
import { planCollection } from '../src/mapping/plan.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { RawGrpcClient } from '../src/qdrant/grpc-raw.ts';
import { decodeScrollResponse, encodeScrollRequest } from '../src/qdrant/grpc-scroll.ts';
import { DEFAULT_BATCH_BYTES } from '../src/milvus/writer.ts';
import { dataset } from '../testkit/datasets/index.ts';
import { seedRealQdrant, startRealQdrant } from '../testkit/qdrant/real.ts';

const LITE3: TargetCapabilities = {
  kind: 'milvus-lite', version: 'milvus_lite-3.2.2', float16Vector: false, sparseVector: true, nullableVector: false,
  emptySparseVector: false, arrayOfStruct: false, autoIndex: false,
};

/** The promoted keys: rich's payload (testkit/datasets/rich.ts), one or more of each type. */
const PROMOTED: Array<[string, Omit<PromotedFieldPlan, 'name' | 'nullable' | 'index' | 'onMismatch'>]> = [
  ['colour', { type: 'VarChar', maxLength: 64 }],
  ['count', { type: 'Int64' }],
  ['big_counter', { type: 'Int64' }],
  ['price', { type: 'Double' }],
  ['in_stock', { type: 'Bool' }],
  ['created_at', { type: 'Timestamptz' }],
  ['location', { type: 'Geometry' }],
  ['tags', { type: 'Array', elementType: 'VarChar', maxCapacity: 8, maxLength: 64 }],
  ['note', { type: 'VarChar', maxLength: 256 }],
];

function promote(plan: CollectionPlan): CollectionPlan {
  const payload: PayloadKeyPlan[] = PROMOTED.map(([key, f]) => ({ key, mode: 'field', field: { name: key, nullable: true, index: null, onMismatch: 'reject', ...f } }));
  return { ...plan, payload };
}

/** Rich's pages as a real Qdrant 1.19 sends them, over our raw gRPC call (as the reader gets them). */
async function recordPages(points: number): Promise<{ plan: CollectionPlan; pages: Buffer[] }> {
  const q = await startRealQdrant();
  try {
    await seedRealQdrant(q.restUrl, undefined, dataset('rich', points));
    const reader = createQdrantReader({ url: q.restUrl, transport: 'rest' });
    const source = await reader.describe('rich');
    await reader.close();
    const { plan } = planCollection(source, LITE3, { target: 'bench_rich', policies: { missingVector: 'skip' } });
    const raw = new RawGrpcClient(q.grpcUrl, {});
    const pages: Buffer[] = [];
    let offset: Point['id'] | undefined;
    do {
      const bytes = await raw.call('/qdrant.Points/Scroll', encodeScrollRequest({ collection: 'rich', offset, limit: pageSizeFor(plan), withData: true }), { timeoutMs: 60_000 });
      pages.push(Buffer.from(bytes));
      offset = decodeScrollResponse(bytes).next ?? undefined;
    } while (offset !== undefined);
    raw.close();
    return { plan, pages };
  } finally {
    await q.stop();
  }
}

/** Pages stored as [u32 length, bytes]..., the plan beside them as JSON. */
function save(file: string, plan: CollectionPlan, pages: Buffer[]): void {
  const parts: Buffer[] = [];
  for (const p of pages) {
    const n = Buffer.alloc(4);
    n.writeUInt32LE(p.length);
    parts.push(n, p);
  }
  writeFileSync(file, Buffer.concat(parts));
  writeFileSync(`${file}.plan.json`, JSON.stringify(plan));
}

function load(file: string): { plan: CollectionPlan; pages: Buffer[] } {
  const all = readFileSync(file);
  const pages: Buffer[] = [];
  for (let at = 0; at < all.length;) {
    const n = all.readUInt32LE(at);
    pages.push(Buffer.from(all.subarray(at + 4, at + 4 + n)));
    at += 4 + n;
  }
  return { plan: JSON.parse(readFileSync(`${file}.plan.json`, 'utf8')) as CollectionPlan, pages };
}

interface Tree {
  name: string;
  decode: (buf: Buffer, o: { packedVectors: boolean; pool: unknown }) => { points: Point[]; release?: () => void };
  toRows: (plan: CollectionPlan, points: Point[]) => { rows: Row[]; rejected: unknown[] };
  prepare: (db: string, plan: CollectionPlan, rows: Row[], bytes: number) => Array<{ request: Buffer }>;
  pool: unknown;
}

async function loadTree(name: string, root: string): Promise<Tree> {
  const scroll = await import(resolve(root, 'src/qdrant/grpc-scroll.ts')) as { decodeScrollResponse: Tree['decode'] };
  const rows = await import(resolve(root, 'src/mapping/rows.ts')) as { toRows: Tree['toRows'] };
  const writer = await import(resolve(root, 'src/milvus/writer.ts')) as { prepareUpserts: Tree['prepare'] };
  const arena = await import(resolve(root, 'src/transcode/arena.ts')) as { BlockPool: new () => unknown };
  return { name, decode: scroll.decodeScrollResponse, toRows: rows.toRows, prepare: writer.prepareUpserts, pool: new arena.BlockPool() };
}

const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/** One pass over every page: CPU seconds per 1,000 points, all three stages, and the requests' digest. */
function pass(tree: Tree, plan: CollectionPlan, pages: Buffer[], keep?: Buffer[]): { per1k: number; rejected: number } {
  let points = 0;
  let rejected = 0;
  const t0 = cpu();
  for (const page of pages) {
    const decoded = tree.decode(page, { packedVectors: true, pool: tree.pool });
    const mapped = tree.toRows(plan, decoded.points);
    for (const b of tree.prepare('default', plan, mapped.rows, DEFAULT_BATCH_BYTES)) keep?.push(Buffer.from(b.request));
    decoded.release?.();
    points += decoded.points.length;
    rejected += mapped.rejected.length;
  }
  return { per1k: ((cpu() - t0) / points) * 1000, rejected };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const opts = new Command('bench/promoted.ts')
    .option('--points <n>', 'rich points recorded', '20000')
    .option('--rounds <n>', 'rounds per tree and plan (alternating)', '8')
    .option('--old <dir>', 'the old tree (git archive, node_modules symlinked)', '/tmp/D/old')
    .option('--pages <file>', 'recorded pages (made on first use)', '/tmp/D/rich-pages.bin')
    .parse()
    .opts<{ points: string; rounds: string; old: string; pages: string }>();
  if (!existsSync(opts.pages)) {
    const { plan, pages } = await recordPages(Number(opts.points));
    save(opts.pages, plan, pages);
  }
  const { plan: plain, pages } = load(opts.pages);
  const promoted = promote(plain);
  const trees = [await loadTree('old', opts.old), await loadTree('new', resolve(import.meta.dirname, '..'))];
  const bytes = pages.reduce((n, p) => n + p.length, 0);
  console.log(`rich from real Qdrant 1.19: ${pages.length} pages, ${(bytes / 1e6).toFixed(1)} MB; promoted: ${PROMOTED.map(([k, f]) => `${k} ${f.type}`).join(', ')}`);
  for (const [label, plan] of [['promoted', promoted], ['plain', plain]] as const) {
    // Same requests from both trees (the property tests hold the paths equal; this is the real data).
    const out: Buffer[][] = [[], []];
    trees.forEach((t, i) => pass(t, plan, pages, out[i]));
    const same = out[0]!.length === out[1]!.length && out[0]!.every((b, i) => b.equals(out[1]![i]!));
    const runs: Record<string, number[]> = { old: [], new: [] };
    let rejected = 0;
    for (let r = 0; r < Number(opts.rounds); r++) {
      const order = r % 2 === 0 ? trees : [...trees].reverse();
      for (const t of order) {
        const res = pass(t, plan, pages);
        runs[t.name]!.push(res.per1k);
        rejected = res.rejected;
      }
    }
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(4)).join('/');
    console.log(`${label.padEnd(8)} CPU s/1k (decode+toRows+encode)  old ${fmt(runs.old!)}  median ${median(runs.old!).toFixed(4)}`);
    console.log(`${''.padEnd(8)}                                   new ${fmt(runs.new!)}  median ${median(runs.new!).toFixed(4)}`);
    console.log(`${''.padEnd(8)} requests byte-equal: ${same}; rejected per pass: ${rejected}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`PROMOTED_RESULT ${JSON.stringify({ plan: label, old: runs.old, new: runs.new, same, load: loadavg() })}`);
  }
}

await main();
