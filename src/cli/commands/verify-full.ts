/**
 * `verify --full` in the terminal: a verify-full job (jobs/compare-job.ts) per collection, run here
 * with progress, rate and ETA on stderr. Ctrl-C / SIGTERM cancel it (exit 130, nothing was changed
 * anywhere); the job keeps its checkpoint, so `qdrant2milvus jobs resume ID` continues the
 * comparison where it stopped instead of starting over.
 */
import type { CollectionPlan } from '../../core/types.ts';
import { asMigrationError } from '../../core/errors.ts';
import type { FullCheck } from '../../core/verify-full.ts';
import { isCompareReport, type CompareReport } from '../../jobs/compare-job.ts';
import { JobEngine, type JobReport } from '../../jobs/engine.ts';
import { concreteTransport } from '../connections.ts';
import type { PlanSession } from '../plan-input.ts';
import { configError } from '../../core/errors.ts';
import { finishCompare } from '../compare-report.ts';
import { openStore, runJobInForeground } from '../run-job.ts';

export type FullResult = FullCheck & { seconds: number; pointsPerSecond: number; jobId: string };

/** Thrown when the user interrupts a full verification; verify exits with 130. */
export class VerifyCancelled extends Error {
  constructor(
    signal: string,
    readonly jobId: string,
  ) {
    super(`verify --full cancelled by ${signal}`);
    this.name = 'VerifyCancelled';
  }
}

const PROGRESS_EVERY_MS = 2000;

export interface FullOptions {
  firstN?: number;
  dataDir?: string;
}

export async function runFull(session: PlanSession, plan: CollectionPlan, sourceCount: number, options: FullOptions = {}): Promise<FullResult> {
  const store = openStore(options.dataDir);
  try {
    const engine = new JobEngine(store);
    const job = engine.createVerifyFull({
      source: { url: session.source.url, apiKey: session.source.apiKey },
      target: { uri: session.target.uri, token: session.target.token, database: session.target.database },
      plan: { ...session.result.plan, collections: [plan] },
      options: { sourceTransport: await concreteTransport(session.source), sourceGrpcPort: session.source.grpcPort, ...(options.firstN !== undefined && { firstN: options.firstN }) },
    });
    let stoppedBy: string | undefined;
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`\n${signal}: stopping verify --full of ${plan.source}...\n`);
      stoppedBy = signal;
      engine.cancel(job.id);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const started = Date.now();
    process.stderr.write(`verify --full ${plan.source} → ${plan.target}: comparing ${sourceCount.toLocaleString('en-US')} points (Ctrl-C stops; job ${job.id})\n`);
    let lastLine = started;
    const off = engine.on('job:progress', (p) => {
      const now = Date.now();
      if (p.jobId !== job.id || now - lastLine < PROGRESS_EVERY_MS) return;
      lastLine = now;
      process.stderr.write(`${progressLine(plan.source, p.written, sourceCount, now - started)}\n`);
    });
    try {
      const report = await engine.run<JobReport>(job.id);
      if (!isCompareReport(report)) throw new Error('verify --full ran a job that is not a verification');
      const counts = report.passes.at(-1)!.collections[0]!.counts as FullCheck;
      const seconds = (Date.now() - started) / 1000;
      return { ...counts, seconds, pointsPerSecond: Math.round(counts.compared / Math.max(seconds, 0.001)), jobId: job.id };
    } catch (e) {
      if (stoppedBy && asMigrationError(e).code === 'CANCELLED') throw new VerifyCancelled(stoppedBy, job.id);
      throw e;
    } finally {
      off();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    store.close();
  }
}

/**
 * `verify --full --job ID`: a verify-full job over the collections of job ID, with its plan (so a
 * source whose ids changed kind since is compared against the target as it was created) and its
 * connections. Exit 0 when nothing differs, 1 when something does (compare-report.ts).
 */
export async function verifyJob(parentId: string, flags: { full?: boolean; first?: number; json?: boolean; dataDir?: string }): Promise<number> {
  if (!flags.full) throw configError('VERIFY_JOB_NEEDS_FULL', '--job verifies every point of a job\'s collections: it goes with --full.', 'Add --full, or leave --job out to verify counts and samples with the connection flags.');
  const store = openStore(flags.dataDir);
  try {
    const engine = new JobEngine(store);
    const job = engine.createVerifyFull({ fromJob: parentId, options: { ...(flags.first !== undefined && { firstN: flags.first }) } });
    process.stderr.write(`verify --full job ${job.id} of job ${parentId}: if it stops, continue with \`qdrant2milvus jobs resume ${job.id}\`.\n`);
    const report = await runJobInForeground(engine, job.id, { tty: Boolean(process.stderr.isTTY) });
    return finishCompare({ jobId: job.id, ...(report as CompareReport) }, flags, (t) => (flags.json ? process.stderr : process.stdout).write(`${t}\n`));
  } finally {
    store.close();
  }
}

/** `verify --full books: 40,000 / 100,000 points (40%), 21,500 pts/s, ETA 3s` */
export function progressLine(source: string, compared: number, total: number, elapsedMs: number): string {
  const rate = compared / Math.max(elapsedMs / 1000, 0.001);
  const pct = total > 0 ? Math.min(100, Math.floor((compared / total) * 100)) : 100;
  const eta = rate > 0 && total > compared ? `, ETA ${Math.ceil((total - compared) / rate)}s` : '';
  return `verify --full ${source}: ${compared.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} points (${pct}%), ${Math.round(rate).toLocaleString('en-US')} pts/s${eta}`;
}

export function formatFull(f: FullResult): string[] {
  const lines = [
    `    full comparison (job ${f.jobId}): ${f.compared} points compared in ${f.seconds.toFixed(1)} s (${f.pointsPerSecond} pts/s): ${f.missing} missing, ${f.extra} extra, ${f.different} different`,
  ];
  for (const kind of ['missing', 'extra', 'different'] as const) {
    for (const m of f.first[kind]) lines.push(`    ${m.id} ${m.what}: ${m.detail}`);
  }
  return lines;
}
