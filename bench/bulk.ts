/**
 * Bulk import (Parquet and JSON files) vs upsert (issue 14) on Milvus 2.3.5 standalone with its
 * storage on moto S3, through the real CLI, at each point count asked: the same collection migrated
 * each way (each into a fresh target collection), one after the other, timed by the report's
 * per-collection durationMs (create → copy → flush/index/load → verify counts), plus the whole
 * command's wall time, with the 1-minute load average before and after each run.
 *
 *   node --import tsx bench/bulk.ts [--points 100000,300000,1000000] [--modes upsert,parquet,json]
 *                                   [--dataset basic] [--file-kb 65536]
 *                                   [--trees /tmp/old/main,.] [--repeat 2] [--cli compiled|source]
 *                                   [--mem-dir /tmp/mem]
 *
 * --trees: run each mode with the CLI of each tree in turn (an old snapshot beside this one: the
 * same servers, the same minutes), --repeat times, alternating; rows name their tree.
 *
 * --cli: `compiled` (the default) runs what users install: each tree's src/ compiled once, as the
 * test runners do (scripts/test-cli-build.mjs, into <tree>/.tmp/cli-build); `source` runs the
 * clone's bin, which loads src/ through tsx (~45 MB more RSS and ~0.6 CPU s more per start).
 *
 * --mem-dir: preloads bench/mem-sample.mjs into each CLI run (RSS, V8 heap, external, array
 * buffers every 500 ms, and after each full GC) and writes <dir>/<points>-<mode>-<run>.tsv there, to
 * tell what the peak RSS is made of.
 *
 * Prints one JSON line per (points, mode) and a summary table on stderr. Two cores are shared with
 * the servers here: compare the modes, not the absolute numbers, with other machines.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startMilvus } from '../testkit/milvus/launcher.ts';
import { startS3 } from '../testkit/s3/launcher.ts';
import { repoRoot } from '../testkit/python.ts';
import { dropBenchCollections, startQdrantProcess } from './servers.ts';
// @ts-expect-error: a plain .mjs script without types (the test runners' CLI build)
import { buildTestCli } from '../scripts/test-cli-build.mjs';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '100000,300000,1000000' },
    modes: { type: 'string', default: 'upsert,parquet,json' },
    dataset: { type: 'string', default: 'basic' },
    'file-kb': { type: 'string', default: '65536' },
    trees: { type: 'string', default: '' },
    repeat: { type: 'string', default: '1' },
    cli: { type: 'string', default: 'compiled' },
    'mem-dir': { type: 'string', default: '' },
  },
});
const trees = values.trees ? values.trees.split(',').map((t) => resolve(t)) : [repoRoot];
const counts = values.points.split(',').map(Number);
if (values.cli !== 'compiled' && values.cli !== 'source') throw new Error(`--cli ${values.cli}: use compiled or source`);
/** Each tree's CLI: its compiled build, or its bin (src/ through tsx). */
const cliOf = new Map(trees.map((t) => [t, values.cli === 'compiled' ? buildTestCli(t) : join(t, 'bin', 'qdrant2milvus.js')]));
const modes = values.modes.split(',') as Array<'upsert' | 'parquet' | 'json'>;

interface Row { points: number; mode: string; tree: string; collectionMs: number; wallMs: number; peakRssMb: number | null; cpuS: number | null; ok: boolean; load1Before: number; load1After: number }
const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

// The CLI's peak RSS and CPU seconds (user + system) come from GNU time where the machine has it (the bulk path builds whole
// import files in memory, so its peak is worth watching); null where it does not.
const GNU_TIME = '/usr/bin/time';
const RSS_MARK = 'q2m-bench-maxrss-kb=';
const CPU_MARK = 'q2m-bench-cpu-s=';

function runCli(tree: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; peakRssMb: number | null; cpuS: number | null }> {
  const started = performance.now();
  const cli = [process.execPath, cliOf.get(tree)!, ...args];
  const [command, ...argv] = existsSync(GNU_TIME) ? [GNU_TIME, '-f', `${RSS_MARK}%M ${CPU_MARK}%U+%S`, ...cli] : cli;
  return new Promise((resolve, reject) => {
    const child = spawn(command!, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = new RegExp(`${RSS_MARK}(\\d+)`).exec(stderr)?.[1];
      const cpu = new RegExp(`${CPU_MARK}([\\d.]+)\\+([\\d.]+)`).exec(stderr);
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started), peakRssMb: kb === undefined ? null : Math.round(Number(kb) / 1024), cpuS: cpu ? Math.round((Number(cpu[1]) + Number(cpu[2])) * 10) / 10 : null });
    });
  });
}

const s3 = await startS3();
const milvus = await startMilvus({ engine: 'standalone23', storage: { host: s3.host, port: s3.port, accessKey: s3.accessKey, secretKey: s3.secretKey } });
const rows: Row[] = [];
try {
  for (const n of counts) {
    const qdrant = await startQdrantProcess(values.dataset, n);
    const dataDir = mkdtempSync(join(tmpdir(), 'q2m-bench-bulk-'));
    try {
      const source = values.dataset;
      const runs = Array.from({ length: Number(values.repeat) }, (_, i) => (i % 2 === 0 ? trees : [...trees].reverse())).flat();
      for (const [tree, mode] of runs.flatMap((t) => modes.map((m) => [t, m] as const))) {
        const env: NodeJS.ProcessEnv = {
          ...process.env, QDRANT_URL: qdrant.restUrl, MILVUS_URI: milvus.uri, QDRANT2MILVUS_HOME: dataDir,
          QDRANT2MILVUS_BULK_ACCESS_KEY: s3.accessKey, QDRANT2MILVUS_BULK_SECRET_KEY: s3.secretKey,
        };
        const modeFlags = mode === 'upsert' ? [] : ['--mode', 'bulk', '--bulk-format', mode, '--bulk-endpoint', s3.endpoint, '--bulk-bucket', 'a-bucket', '--bulk-file-kb', values['file-kb']];
        if (values['mem-dir']) {
          env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${join(repoRoot, 'bench', 'mem-sample.mjs')}`.trim();
          env.MEM_OUT = join(resolve(values['mem-dir']), `${n}-${mode}-${rows.length + 1}.tsv`);
        }
        const load1Before = load1();
        const run = await runCli(tree, ['migrate', '--collections', source, '--yes', '--json', '--if-exists', 'drop', '--source-grpc-port', String(qdrant.grpcPort), ...modeFlags], env);
        if (run.code !== 0) throw new Error(`${mode} at ${n}: exit ${run.code}\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-3000)}`);
        const report = JSON.parse(run.stdout) as { ok: boolean; collections: Array<{ durationMs: number }> };
        const row = { points: n, mode: mode === 'upsert' ? 'upsert' : `bulk-${mode}`, tree, collectionMs: report.collections[0]!.durationMs, wallMs: run.ms, peakRssMb: run.peakRssMb, cpuS: run.cpuS, ok: report.ok, load1Before, load1After: load1() };
        rows.push(row);
        console.log(JSON.stringify({ bench: 'bulk-vs-upsert', engine: 'standalone23', s3: 'moto', dataset: values.dataset, ...row }));
      }
      await dropBenchCollections(milvus.uri);
    } finally {
      await qdrant.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  await milvus.stop();
  await s3.stop();
}
process.stderr.write(`\n${'points'.padStart(8)} ${'mode'.padStart(13)} ${'s'.padStart(7)} ${'RSS MB'.padStart(7)} ${'CPU s'.padStart(6)}  load1 before/after  tree  (per-collection durationMs: create, copy, index/load, verify counts)\n`);
for (const r of rows) {
  process.stderr.write(`${String(r.points).padStart(8)} ${r.mode.padStart(13)} ${(r.collectionMs / 1000).toFixed(1).padStart(7)} ${String(r.peakRssMb ?? '-').padStart(7)} ${String(r.cpuS ?? '-').padStart(6)}  ${r.load1Before} / ${r.load1After}  ${r.tree}\n`);
}
