/**
 * Running a job from the CLI: in the foreground (progress display, Ctrl-C / SIGTERM cancel cleanly),
 * or detached in a background process that outlives the command (`migrate --detach`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { MigrationEvents } from '../core/events.ts';
import type { MigrationReport } from '../core/migrate.ts';
import { JobEngine } from '../jobs/engine.ts';
import { JobStore } from '../jobs/store.ts';
import { showProgress } from './progress.ts';

export function addDataDirFlag(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'where jobs are kept (env QDRANT2MILVUS_HOME; default ~/.qdrant2milvus)');
}

export function openStore(dataDir?: string): JobStore {
  return JobStore.open({ dataDir });
}

/** Runs a job here until it ends; Ctrl-C or SIGTERM cancel it (a second Ctrl-C quits at once). */
export async function runJobInForeground(engine: JobEngine, id: string, options: { tty: boolean }): Promise<MigrationReport> {
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
    return await engine.run(id);
  } finally {
    offProgress();
    offStatus();
    progress.stop();
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}

/** Starts `qdrant2milvus jobs run ID` as a detached background process; its output goes to a log file. */
export function runJobDetached(store: JobStore, id: string): { pid: number; logFile: string } {
  const logDir = join(store.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const logFile = join(logDir, `${id}.log`);
  const out = openSync(logFile, 'a', 0o600);
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'qdrant2milvus.js');
  const child = spawn(process.execPath, [bin, 'jobs', 'run', id, '--data-dir', store.dataDir], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  return { pid: child.pid ?? 0, logFile };
}
