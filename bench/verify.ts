/**
 * `npm run bench -- --verify [--count 20000] [--sample 1000] [--workload ref768] [--transport grpc] [--engine lite3]
 *    [--source test|real] [--checks old,sample,sample-all,full,sync] [--change 1] [--settle]`
 *
 * Times verification after a migration, on the Qdrant test server (own process) and a Milvus
 * (Milvus Lite 3.2.2 by default; --engine lite25 | standalone23): the old sample check (checkSample: a scroll of the whole source with vectors, picking every
 * k-th point), the batched sample (checkSampleBatched: ids-only pick, both sides fetched at once)
 * at --sample and at every point, and `verify --full` (checkFull). Points/s is points compared per
 * wall second; our CPU is this process's. The migrate time is printed alongside as the yardstick
 * (issue 11: a full verify no slower than the migration). Each check's peak RSS is sampled while it
 * runs, with the load average when it ended (2 shared cores). `verify --full` and the sync passes
 * run in a child process of their own (verify-child.ts), so their peak RSS and CPU are theirs alone
 * (issue 11: verify --full flat in memory) and not the migrate's; their seconds count from the
 * child's reader and sink connected, as the migrate's do (the child's start-up is a column apart).
 * --settle waits, after the migrate, until the target stops working in the background (Milvus
 * Lite 3 compacts and indexes the migrate's segments for tens of seconds after it answered), and
 * times that as a row of its own; without it the first check shares the machine with that work.
 *
 * `sync` (after the others): the source changes by --change % of its points of each kind (new
 * points, deleted points, changed vectors, a changed or removed payload key; verify-changes.ts, any
 * workload: named, sparse, float16/uint8 vectors, UUID ids),
 * then sync pass 1 (repairs, with its counts) and pass 2 (nothing left to change) are timed.
 * --source real uses real Qdrant 1.19 (real-source.ts). JSON goes to bench/results/verify-*.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { MigrationEvents } from '../src/core/events.ts';
import { runMigration } from '../src/core/migrate.ts';
import { checkSample } from '../src/core/verify.ts';
import { checkSampleBatched } from '../src/core/verify-sample.ts';
import { createMilvusSink } from '../src/milvus/index.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { repoRoot } from '../testkit/python.ts';
import { benchPlan, processCpuSeconds } from './lib.ts';
import { startMilvus, type MilvusEngine } from '../testkit/milvus/launcher.ts';
import { startQdrantProcess } from './servers.ts';
import { startRealQdrantSource } from './real-source.ts';
import { changeSource } from './verify-changes.ts';
import type { VerifyChildInput, VerifyChildResult } from './verify-child.ts';

interface Row {
  check: string;
  points: number;
  seconds: number;
  pointsPerSecond: number;
  ourCpuSeconds: number;
  sourceCpuSeconds: number;
  targetCpuSeconds: number;
  problems: number;
  /** Highest RSS sampled during the check (the child's own peak for verify --full and sync), MB. */
  peakRssMb: number;
  load1: number;
  /** Sync passes: what the pass did. */
  counts?: Record<string, unknown>;
  /** Checks in a child: its start-up (Node, tsx, the SDK, connecting), not in `seconds`, which like
   *  the migrate's row counts from both sides connected. */
  startSeconds?: number;
}

/** Runs a verify --full or sync pass in its own process (verify-child.ts) and answers what it printed. */
function inChild(input: VerifyChildInput): Promise<VerifyChildResult> {
  return new Promise((resolve, reject) => {
    // BENCH_CHILD_CPU_PROF=<dir>: a V8 CPU profile of the check's own process (its CPU is ours).
    const prof = process.env.BENCH_CHILD_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CHILD_CPU_PROF}`] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', join(repoRoot, 'bench', 'verify-child.ts')], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_VERIFY: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as VerifyChildResult);
      else reject(new Error(`verify child (${input.check}) failed (exit ${code})`));
    });
  });
}

/** A check run by inChild(): wall time here; CPU and peak RSS the child's own. */
async function timedChild(check: string, pids: { source: number; target: number }, input: VerifyChildInput): Promise<Row> {
  let result: VerifyChildResult | undefined;
  const row = await timed(check, pids, async () => (result = await inChild(input)));
  const r = result!;
  return {
    ...row,
    seconds: r.checkSeconds,
    pointsPerSecond: Math.round(row.points / r.checkSeconds),
    startSeconds: r.startSeconds,
    ourCpuSeconds: r.cpuSeconds,
    peakRssMb: r.peakRssMb,
    ...(input.check === 'sync' && { counts: r.counts }),
  };
}

/**
 * Waits until the target's process stops working after the migrate (under 0.05 CPU s a second for
 * 3 s, at most 10 min): Milvus Lite 3 compacts the migrate's segments and builds their index in the
 * background after Flush/CreateIndex/Load have answered (probed, ref768 20k: 42 s and 25 CPU s
 * after a 9 s migrate). A check started before pays for that work; `--settle` measures it apart.
 */
async function settle(check: string, pids: { source: number; target: number }): Promise<Row> {
  const row = await timed(check, pids, async () => {
    let last = processCpuSeconds(pids.target);
    for (let quiet = 0, s = 0; quiet < 3 && s < 600; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = processCpuSeconds(pids.target);
      quiet = now - last < 0.05 ? quiet + 1 : 0;
      last = now;
    }
    return { points: 0, problems: 0 };
  });
  return { ...row, seconds: +Math.max(0, row.seconds - 3).toFixed(2), pointsPerSecond: 0 };
}

async function timed(check: string, pids: { source: number; target: number }, fn: () => Promise<{ points: number; problems: number }>): Promise<Row> {
  const cpu0 = process.cpuUsage();
  const s0 = processCpuSeconds(pids.source);
  const t0 = processCpuSeconds(pids.target);
  const start = performance.now();
  let rss = process.memoryUsage().rss;
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 50);
  const { points, problems } = await fn().finally(() => clearInterval(sampler));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    check,
    points,
    seconds: +seconds.toFixed(2),
    pointsPerSecond: Math.round(points / seconds),
    ourCpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    sourceCpuSeconds: +(processCpuSeconds(pids.source) - s0).toFixed(2),
    targetCpuSeconds: +(processCpuSeconds(pids.target) - t0).toFixed(2),
    problems,
    peakRssMb: Math.round(rss / 2 ** 20),
    load1: +loadavg()[0]!.toFixed(1),
  };
}

export async function main(argv: string[]): Promise<void> {
  const opts = new Command('bench --verify')
    .option('--verify')
    .option('--count <n>', 'points in the source', '20000')
    .option('--sample <n>', 'points for the sample checks', '1000')
    .option('--workload <name>', 'dataset', 'ref768')
    .option('--transport <t>', 'grpc | rest', 'grpc')
    .option('--skip-old', 'do not run the old sample check (slow at large counts)')
    .option('--engine <engine>', 'target: lite3 | lite25 | standalone23 (testkit launcher)', 'lite3')
    .option('--source <kind>', 'test (the Qdrant test server) | real (Qdrant 1.19)', 'test')
    .option('--checks <list>', 'old, sample (--sample N), sample-all (every point, batched), full, sync', 'old,sample,sample-all,full')
    .option('--change <percent>', 'sync: % of the source points per kind of change', '1')
    .option('--settle', "wait for the target's background work after the migrate (Milvus Lite 3: compaction, index build) before the checks, timed as a row of its own")
    .parse(['node', 'bench', ...argv])
    .opts<{ count: string; sample: string; workload: string; transport: 'grpc' | 'rest'; skipOld?: boolean; engine: MilvusEngine; source: string; checks: string; change: string; settle?: boolean }>();
  const checks = new Set(opts.checks.split(','));
  if (opts.skipOld) checks.delete('old');
  const count = Number(opts.count);
  const sample = Number(opts.sample);
  const log = (m: string) => process.stderr.write(`[bench verify] ${m}\n`);
  const qdrant = opts.source === 'real' ? await startRealQdrantSource(opts.workload, count, log) : await startQdrantProcess(opts.workload, count);
  const milvus = await startMilvus({ engine: opts.engine, startTimeoutMs: 300_000 });
  const reader = createQdrantReader({ url: qdrant.restUrl, grpcPort: qdrant.grpcPort, transport: opts.transport });
  const sink = await createMilvusSink({ uri: milvus.uri, ...(milvus.token ? { token: milvus.token } : {}) });
  const pids = { source: qdrant.pid, target: milvus.pid };
  const rows: Row[] = [];
  try {
    const plan = await benchPlan(reader, sink, opts.workload, `bench_${opts.workload}_verify`);
    const migrationPlan = { version: 1 as const, source: { url: qdrant.restUrl }, target: { uri: milvus.uri, database: 'default' }, collections: [plan] };
    const store = { load: () => [], save: () => undefined };
    rows.push(
      await timed('migrate (yardstick)', pids, async () => {
        const r = await runMigration(migrationPlan, reader, sink, { events: new MigrationEvents(), signal: new AbortController().signal, checkpoints: store });
        return { points: r.collections[0]!.written, problems: r.ok ? 0 : 1 };
      }),
    );
    if (opts.settle) rows.push(await settle('target settling (after migrate)', pids));
    const sourceCount = await reader.count(plan.source);
    if (checks.has('old')) {
      rows.push(await timed(`old checkSample --sample ${sample}`, pids, async () => {
        const r = await checkSample(plan, reader, sink, { sample, sourceCount });
        return { points: r.checked, problems: r.mismatches.length };
      }));
    }
    for (const n of [...(checks.has('sample') ? [sample] : []), ...(checks.has('sample-all') ? [sourceCount] : [])]) {
      rows.push(await timed(`batched --sample ${n}`, pids, async () => {
        const r = await checkSampleBatched(plan, reader, sink, { sample: n, sourceCount });
        return { points: r.checked, problems: r.mismatches.length };
      }));
    }
    const child = { plan, restUrl: qdrant.restUrl, grpcPort: qdrant.grpcPort, transport: opts.transport, milvusUri: milvus.uri, ...(milvus.token && { token: milvus.token }) };
    if (checks.has('full')) rows.push(await timedChild('verify --full', pids, { ...child, check: 'full' }));
    if (checks.has('sync')) {
      const changed = await changeSource(qdrant.restUrl, plan, sourceCount, Number(opts.change));
      log(`source changed: ${JSON.stringify(changed)}`);
      rows.push(await timedChild('sync pass 1', pids, { ...child, check: 'sync' }));
      rows.push(await timedChild('sync pass 2', pids, { ...child, check: 'sync' }));
    }
  } finally {
    await Promise.allSettled([reader.close(), sink.close()]);
    await Promise.allSettled([qdrant.stop(), milvus.stop()]);
  }
  const machine = { cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)) };
  console.log(`verify bench: ${opts.workload} ${count} points, source ${opts.source}, ${opts.transport}, target ${opts.engine}, load ${machine.loadavg.join(' ')}`);
  console.table(rows.map(({ counts, ...r }) => ({ ...r, ...(counts && { counts: JSON.stringify(counts) }) })));
  const ratios = yardsticks(rows);
  if (ratios) console.log(ratios);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `verify-${opts.workload}-${count}-${opts.engine}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`, workload: opts.workload, count, source: opts.source, transport: opts.transport, engine: opts.engine, machine, rows, ratios }, null, 2));
  console.log(`written ${file}`);
}

/** Issue 11's targets: verify --full ≥ 3× the sample check per point; it and sync no slower than the migrate. */
function yardsticks(rows: Row[]): string | undefined {
  const full = rows.find((r) => r.check === 'verify --full');
  if (!full) return undefined;
  const migrate = rows.find((r) => r.check.startsWith('migrate'))!;
  const sample = rows.find((r) => r.check.startsWith('batched --sample'));
  const old = rows.find((r) => r.check.startsWith('old checkSample'));
  const per = (r: Row) => `${((1000 * r.seconds) / Math.max(1, r.points)).toFixed(3)} ms/point`;
  const settled = rows.find((r) => r.check.startsWith('target settling'));
  const start = full.startSeconds === undefined ? '' : ` (its process's start-up, ${full.startSeconds} s, not counted, as the migrate's is not)`;
  return [
    ...(settled ? [`the target worked ${settled.seconds} s (${settled.targetCpuSeconds} CPU s) after the migrate returned; migrate + that = ${Math.round(migrate.points / (migrate.seconds + settled.seconds))} points/s`] : []),
    `verify --full${start} ${per(full)}, ${full.pointsPerSecond} points/s = ${(full.pointsPerSecond / migrate.pointsPerSecond).toFixed(2)}× the migrate (${migrate.pointsPerSecond} points/s; target ≥ 1)`,
    ...[sample, old].filter((r): r is Row => r !== undefined).map((r) => `  vs ${r.check}: ${per(r)}, so verify --full is ${(full.pointsPerSecond / r.pointsPerSecond).toFixed(1)}× per point (target ≥ 3)`),
    `  vs the issue's "today" (verify --sample 1000 of 20k 768-d in 38 s = 26 points/s): ${(full.pointsPerSecond / 26).toFixed(0)}× per point`,
    ...rows.filter((r) => r.check.startsWith('sync pass')).map((r) => `${r.check}: ${r.pointsPerSecond} points/s = ${(r.pointsPerSecond / migrate.pointsPerSecond).toFixed(2)}× the migrate (target ≥ 1)`),
  ].join('\n');
}
