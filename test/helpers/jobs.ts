/**
 * What the job tests share: the real CLI with a data dir, its JSON answers, the job store read
 * in-process (for polling a condition instead of sleeping), and the id sets of source and target.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsistencyLevelEnum } from '@zilliz/milvus2-sdk-node';
import { JobStore } from '../../src/jobs/store.ts';
import type { Checkpoint, Job } from '../../src/jobs/types.ts';
import { realQdrantRequest } from '../../testkit/qdrant/real-seed.ts';
import type { Harness } from './harness.ts';
import { cliBin } from './cli-bin.ts';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<Run>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'q2m-jobs-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Source and target of the harness, as the CLI reads them from the environment. */
export function cliEnv(h: Harness, dataDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.QDRANT2MILVUS_CRASH_AT;
  const vars: Record<string, string | undefined> = {
    QDRANT_URL: h.qdrantUrl,
    QDRANT_API_KEY: h.qdrantApiKey,
    MILVUS_URI: h.milvusUri,
    MILVUS_TOKEN: h.milvusToken,
    MILVUS_DB: h.milvusDb,
    QDRANT2MILVUS_HOME: dataDir,
    ...extra,
  };
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the real CLI; unlike the harness's cli(), it keeps the child (for signals) and the exit signal. */
export function spawnCli(h: Harness, dataDir: string, args: string[], extra: Record<string, string | undefined> = {}): Spawned {
  const child = spawn(process.execPath, [cliBin, ...args], {
    env: cliEnv(h, dataDir, extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

export function cli(h: Harness, dataDir: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<Run> {
  return spawnCli(h, dataDir, args, extra).done;
}

/** Runs a command that must succeed with --json, and parses its stdout. */
export async function cliJson<T>(h: Harness, dataDir: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<T> {
  const run = await cli(h, dataDir, [...args, '--json'], extra);
  if (run.code !== 0) throw new Error(`${args.join(' ')} → exit ${run.code ?? run.signal}\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** The job id a migrate prints on stderr ("Job j_…: if it stops, …") or in its --detach answer. */
export function jobIdOf(text: string): string {
  const id = /\b(j_[a-z2-7]{10})\b/.exec(text)?.[1];
  if (!id) throw new Error(`no job id in:\n${text}`);
  return id;
}

/** Reads the job store of a data dir in this process. */
export function readJob(dataDir: string, id: string): Job {
  const store = JobStore.open({ dataDir });
  try {
    return store.get(id);
  } finally {
    store.close();
  }
}

/** Polls `check` every `everyMs` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the job's status is one of `statuses` (read straight from the store). */
export function waitForStatus(dataDir: string, id: string, statuses: string[], timeoutMs = 60_000): Promise<Job> {
  return waitFor(`job ${id} to be ${statuses.join('|')}`, () => {
    const job = readJob(dataDir, id);
    return statuses.includes(job.status) ? job : undefined;
  }, timeoutMs);
}

/** Every id in the source collection (the test server's store), as strings, sorted. */
export function sourceIds(h: Harness, collection: string): string[] {
  const { points } = h.testServer!.store.scroll(collection, { limit: 1_000_000, with_payload: false });
  return points.map((p) => String(p.id)).sort();
}

/** Every id in the source collection, whichever source it is (test server, real or user's Qdrant). */
export async function allSourceIds(h: Harness, collection: string): Promise<string[]> {
  if (h.testServer) return sourceIds(h, collection);
  const ids: string[] = [];
  let offset: unknown = null;
  do {
    // Lossless JSON both ways: ids above 2^53 stay exact.
    const answer = (await realQdrantRequest(h.qdrantUrl, h.qdrantApiKey, 'POST', `/collections/${encodeURIComponent(collection)}/points/scroll`, {
      limit: 1000, with_payload: false, with_vector: false, ...(offset !== null && { offset }),
    })) as { result: { points: Array<{ id: unknown }>; next_page_offset: unknown } };
    ids.push(...answer.result.points.map((p) => String(p.id)));
    offset = answer.result.next_page_offset ?? null;
  } while (offset !== null);
  return ids.sort();
}

/**
 * Why the target cannot hold the `rich` dataset (3 dense vectors + 1 sparse; the one with points
 * missing a vector, so rejected points), or undefined when it can: tests that need rejections skip
 * with this reason on such a target (Milvus 2.3.5: one vector field, no sparse).
 */
export async function richUnsupportedReason(h: Harness): Promise<string | undefined> {
  const caps = await h.capabilities();
  if ((caps.maxVectorFields ?? 4) < 4) return `the target (${caps.version}) takes ${caps.maxVectorFields} vector field(s) per collection; the rich dataset needs 4`;
  if (!caps.sparseVector) return `the target (${caps.version}) has no sparse vectors; the rich dataset needs them`;
  return undefined;
}

/** Every primary key in the target collection, as strings, sorted (duplicates kept, so they show). */
export async function targetIds(h: Harness, collection: string): Promise<string[]> {
  await h.milvus.loadCollection({ collection_name: collection });
  const res = await h.milvus.query({ collection_name: collection, filter: '', output_fields: ['id'], limit: 16_384, consistency_level: ConsistencyLevelEnum.Strong });
  return res.data.map((r) => String(r.id)).sort();
}

/** Scroll requests the test server answers for `collection` from now on (a no-op rule that counts). */
export function countScrolls(h: Harness, collection: string): () => number {
  h.testServer!.faults.configure({ rules: [{ route: `POST /collections/${collection}/points/scroll`, latencyMs: 1 }] });
  return () => h.testServer!.faults.stats().delayed;
}

export interface ReportJson {
  jobId: string;
  ok: boolean;
  cancelled: boolean;
  collections: Array<{ source: string; target: string; status: string; sourceCount: number; targetCount: number; written: number; rejectedCount: number; verified: boolean }>;
}

export interface LogsJson {
  entries: Array<{ seq: number; collection: string | null; pointId: string | null; code: string; message: string; at: string }>;
  total: number;
  logged: number;
  dropped: number;
  truncated: boolean;
  counts: Array<{ collection: string | null; code: string; count: number }>;
}

/** The saved checkpoints of one collection of a job (read in this process). */
export function checkpointsOf(dataDir: string, id: string, collection: string): Checkpoint[] {
  const store = JobStore.open({ dataDir });
  try {
    return store.loadCheckpoints(id, collection);
  } finally {
    store.close();
  }
}

/** Rows the job has acknowledged so far in one collection, from its checkpoints. */
export function writtenSoFar(dataDir: string, id: string, collection: string): number {
  return checkpointsOf(dataDir, id, collection).reduce((n, cp) => n + cp.written, 0);
}
