/**
 * `qdrant2milvus jobs list|show|logs|cancel|resume|delete` (and the internal `jobs run` that a
 * detached migration executes). Every subcommand reads the job store, so it works from any
 * terminal while the job runs elsewhere. Nothing here prints a secret: the store is redacted.
 */
import type { Command } from 'commander';
import { passSummaries, type PassSummary } from '../../jobs/compare-job.ts';
import { JobEngine } from '../../jobs/engine.ts';
import { passLines } from '../compare-report.ts';
import { damagedOr } from '../../jobs/db.ts';
import { STATUSES } from '../../jobs/lifecycle.ts';
import type { Checkpoint, Job, JobStatus, JobSummary } from '../../jobs/types.ts';
import { EXIT, reportError } from '../exit.ts';
import { intIn, oneOf } from '../flags.ts';
import { printJson } from '../output.ts';
import { addAllowEmptyFlag, finish } from '../report.ts';
import { addDataDirFlag, openStore, runJobDetached, runJobInForeground } from '../run-job.ts';

const statusFlag = (value: string): JobStatus => oneOf(STATUSES)(value.toUpperCase());

interface JobsFlags {
  dataDir?: string;
  json?: boolean;
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('list, show, follow, cancel, resume and delete migration jobs');
  const sub = (name: string, description: string) => addDataDirFlag(jobs.command(name).description(description).option('--json', 'print JSON on stdout'));

  sub('list', 'jobs with status, collections, progress, duration and verification')
    .option('--status <status>', `only jobs with this status: ${STATUSES.join(', ')}`, statusFlag)
    .option('--limit <n>', 'newest jobs to list, 1 to 10,000 (default 200)', intIn(1, 10_000))
    .action((flags: JobsFlags & { status?: JobStatus; limit?: number }) => withStore(flags, (store) => {
      const rows = store.list({ status: flags.status, limit: flags.limit ?? 200 }).map((s) => store.get(s.id));
      if (flags.json) printJson(rows.map(listView));
      else process.stdout.write(formatList(rows));
      return EXIT.OK;
    }));

  sub('show <id>', "a job's detail: per-collection status, progress, counts and verification")
    .action((id: string, flags: JobsFlags) => withStore(flags, (store) => {
      const job = store.get(id);
      // Checkpoints say where a resume continues: per id range, the next id to read and the rows written.
      const collections = job.collections.map((c) => ({ ...c, checkpoints: store.loadCheckpoints(id, c.source) }));
      // A verify-full / sync job's passes: what each found or changed, and where an unfinished one resumes.
      const passes = passSummaries(store, id);
      if (flags.json) printJson({ ...job, collections, passes, errors: store.errors(id, { limit: 0 }) });
      else process.stdout.write(formatShow({ ...job, collections }, passes));
      return EXIT.OK;
    }));

  sub('logs <id>', "a job's error log: rejected points and failures, with exact counts")
    .option('--limit <n>', 'entries to print, 1 to 100,000 (default 100)', intIn(1, 100_000))
    .option('--offset <n>', 'entries to skip, 0 or more (default 0)', intIn(0, Number.MAX_SAFE_INTEGER))
    .action((id: string, flags: JobsFlags & { limit?: number; offset?: number }) => withStore(flags, (store) => {
      store.get(id);
      const page = store.errors(id, { offset: flags.offset ?? 0, limit: flags.limit ?? 100 });
      const counts = store.errorCounts(id);
      if (flags.json) printJson({ ...page, counts });
      else process.stdout.write(formatLogs(page, counts));
      return EXIT.OK;
    }));

  sub('cancel <id>', 'stop a job (it ends CANCELLED; resume it later)')
    .action((id: string, flags: JobsFlags) => withStore(flags, async (store) => {
      const outcome = new JobEngine(store).cancel(id);
      // Wait for the owner to stop so that the command's answer is the job's real status.
      const deadline = Date.now() + 10_000;
      while (outcome === 'requested' && store.get(id).status === 'IN_PROGRESS' && Date.now() < deadline) await sleep(50);
      const status = store.get(id).status;
      if (flags.json) printJson({ id, outcome, status });
      else process.stdout.write(`Job ${id}: ${outcome === 'finished' ? `already ended (${status})` : status}\n`);
      return EXIT.OK;
    }));

  addAllowEmptyFlag(sub('resume <id>', 'continue a FAILED or CANCELLED job from its checkpoints')
    .option('--detach', 'resume in a background process'))
    .action((id: string, flags: JobsFlags & { detach?: boolean; allowEmpty?: boolean }) => withStore(flags, async (store) => {
      if (flags.detach) {
        const { logFile } = runJobDetached(store, id);
        if (flags.json) printJson({ jobId: id, logFile });
        else process.stdout.write(`Job ${id} resumed in the background (log: ${logFile}).\n`);
        return EXIT.OK;
      }
      const report = await runJobInForeground(new JobEngine(store), id, { tty: Boolean(process.stderr.isTTY) });
      return finish({ jobId: id, ...report }, flags, (t) => (flags.json ? process.stderr : process.stdout).write(`${t}\n`));
    }));

  sub('delete <id>', 'remove a job and its log (the target collections are kept)')
    .action((id: string, flags: JobsFlags) => withStore(flags, (store) => {
      store.delete(id);
      if (flags.json) printJson({ id, deleted: true });
      else process.stdout.write(`Job ${id} deleted.\n`);
      return EXIT.OK;
    }));

  // Internal: what `migrate --detach` runs in the background process. Plain log lines.
  addDataDirFlag(jobs.command('run <id>', { hidden: true }))
    .action((id: string, flags: JobsFlags) => withStore(flags, async (store) => {
      const report = await runJobInForeground(new JobEngine(store), id, { tty: false });
      return report.ok ? EXIT.OK : report.cancelled ? EXIT.CANCELLED : EXIT.FAILED;
    }));
}

async function withStore(flags: JobsFlags, fn: (store: ReturnType<typeof openStore>) => number | Promise<number>): Promise<void> {
  let store: ReturnType<typeof openStore> | undefined;
  try {
    store = openStore(flags.dataDir);
    store.recoverOrphans();
    process.exitCode = await fn(store);
  } catch (e) {
    process.exitCode = reportError(store ? damagedOr(e, store.dataDir) : e);
  } finally {
    store?.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function totals(job: Job) {
  const total = job.collections.reduce((n, c) => n + c.total, 0);
  const done = job.collections.reduce((n, c) => n + c.written + c.rejected, 0);
  return { total, done };
}

function durationOf(job: JobSummary): string {
  if (!job.startedAt) return '-';
  const ms = (job.endedAt ? Date.parse(job.endedAt) : Date.now()) - Date.parse(job.startedAt);
  return `${(ms / 1000).toFixed(1)}s`;
}

function verifiedOf(job: Job): string {
  if (job.collections.every((c) => c.verified === true)) return 'verified';
  if (job.collections.some((c) => c.verified === false)) return 'NOT verified';
  return '-';
}

function listView(job: Job) {
  const { total, done } = totals(job);
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    collections: job.collections.map((c) => c.source),
    progress: { done, total },
    duration: durationOf(job),
    verification: verifiedOf(job),
    createdAt: job.createdAt,
    error: job.error,
  };
}

function formatList(jobs: Job[]): string {
  if (jobs.length === 0) return 'No jobs yet. Start one with `qdrant2milvus migrate`.\n';
  const rows = [['ID', 'STATUS', 'COLLECTIONS', 'PROGRESS', 'DURATION', 'VERIFICATION']];
  for (const j of jobs) {
    const v = listView(j);
    const pct = v.progress.total > 0 ? ` (${Math.floor((100 * v.progress.done) / v.progress.total)}%)` : '';
    rows.push([j.id, j.kind === 'migrate' ? j.status : `${j.status} (${j.kind})`, v.collections.join(','), `${v.progress.done}/${v.progress.total}${pct}`, v.duration, v.verification]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}

function formatShow(job: Job & { collections: Array<Job['collections'][number] & { checkpoints: Checkpoint[] }> }, passes: PassSummary[]): string {
  const lines = [
    `Job ${job.id}: ${job.status}${job.cancelRequested ? ' (cancel requested)' : ''}${job.kind !== 'migrate' ? ` (${job.kind}${job.parentJobId ? ` of job ${job.parentJobId}` : ''})` : ''}`,
    `  source: ${job.source.url}${job.source.apiKey ? ' (API key: ***)' : ''}`,
    `  target: ${job.target.uri} database ${job.target.database}${job.target.token ? ' (token: ***)' : ''}`,
    `  created ${job.createdAt}, started ${job.startedAt ?? '-'}, ended ${job.endedAt ?? '-'} (${durationOf(job)})`,
  ];
  if (job.error) lines.push(`  error [${job.error.code}]: ${job.error.message}`);
  if (job.inSyncAt) lines.push(`  in sync at ${job.inSyncAt} (a sync pass changed nothing)`);
  for (const a of job.aliases ?? []) lines.push(`  alias ${String(a.name)}: ${String(a.action)}${a.from ? ` (from ${String(a.from)})` : ''}`);
  if (job.kind !== 'migrate') {
    for (const p of passes) lines.push(...passLines(p));
    return `${lines.join('\n')}\n`;
  }
  for (const c of job.collections) {
    lines.push(`  ${c.source} → ${c.target}: ${c.status}${c.phase && c.status === 'IN_PROGRESS' ? ` (${c.phase})` : ''}, ${c.written}/${c.total} written, ${c.rejected} rejected` +
      (c.sourceCount !== null ? `, source ${c.sourceCount} vs target ${c.targetCount ?? '-'}${c.verified ? ' (verified)' : c.verified === false ? ' (NOT verified)' : ''}` : ''));
    if (c.status === 'SUCCESSFUL' && c.written === 0 && c.rejected > 0) lines.push(`    NOTHING WAS WRITTEN: every point was rejected (see \`qdrant2milvus jobs logs ${job.id}\`)`);
    const open = c.checkpoints.filter((cp) => !cp.done);
    if (c.status !== 'SUCCESSFUL' && open.length > 0) {
      lines.push(`    resumes at: ${open.map((cp) => `id ${cp.cursor ?? cp.from ?? '(start)'} (${cp.written} written in that range)`).join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatLogs(page: ReturnType<ReturnType<typeof openStore>['errors']>, counts: ReturnType<ReturnType<typeof openStore>['errorCounts']>): string {
  const lines = [`${page.total} error(s)${page.truncated ? ` (log bounded: ${page.dropped} counted but not kept)` : ''}`];
  for (const c of counts) lines.push(`  ${c.collection ?? '(job)'} ${c.code}: ${c.count}`);
  for (const e of page.entries) lines.push(`${e.at} ${e.collection ?? '-'} ${e.pointId ?? '-'} [${e.code}] ${e.message}`);
  return `${lines.join('\n')}\n`;
}
