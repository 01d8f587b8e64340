/**
 * `qdrant2milvus migrate`: show the plan, ask, then create, copy, index, load and verify every
 * collection in the foreground. Ctrl-C / SIGTERM cancel cleanly (what was written stays consistent;
 * a re-run with --if-exists append continues without duplicates).
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { configError } from '../../core/errors.ts';
import { JobEngine, type JobRunOptions } from '../../jobs/engine.ts';
import { formatProblem, planErrors } from '../../core/planning.ts';
import { concreteTransport, secretsOf } from '../connections.ts';
import { EXIT, reportError } from '../exit.ts';
import { intIn, MAX_PAGE_SIZE, oneOf, secondsIn } from '../flags.ts';
import { addBulkFlags, bulkSpec, checkBulkTarget, type BulkFlags } from '../../bulk/cli.ts';
import { saveBulkCredentials } from '../../bulk/job.ts';
import { formatModeEstimate } from '../../bulk/estimate.ts';
import { formatPlan } from '../output.ts';
import { addAllowEmptyFlag, finish } from '../report.ts';
import { addPlanFlags, openPlanSession, type PlanFlags, type PlanSession } from '../plan-input.ts';
import { addDataDirFlag, openStore, runCreatedJob } from '../run-job.ts';

interface MigrateFlags extends PlanFlags, BulkFlags {
  yes?: boolean;
  json?: boolean;
  pageSize?: number;
  verifySample?: number;
  detach?: boolean;
  dataDir?: string;
  retryBudget?: number;
  allowEmpty?: boolean;
}

export function registerMigrate(program: Command): void {
  const cmd = program
    .command('migrate')
    .description('migrate the planned collections now, in the foreground, and verify them')
    .option('-y, --yes', 'start without asking')
    .option('--json', 'print one JSON report on stdout (progress goes to stderr)')
    .option('--page-size <n>', `points per source read and per write, 1 to ${MAX_PAGE_SIZE} (default: about 2 MiB of rows, from the plan; pages are also held under 8 MiB of rows whatever this says)`, intIn(1, MAX_PAGE_SIZE))
    .option('--verify-sample <n>', 'after the counts, compare N points by content, 0 to 100,000 (default 0)', intIn(0, 100_000))
    .option('--detach', 'run the job in a background process; print its id and return')
    .option('--retry-budget <seconds>', 'how long the job retries an unavailable source or target before it fails, resumably: 0 to 86400 (default 60)', secondsIn(0, 86_400));
  addBulkFlags(cmd, { oneOf, intIn });
  addAllowEmptyFlag(cmd);
  addPlanFlags(cmd);
  addDataDirFlag(cmd);
  cmd.action(async (flags: MigrateFlags) => {
    process.exitCode = await migrate(flags);
  });
}

async function migrate(flags: MigrateFlags): Promise<number> {
  let session: PlanSession | undefined;
  const secrets: string[] = [];
  const say = (text: string) => (flags.json ? process.stderr : process.stdout).write(`${text}\n`);
  try {
    const bulk = bulkSpec(flags);
    if (bulk) secrets.push(bulk.credentials.secretKey, bulk.credentials.accessKey);
    session = await openPlanSession(flags);
    secrets.push(...secretsOf(session.source, session.target));
    const { plan, problems } = session.result;
    say(plan.collections.map(formatPlan).join('\n\n'));
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    const errors = planErrors(problems);
    if (errors.length > 0) {
      throw configError('PLAN_HAS_ERRORS', `The plan has ${errors.length} error(s) (listed above); nothing was migrated.`, 'Fix each error as its line says, then run migrate again.');
    }
    if (bulk) await checkBulkTarget(bulk.options, session.target, plan.collections);
    // Both modes' cost per collection, and which one we recommend (src/bulk/estimate.ts).
    for (const c of plan.collections) process.stderr.write(`${formatModeEstimate(c, bulk ? 'bulk' : 'upsert', bulk?.options.fileBytes, bulk?.options.format)}\n`);
    if (!flags.yes) await confirm(plan.collections.length);
    await session.close();
    const store = openStore(flags.dataDir);
    try {
      const engine = new JobEngine(store);
      const options: JobRunOptions = {
        pageSize: flags.pageSize,
        verifySample: flags.verifySample,
        // The job records a concrete transport, so a resume reads the way the first run did.
        sourceTransport: await concreteTransport(session.source),
        sourceGrpcPort: session.source.grpcPort,
        retryBudgetSeconds: flags.retryBudget,
      };
      // Bulk mode (issue 14): how to reach the target's object storage; its keys are sealed apart.
      const modeOptions = bulk ? { mode: 'bulk', bulk: bulk.options } : {};
      const job = engine.create({
        source: { url: session.source.url, apiKey: session.source.apiKey },
        target: { uri: session.target.uri, token: session.target.token, database: session.target.database },
        plan,
        options: { ...options, ...modeOptions } as Record<string, unknown>,
      });
      if (bulk) saveBulkCredentials(store.dataDir, job.id, bulk.credentials);
      const report = await runCreatedJob(engine, store, job.id, { detach: flags.detach, json: flags.json, label: `Job ${job.id}`, say });
      if (report === null) return EXIT.OK;
      return finish({ jobId: job.id, ...report }, flags, say);
    } finally {
      store.close();
    }
  } catch (e) {
    return reportError(e, secrets);
  } finally {
    await session?.close();
  }
}

async function confirm(count: number): Promise<void> {
  if (!process.stdin.isTTY) {
    throw configError('CONFIRMATION_NEEDED', 'migrate asks before it starts, and there is no terminal to ask on.', 'Pass --yes to start without asking.');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Migrate ${count} collection(s) as shown above? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw configError('NOT_CONFIRMED', 'Migration not started: not confirmed.', 'Answer y, or pass --yes.');
  } finally {
    rl.close();
  }
}
