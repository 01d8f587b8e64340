/**
 * Running a job from the CLI: in the foreground (progress display, Ctrl-C / SIGTERM cancel cleanly),
 * or detached in a background process that outlives the command (`migrate --detach`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { configError } from '../core/errors.ts';
import { MigrationEvents } from '../core/events.ts';
import type { MigrationReport } from '../core/migrate.ts';
import { isCompareReport } from '../jobs/compare-job.ts';
import { JobEngine, type JobReport } from '../jobs/engine.ts';
import { JobStore } from '../jobs/store.ts';
import { dataProcessNodeArgs } from './node-flags.ts';
import { printJson } from './output.ts';
import { showProgress } from './progress.ts';

export function addDataDirFlag(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'where jobs are kept (env QDRANT2MILVUS_HOME; default ~/.qdrant2milvus)');
}

/**
 * The job store of `--data-dir` (else QDRANT2MILVUS_HOME, else ~/.qdrant2milvus).
 * QDRANT2MILVUS_MAX_ERRORS_PER_JOB bounds the rows each job's error log keeps (default 10,000;
 * the counts stay exact beyond it): a process writing to the log reads it, so set it for the
 * command that runs the job (a detached job inherits it).
 */
export function openStore(dataDir?: string): JobStore {
  return JobStore.open({ dataDir, maxErrorsPerJob: maxErrorsFromEnv() });
}

function maxErrorsFromEnv(): number | undefined {
  const raw = process.env.QDRANT2MILVUS_MAX_ERRORS_PER_JOB;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw configError('MAX_ERRORS_INVALID', `QDRANT2MILVUS_MAX_ERRORS_PER_JOB must be a whole number >= 0, not "${raw}".`, 'Set it to e.g. 10000, or unset it for the default.');
  }
  return n;
}

/**
 * Runs a job a command just created, as the user asked: `--detach` starts it in a background process,
 * prints its id and log file and returns null; otherwise it says how to resume it and runs it here.
 * `label` names the job in those lines ("Job j_…", "Sync job j_… of a → b").
 */
export async function runCreatedJob(
  engine: JobEngine,
  store: JobStore,
  id: string,
  how: { detach?: boolean; json?: boolean; label: string; say: (text: string) => void },
): Promise<JobReport | null> {
  if (how.detach) {
    const { logFile } = runJobDetached(store, id);
    if (how.json) printJson({ jobId: id, logFile });
    else how.say(`${how.label} started in the background (log: ${logFile}).\nFollow it with \`qdrant2milvus jobs show ${id}\`; cancel with \`qdrant2milvus jobs cancel ${id}\`.`);
    return null;
  }
  process.stderr.write(`${how.label}: if it stops, continue with \`qdrant2milvus jobs resume ${id}\`.\n`);
  return runJobInForeground(engine, id, { tty: Boolean(process.stderr.isTTY) });
}

/** Runs a job here until it ends; Ctrl-C or SIGTERM cancel it (a second Ctrl-C quits at once). */
export async function runJobInForeground(engine: JobEngine, id: string, options: { tty: boolean }): Promise<JobReport> {
  const cancel = (signal: NodeJS.Signals) => {
    if (!engine.activeJobs().includes(id)) process.exit(130);
    process.stderr.write(`\n${signal}: cancelling job ${id} (Ctrl-C again quits at once; resume later with \`qdrant2milvus jobs resume ${id}\`)...\n`);
    engine.cancel(id);
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  // The display listens to engine events re-shaped as a run's events.
  const events = new MigrationEvents();
  const progress = showProgress(events, { tty: options.tty });
  const offProgress = engine.on('job:progress', ({ jobId, ...p }) => jobId === id && events.emit('collection:progress', p));
  const offStatus = engine.on('job:collection', ({ jobId, collection, status, phase }) => jobId === id && events.emit('collection:status', { collection, status, phase }));
  try {
    const report = await engine.run<JobReport>(id);
    return isCompareReport(report) ? report : withSavedProgress(report, engine.store, id);
  } finally {
    offProgress();
    offStatus();
    progress.stop();
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}

/**
 * A collection that failed or was cancelled mid-copy comes back from the run with zero counts (it
 * never reached the end of its copy); the store has what it did move (progress and checkpoints).
 * The report shows those, so "written 0" never hides 19,206 points already in the target.
 */
function withSavedProgress(report: MigrationReport, store: JobStore, id: string): MigrationReport {
  const saved = new Map(store.get(id).collections.map((c) => [c.source, c]));
  const collections = report.collections.map((c) => {
    const s = saved.get(c.source);
    if (c.status === 'SUCCESSFUL' || !s || s.written + s.rejected <= c.written + c.rejectedCount) return c;
    return { ...c, written: Math.max(c.written, s.written), rejectedCount: Math.max(c.rejectedCount, s.rejected) };
  });
  return { ...report, collections };
}

/** Starts `qdrant2milvus jobs run ID` as a detached background process; its output goes to a log file. */
export function runJobDetached(store: JobStore, id: string): { pid: number; logFile: string } {
  // Refusals (busy target, finished job) are shown here rather than only in the background log.
  new JobEngine(store).checkCanRun(id);
  const logDir = join(store.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const logFile = join(logDir, `${id}.log`);
  const out = openSync(logFile, 'a', 0o600);
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'qdrant2milvus.js');
  // A larger young generation for the process that moves the data (node-flags.ts).
  const child = spawn(process.execPath, [...dataProcessNodeArgs(), bin, 'jobs', 'run', id, '--data-dir', store.dataDir], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  return { pid: child.pid ?? 0, logFile };
}
