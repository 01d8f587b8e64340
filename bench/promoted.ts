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
 *
 * `--migrate [--runs new,old,old,new]`: end to end instead. One real Qdrant 1.19 loaded with rich
 * (--points) and one Milvus Lite 3; `plan -o` once, the file edited to promote the same keys; then
 * each tree's CLI (bin/qdrant2milvus.js, src through tsx in both) runs `migrate --plan FILE --yes`
 * (the file: missing vectors skipped, the target dropped first) in the order given; each run's wall time and the CLI's
 * own CPU seconds (/usr/bin/time: user + sys) and peak RSS are reported.
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
import { scrollPages } from './transcode.ts';
import { DEFAULT_BATCH_BYTES } from '../src/milvus/writer.ts';
import { dataset } from '../testkit/datasets/index.ts';
import { seedRealQdrant, startRealQdrant } from '../testkit/qdrant/real.ts';
import { startMilvus } from '../testkit/milvus/launcher.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

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
    return { plan, pages: await scrollPages(q.grpcUrl, 'rich', pageSizeFor(plan)) };
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

/** `migrate --plan` end to end, each tree's CLI in turn (see the header). */
async function migrateRuns(points: number, runs: string[], oldRoot: string): Promise<void> {
  const q = await startRealQdrant();
  const lite = await startMilvus({ engine: 'lite3' });
  try {
    await seedRealQdrant(q.restUrl, undefined, dataset('rich', points));
    const env = { ...process.env, QDRANT_URL: q.restUrl, QDRANT_GRPC_PORT: String(q.grpcPort), MILVUS_URI: lite.uri };
    const roots: Record<string, string> = { new: resolve(import.meta.dirname, '..'), old: oldRoot };
    const file = `${mkdtempSync(resolve(tmpdir(), 'q2m-promoted-'))}/plan.json`;
    const cli = (root: string, args: string[]) => spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', 'node', resolve(root, 'bin/qdrant2milvus.js'), ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const planned = cli(roots.new!, ['plan', '--collections', 'rich', '--missing-vector', 'skip', '-o', file]);
    if (![0, 1].includes(planned.status ?? -1)) throw new Error(`plan exited ${planned.status}: ${planned.stderr}`);
    const plan = JSON.parse(readFileSync(file, 'utf8')) as { collections: Array<{ payload?: PayloadKeyPlan[]; ifExists: string }> };
    // Each run replaces the last one's collection (the file's own setting wins over --if-exists).
    plan.collections[0]!.ifExists = 'drop';
    for (const [key, f] of PROMOTED) {
      const k = plan.collections[0]!.payload!.find((x) => x.key === key)!;
      k.mode = 'field';
      k.field = { name: key, nullable: true, index: null, onMismatch: 'reject', ...f };
    }
    writeFileSync(file, JSON.stringify(plan));
    console.log(`rich ${points} from real Qdrant 1.19 into Milvus Lite 3; promoted: ${PROMOTED.map(([k]) => k).join(', ')}`);
    for (const tree of runs) {
      const load0 = loadavg()[0]!;
      const r = cli(roots[tree]!, ['migrate', '--plan', file, '--yes', '--json']);
      const time = /TIME (\S+) (\S+) (\S+) (\S+)/.exec(r.stderr);
      if (r.status !== 0 || !time) throw new Error(`${tree}: migrate exited ${r.status}: ${r.stderr.slice(-2000)}`);
      const c = (JSON.parse(r.stdout) as { collections: Array<{ targetCount: number; rejectedCount: number; verified: boolean }> }).collections[0]!;
      const [wall, user, sys, rssKb] = time.slice(1).map(Number) as [number, number, number, number];
      const cpuPer1k = ((user + sys) / points) * 1000;
      console.log(`${tree.padEnd(4)} ${wall.toFixed(1)} s, our CPU ${(user + sys).toFixed(2)} s (${cpuPer1k.toFixed(3)} s/1k), peak RSS ${(rssKb / 1024).toFixed(0)} MB; ${c.targetCount} rows, ${c.rejectedCount} rejected, verified ${c.verified}; load ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`);
      console.log(`PROMOTED_MIGRATE ${JSON.stringify({ tree, points, wall, cpu: user + sys, cpuPer1k, rssMB: rssKb / 1024, rows: c.targetCount, rejected: c.rejectedCount, verified: c.verified, load: [load0, loadavg()[0]] })}`);
    }
  } finally {
    await lite.stop();
    await q.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const opts = new Command('bench/promoted.ts')
    .option('--points <n>', 'rich points recorded', '20000')
    .option('--rounds <n>', 'rounds per tree and plan (alternating)', '8')
    .option('--old <dir>', 'the old tree (git archive, node_modules symlinked)', '/tmp/D/old')
    .option('--pages <file>', 'recorded pages (made on first use)', '/tmp/D/rich-pages.bin')
    .option('--migrate', 'end to end: each tree\'s CLI migrates with the promoting plan')
    .option('--runs <trees>', 'with --migrate: the trees in run order', 'new,old,old,new')
    .parse()
    .opts<{ points: string; rounds: string; old: string; pages: string; migrate?: boolean; runs: string }>();
  if (opts.migrate) return migrateRuns(Number(opts.points), opts.runs.split(','), opts.old);
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
