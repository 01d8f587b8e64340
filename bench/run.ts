/**
 * `npm run bench [-- --quick] [--source test|real] [--target lite3|lite25|standalone23] [--points N]
 *    [--workloads ref768,rich] [--measures migrate,naive] [--count basic=200000] [--pin]`
 * `npm run bench -- --split [--counts 1000000,10000000] [--real 200000]`: the range split only (split.ts)
 *
 * For each workload: the source (real Qdrant 1.19 where its binary is found, loaded through its API
 * and left green, see real-source.ts; else the Qdrant test server, loaded with the dataset) and a
 * fresh Milvus (--target, default Milvus Lite 3.2.2), each in its own process; then each measure in a child process of its own, so CPU and peak
 * RSS are per measure and the servers' CPU is never counted as ours (it is reported beside it).
 * Prints a table and the issue's targets; writes everything as JSON to bench/results/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { toRows } from '../src/mapping/rows.ts';
import { createMilvusSink } from '../src/milvus/index.ts';
import { encodeRow } from '../src/milvus/rows.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';
import { repoRoot } from '../testkit/python.ts';
import { benchPlan, MEASURES, WORKLOADS, type Endpoints, type MeasureInput, type MeasureName, type MeasureResult, type WorkloadName } from './lib.ts';
import { table, targets } from './report.ts';
import { vdfPython } from './measure-vdf.ts';
import { dropBenchCollections, startMilvus, startQdrantProcess } from './servers.ts';
import { startRealQdrantSource } from './real-source.ts';
import { realQdrantBinary } from '../testkit/qdrant/real.ts';
import { milvusEngines, type MilvusEngine } from '../testkit/milvus/launcher.ts';
import { descendantPids } from '../testkit/milvus/process.ts';

// `npm run bench -- --split ...`: the range split alone (scan vs sample, no Milvus), see split.ts.
if (process.argv.includes('--split')) {
  await (await import('./split.ts')).main(process.argv.slice(2));
  process.exit(0);
}

// `npm run bench -- --verify ...`: verification speed (old sample, batched sample, --full), see verify.ts.
if (process.argv.includes('--verify')) {
  await (await import('./verify.ts')).main(process.argv.slice(2));
  process.exit(0);
}

// `npm run bench -- --transcode ...`: our CPU between the two wires (decode, toRows, encode), no servers, see transcode.ts.
if (process.argv.includes('--transcode')) {
  await (await import('./transcode.ts')).main(process.argv.slice(2));
  process.exit(0);
}

const opts = new Command('bench')
  .option('--quick', 'a small smoke run (a few thousand points per workload)')
  .option('--workloads <list>', `comma-separated: ${Object.keys(WORKLOADS).join(', ')}`)
  .option('--measures <list>', `comma-separated: ${MEASURES.join(', ')}`)
  .option('--count <name=n...>', 'override a workload\'s point count (repeatable)', (v: string, all: string[] = []) => [...all, v])
  .option('--settings <json>', 'reader/writer settings for migrate and pipeline, e.g. \'{"readers":2,"pageSize":1000}\'')
  .option('--source <kind>', 'test (the Qdrant test server) | real (Qdrant 1.19 from ../shared/qdrant); default real where found')
  .option('--target <engine>', `${milvusEngines.join(' | ')}`, 'lite3')
  .option('--points <n>', 'points for every workload (--count overrides it per workload)')
  .option('--pin', 'the servers on CPU 0, the measuring child on the other CPUs (taskset): what the tool costs and reaches when the source does not share its cores, as where Qdrant runs on its own machine; for raw-read, read-ceiling and pipeline')
  .option('--no-flat-check', 'skip the second, smaller basic migrate that checks peak RSS does not grow with the count')
  .parse()
  .opts<{ quick?: boolean; workloads?: string; measures?: string; count?: string[]; settings?: string; flatCheck: boolean; source?: string; target: string; points?: string; pin?: boolean }>();

const quick = Boolean(opts.quick);
const workloads = (opts.workloads?.split(',') ?? Object.keys(WORKLOADS)) as WorkloadName[];
const measures = (opts.measures?.split(',') ?? [...MEASURES]) as MeasureName[];
const counts = new Map((opts.count ?? []).map((c) => c.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
for (const w of workloads) if (!(w in WORKLOADS)) throw new Error(`unknown workload ${w}`);
for (const m of measures) if (!MEASURES.includes(m)) throw new Error(`unknown measure ${m}`);
const target = opts.target as MilvusEngine;
if (!milvusEngines.includes(target)) throw new Error(`unknown target ${opts.target}: use one of ${milvusEngines.join(', ')}`);
const haveReal = (await realQdrantBinary()) !== undefined;
const source = (opts.source ?? (haveReal ? 'real' : 'test')) as 'test' | 'real';
if (source !== 'test' && source !== 'real') throw new Error(`unknown source ${opts.source}: test | real`);
if (source === 'real' && !haveReal) throw new Error('--source real: no Qdrant 1.19 binary (../shared/qdrant or QDRANT_BIN)');
const pin = Boolean(opts.pin);
if (pin && (cpus().length < 2 || spawnSync('taskset', ['--version']).status !== 0)) {
  throw new Error('--pin needs 2 or more CPUs and taskset (util-linux); run without --pin');
}
/** The measuring child's CPUs under --pin: all but CPU 0. */
const childCpus = cpus().length > 2 ? `1-${cpus().length - 1}` : '1';

/** --pin: a server and every process under it (Milvus 2.3.5's binary runs two levels down), all threads, onto CPU 0. */
function pinToCpu0(pid: number): void {
  for (const p of [pid, ...descendantPids(pid)]) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', '0', String(p)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`--pin: taskset could not move process ${p} to CPU 0: ${r.stderr.trim()}`);
  }
}

// vdf-io only where its venv was built (bench/vdf/README.md): it is a peer row, not a requirement.
if (!opts.measures && !existsSync(vdfPython)) measures.splice(measures.indexOf('vdf-io'), 1);

function runChild(input: MeasureInput, settings?: Record<string, unknown>): Promise<MeasureResult> {
  return new Promise((resolve, reject) => {
    // BENCH_NODE_ARGS: extra node flags for the measuring child only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const argv = [...nodeArgs, '--import', 'tsx', join(repoRoot, 'bench', 'measure.ts')];
    const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', childCpus, process.execPath, ...argv] : argv, {
      cwd: repoRoot,
      env: { ...process.env, BENCH_INPUT: JSON.stringify(input), BENCH_SETTINGS: JSON.stringify(settings ?? {}) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as MeasureResult);
      else reject(new Error(`${input.measure} on ${input.workload} failed (exit ${code})`));
    });
  });
}

/** Row bytes per point (vectors + payload JSON, as the sink estimates them), from the first 500. */
async function rowBytes(endpoints: Endpoints, workload: WorkloadName): Promise<number> {
  const reader = createQdrantReader({ url: endpoints.restUrl, grpcPort: endpoints.grpcPort, transport: 'grpc' });
  const sink = await createMilvusSink({ uri: endpoints.milvusUri });
  try {
    const plan = await benchPlan(reader, sink, workload, 'bench_sizes');
    for await (const page of reader.read({ collection: workload, pageSize: 500 })) {
      const { rows } = toRows(plan, page.points);
      return rows.reduce((n, r) => n + encodeRow(plan, r).bytes, 0) / Math.max(1, page.points.length);
    }
    return 0;
  } finally {
    await Promise.allSettled([reader.close(), sink.close()]);
  }
}

async function runWorkload(workload: WorkloadName, count: number, which: MeasureName[]): Promise<MeasureResult[]> {
  const started = Date.now();
  const log = (m: string) => process.stderr.write(`[bench] ${workload}: ${m}\n`);
  // One after the other: loading real Qdrant takes both cores, and standalone23 wants them to start.
  const qdrant = source === 'real' ? await startRealQdrantSource(workload, count, log) : await startQdrantProcess(workload, count);
  const milvus = await startMilvus(target).catch(async (e: unknown) => {
    await qdrant.stop();
    throw e;
  });
  log(`${count} points in ${source === 'real' ? 'real Qdrant 1.19 (green)' : 'the test server'}, ${target} up, in ${((Date.now() - started) / 1000).toFixed(0)} s; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (pin) {
    // After the load: it took both cores, and standalone23's processes are all up by now.
    pinToCpu0(qdrant.pid);
    pinToCpu0(milvus.pid);
    log(`pinned: the source and the target on CPU 0, the measures on CPU ${childCpus}`);
  }
  const endpoints: Endpoints = { restUrl: qdrant.restUrl, grpcPort: qdrant.grpcPort, qdrantPid: qdrant.pid, milvusUri: milvus.uri, milvusPid: milvus.pid, source, target };
  const results: MeasureResult[] = [];
  try {
    const bytes = await rowBytes(endpoints, workload).catch((e: unknown) => {
      // A workload the target cannot hold (rich on Milvus 2.3.5: 4 vectors, one sparse) is a row
      // of the report, not the end of the run: the plan's own reasons say why.
      if (e instanceof Error && e.message.startsWith('plan for ')) return e;
      throw e;
    });
    if (bytes instanceof Error) {
      log(`not run on ${target}: ${bytes.message}`);
      skipped.push({ workload, reason: bytes.message });
      return results;
    }
    for (const measure of which) {
      process.stderr.write(`[bench] ${workload} ${measure} ...\n`);
      const res = await runChild({ measure, workload, count, rowBytes: bytes, endpoints, quick }, opts.settings ? (JSON.parse(opts.settings) as Record<string, unknown>) : undefined);
      if (pin) res.config += ', pinned (servers on CPU 0)';
      process.stderr.write(`[bench] ${workload} ${measure}: ${Math.round(res.pointsPerSecond)} points/s, ${res.seconds.toFixed(1)} s, our CPU ${res.cpuPer1k.toFixed(3)} s/1k${res.mainCpuPer1k !== undefined ? ` (main thread ${res.mainCpuPer1k.toFixed(3)}, others ${res.otherCpuPer1k!.toFixed(3)})` : ''}, RSS ${res.peakRssMb.toFixed(0)} MB, load ${res.load?.[0]}, ${res.config}\n`);
      results.push(res);
      await dropBenchCollections(milvus.uri);
    }
  } finally {
    await Promise.allSettled([qdrant.stop(), milvus.stop()]);
  }
  return results;
}

const machine = { source, target, pinned: pin, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAtStart: loadavg() };
const results: MeasureResult[] = [];
const skipped: Array<{ workload: WorkloadName; reason: string }> = [];
for (const workload of workloads) {
  const count = counts.get(workload) ?? (opts.points ? Number(opts.points) : WORKLOADS[workload][quick ? 'quick' : 'count']);
  results.push(...(await runWorkload(workload, count, measures)));
  // Peak RSS must not grow with the point count: the same migrate on a fifth of basic.
  if (workload === 'basic' && opts.flatCheck && measures.includes('migrate')) {
    const small = (await runWorkload(workload, Math.round(count / 5), ['migrate'])).map((r) => ({ ...r, workload: 'basic-small' as WorkloadName }));
    results.push(...small);
  }
}

const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const out = { command, machine: { ...machine, loadAtEnd: loadavg() }, finishedAt: new Date().toISOString(), results, skipped, targets: targets(results) };
const dir = join(repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${source}-${target}-${out.finishedAt.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\n${table(results)}\n`);
for (const t of out.targets) console.log(`${t.met === undefined ? '?' : t.met ? 'MET    ' : 'NOT MET'}  ${t.name}: ${t.detail}`);
console.log(`\nsource ${source}, target ${target}; machine: ${machine.cpus} x ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}; load ${machine.loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${out.machine.loadAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`);
for (const s of skipped) console.log(`NOT RUN  ${s.workload} on ${target}: ${s.reason}`);
for (const r of results) for (const n of r.notes) console.log(`note ${r.workload} ${r.measure}: ${n}`);
console.log(`written to ${file}`);
