/**
 * vdf-io 0.1.248 as a peer row (issue 12 §2): its own Qdrant export to parquet files, then its own
 * Milvus import, in its own venv (.venv-vdf, see bench/vdf/requirements.txt for how to build it)
 * through bench/vdf/run_vdf.py. Timed end to end (export + import, as a user runs them); its CPU
 * and peak RSS are sampled from /proc while it runs. The row counts what reached Milvus, so a run
 * that "succeeds" without moving the points shows as such. It fails on `rich` (named vectors):
 * the failure is kept as the row's note.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { repoRoot } from '../testkit/python.ts';
import { processCpuSeconds, result, type MeasureInput, type MeasureResult } from './lib.ts';

export const vdfPython = join(repoRoot, '.venv-vdf', 'bin', 'python');

/** Peak resident set of a live process, MB (VmHWM); 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface VdfRun {
  code: number | null;
  out: string;
  cpu: number;
  rss: number;
  seconds: number;
}

function runVdf(args: string[]): Promise<VdfRun> {
  const started = performance.now();
  const child = spawn(vdfPython, [join(repoRoot, 'bench', 'vdf', 'run_vdf.py'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TQDM_DISABLE: '1' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let cpu = 0;
  let rss = 0;
  const poll = setInterval(() => {
    cpu = Math.max(cpu, processCpuSeconds(child.pid!));
    rss = Math.max(rss, peakRssMb(child.pid!));
  }, 100);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, out, cpu, rss, seconds: (performance.now() - started) / 1000 });
    });
  });
}

async function countAndDrop(uri: string, name: string): Promise<number> {
  const client = new MilvusClient({ address: uri, timeout: 300_000, logLevel: 'error', telemetry: { enabled: false } } as ConstructorParameters<typeof MilvusClient>[0]);
  try {
    if (!(await client.hasCollection({ collection_name: name })).value) return 0;
    await client.loadCollection({ collection_name: name });
    const res = await client.query({ collection_name: name, filter: '', output_fields: ['count(*)'] });
    const n = Number((res.data[0] as Record<string, unknown> | undefined)?.['count(*)'] ?? 0);
    await client.dropCollection({ collection_name: name });
    return n;
  } finally {
    await client.closeConnection();
  }
}

export async function measureVdf(input: MeasureInput): Promise<MeasureResult> {
  const { endpoints } = input;
  const work = await mkdtemp(join(tmpdir(), 'q2m-vdf-'));
  const s0 = processCpuSeconds(endpoints.qdrantPid);
  const t0 = processCpuSeconds(endpoints.milvusPid);
  try {
    const run = await runVdf([endpoints.restUrl, String(endpoints.grpcPort), input.workload, endpoints.milvusUri, work]);
    const span = { seconds: run.seconds, cpu: run.cpu, sourceCpu: processCpuSeconds(endpoints.qdrantPid) - s0, targetCpu: processCpuSeconds(endpoints.milvusPid) - t0 };
    const line = run.out.split('\n').find((l) => l.startsWith('VDF_RESULT '));
    const landed = await countAndDrop(endpoints.milvusUri, input.workload).catch(() => 0);
    const notes: string[] = [];
    if (run.code !== 0 || !line) {
      const why = run.out.split('\n').filter((l) => /Error|error:/.test(l)).slice(-2).join(' | ') || `exit ${run.code}`;
      notes.push(`vdf-io failed: ${why.slice(0, 300)}`);
    } else {
      const r = JSON.parse(line.slice('VDF_RESULT '.length)) as { exported: number; exportSeconds: number; importSeconds: number };
      notes.push(`export ${r.exportSeconds.toFixed(1)} s (${r.exported} points), import ${r.importSeconds.toFixed(1)} s`);
    }
    notes.push(`${landed} of ${input.count} points in Milvus afterwards`);
    const res = result(input, landed, span, 'vdf-io 0.1.248: export_vdf qdrant (gRPC) → parquet → import_vdf milvus', notes);
    // Its CPU and RSS are the Python process's, not this one's.
    return { ...res, peakRssMb: run.rss };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
