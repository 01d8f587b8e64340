/**
 * Bulk import vs upsert (issue 14) on Milvus 2.3.5 standalone with its storage on moto S3, through
 * the real CLI, at each point count asked: the same collection migrated both ways (each into a
 * fresh target collection), one after the other, timed by the report's per-collection durationMs
 * (create → copy → flush/index/load → verify counts), plus the whole command's wall time.
 *
 *   node --import tsx bench/bulk.ts [--points 20000,100000] [--dataset basic] [--file-kb 65536]
 *
 * Prints one JSON line per (points, mode) and a summary table on stderr. Two cores are shared with
 * the servers here: compare the two modes, not the absolute numbers, with other machines.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMilvus } from '../testkit/milvus/launcher.ts';
import { startS3 } from '../testkit/s3/launcher.ts';
import { repoRoot } from '../testkit/python.ts';
import { dropBenchCollections, startQdrantProcess } from './servers.ts';

const { values } = parseArgs({ options: { points: { type: 'string', default: '20000,100000' }, dataset: { type: 'string', default: 'basic' }, 'file-kb': { type: 'string', default: '65536' } } });
const counts = values.points.split(',').map(Number);

interface Row { points: number; mode: string; collectionMs: number; wallMs: number; ok: boolean }

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'qdrant2milvus.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) }));
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
      for (const mode of ['upsert', 'bulk'] as const) {
        const env = {
          ...process.env, QDRANT_URL: qdrant.restUrl, MILVUS_URI: milvus.uri, QDRANT2MILVUS_HOME: dataDir,
          QDRANT2MILVUS_BULK_ACCESS_KEY: s3.accessKey, QDRANT2MILVUS_BULK_SECRET_KEY: s3.secretKey,
        };
        const modeFlags = mode === 'bulk' ? ['--mode', 'bulk', '--bulk-endpoint', s3.endpoint, '--bulk-bucket', 'a-bucket', '--bulk-file-kb', values['file-kb']] : [];
        const run = await runCli(['migrate', '--collections', source, '--yes', '--json', '--if-exists', 'drop', '--source-grpc-port', String(qdrant.grpcPort), ...modeFlags], env);
        if (run.code !== 0) throw new Error(`${mode} at ${n}: exit ${run.code}\n${run.stderr.slice(-3000)}`);
        const report = JSON.parse(run.stdout) as { ok: boolean; collections: Array<{ durationMs: number }> };
        const row = { points: n, mode, collectionMs: report.collections[0]!.durationMs, wallMs: run.ms, ok: report.ok };
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
process.stderr.write(`\n${'points'.padStart(8)} ${'upsert s'.padStart(9)} ${'bulk s'.padStart(9)}  (per-collection durationMs: create, copy, index/load, verify counts)\n`);
for (const n of counts) {
  const get = (m: string) => ((rows.find((r) => r.points === n && r.mode === m)?.collectionMs ?? NaN) / 1000).toFixed(1);
  process.stderr.write(`${String(n).padStart(8)} ${get('upsert').padStart(9)} ${get('bulk').padStart(9)}\n`);
}
