/**
 * `npm run bench -- --verify [--count 20000] [--sample 1000] [--workload ref768] [--transport grpc] [--engine lite3]
 *    [--source test|real] [--checks old,sample,sample-all,full]`
 *
 * Times verification after a migration, on the Qdrant test server (own process) and a Milvus
 * (Milvus Lite 3.2.2 by default; --engine lite25 | standalone23): the old sample check (checkSample: a scroll of the whole source with vectors, picking every
 * k-th point), the batched sample (checkSampleBatched: ids-only pick, both sides fetched at once)
 * at --sample and at every point, and `verify --full` (checkFull). Points/s is points compared per
 * wall second; our CPU is this process's. The migrate time is printed alongside as the yardstick
 * (issue 11: a full verify no slower than the migration). Each check's peak RSS is sampled while it
 * runs (issue 11: verify --full flat in memory), with the load average when it ended (2 shared
 * cores). --source real uses real Qdrant 1.19 (real-source.ts). JSON goes to bench/results/verify-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { MigrationEvents } from '../src/core/events.ts';
import { runMigration } from '../src/core/migrate.ts';
import { checkSample } from '../src/core/verify.ts';
import { checkSampleBatched } from '../src/core/verify-sample.ts';
import { checkFull } from '../src/core/verify-full.ts';
import { createMilvusSink } from '../src/milvus/index.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { repoRoot } from '../testkit/python.ts';
import { benchPlan, processCpuSeconds } from './lib.ts';
import { startMilvus, type MilvusEngine } from '../testkit/milvus/launcher.ts';
import { startQdrantProcess } from './servers.ts';
import { startRealQdrantSource } from './real-source.ts';

interface Row {
  check: string;
  points: number;
  seconds: number;
  pointsPerSecond: number;
  ourCpuSeconds: number;
  sourceCpuSeconds: number;
  targetCpuSeconds: number;
  problems: number;
  /** Highest RSS of this process sampled during the check, MB. */
  peakRssMb: number;
  load1: number;
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
    .option('--checks <list>', 'old, sample (--sample N), sample-all (every point, batched), full', 'old,sample,sample-all,full')
    .parse(['node', 'bench', ...argv])
    .opts<{ count: string; sample: string; workload: string; transport: 'grpc' | 'rest'; skipOld?: boolean; engine: MilvusEngine; source: string; checks: string }>();
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
    if (checks.has('full')) {
      rows.push(await timed('verify --full', pids, async () => {
        const r = await checkFull(plan, reader, sink);
        return { points: r.compared, problems: r.missing + r.extra + r.different };
      }));
    }
  } finally {
    await Promise.allSettled([reader.close(), sink.close()]);
    await Promise.allSettled([qdrant.stop(), milvus.stop()]);
  }
  const machine = { cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)) };
  console.log(`verify bench: ${opts.workload} ${count} points, source ${opts.source}, ${opts.transport}, target ${opts.engine}, load ${machine.loadavg.join(' ')}`);
  console.table(rows);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `verify-${opts.workload}-${count}-${opts.engine}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`, workload: opts.workload, count, source: opts.source, transport: opts.transport, engine: opts.engine, machine, rows }, null, 2));
  console.log(`written ${file}`);
}
