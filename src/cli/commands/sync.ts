/**
 * `qdrant2milvus sync`: bring existing target collections up to date with the source (issue 11),
 * as a job (resumable with `jobs resume`, cancellable, with a log). The plan comes from a job that
 * ended (`--job ID`: its plan, connections and credentials), or from the usual plan flags / --plan
 * FILE (every collection appended into, none created or dropped). Each pass upserts what is missing
 * or different, deletes what the source no longer has and leaves equal points alone; exit codes
 * are in compare-report.ts (0 in sync, 3 changed, 1 failed, 2 config, 130 cancelled).
 */
import type { Command } from 'commander';
import { configError } from '../../core/errors.ts';
import { formatProblem, planErrors } from '../../core/planning.ts';
import { assertVerifiable } from '../../core/verify.ts';
import { JobEngine, type CompareJobInput } from '../../jobs/engine.ts';
import type { Job } from '../../jobs/types.ts';
import { concreteTransport, secretsOf } from '../connections.ts';
import { EXIT, reportError } from '../exit.ts';
import { intIn, MAX_PAGE_SIZE, secondsIn } from '../flags.ts';
import { addPlanFlags, openPlanSession, type PlanFlags } from '../plan-input.ts';
import { finish } from '../report.ts';
import { addDataDirFlag, openStore, runCreatedJob } from '../run-job.ts';

interface SyncFlags extends PlanFlags {
  job?: string;
  maxPasses?: number;
  pageSize?: number;
  detach?: boolean;
  json?: boolean;
  dataDir?: string;
  retryBudget?: number;
}

export function registerSync(program: Command): void {
  const cmd = program
    .command('sync')
    .description('bring existing target collections up to date with the source: upsert missing and changed points, delete removed ones (a job)')
    .option('--job <id>', "sync the collections of this job (its plan, source and target): e.g. a finished migration")
    .option('--max-passes <n>', 'passes at most, 1 to 1,000; stops earlier at a pass that changes nothing (default 1)', intIn(1, 1000))
    .option('--page-size <n>', `source points per read and per compare step, 1 to ${MAX_PAGE_SIZE} (default: about 8 MB of vectors, at most 2048)`, intIn(1, MAX_PAGE_SIZE))
    .option('--detach', 'run the job in a background process; print its id and return')
    .option('--retry-budget <seconds>', 'how long the job retries an unavailable source or target before it fails, resumably: 0 to 86400 (default 60)', secondsIn(0, 86_400))
    .option('--json', 'print one JSON report on stdout (progress goes to stderr)');
  addPlanFlags(cmd);
  addDataDirFlag(cmd);
  cmd.action(async (flags: SyncFlags) => {
    process.exitCode = await sync(flags);
  });
}

async function sync(flags: SyncFlags): Promise<number> {
  let secrets: string[] = [];
  const say = (text: string) => (flags.json ? process.stderr : process.stdout).write(`${text}\n`);
  try {
    const options = { maxPasses: flags.maxPasses, pageSize: flags.pageSize, retryBudgetSeconds: flags.retryBudget };
    let input: CompareJobInput;
    if (flags.job) input = { fromJob: flags.job, options: withoutUndefined(options) };
    else {
      const planned = await planFromFlags(flags);
      secrets = planned.secrets;
      input = { ...planned.input, options: { ...planned.input.options, ...withoutUndefined(options) } };
    }
    const store = openStore(flags.dataDir);
    try {
      const engine = new JobEngine(store);
      const job: Job = engine.createSync(input);
      const pairs = job.plan.collections.map((c) => `${c.source} → ${c.target}`).join(', ');
      // The detached line has always named only the job; the foreground one also names what it syncs.
      const label = flags.detach ? `Sync job ${job.id}` : `Sync job ${job.id} of ${pairs}`;
      const report = await runCreatedJob(engine, store, job.id, { detach: flags.detach, json: flags.json, label, say });
      if (report === null) return EXIT.OK;
      return finish({ jobId: job.id, ...report }, flags, say);
    } finally {
      store.close();
    }
  } catch (e) {
    return reportError(e, secrets);
  }
}

/** The plan of the flags (or --plan FILE), checked like verify checks it: no errors, targets exist. */
async function planFromFlags(flags: SyncFlags): Promise<{ input: Extract<CompareJobInput, { plan: unknown }>; secrets: string[] }> {
  // The targets exist by now: plan every collection as appending, so they are not refused.
  const session = await openPlanSession(flags, { targetsExist: true, aliases: false });
  try {
    const { plan, problems } = session.result;
    for (const p of problems) if (p.severity !== 'error') process.stderr.write(`${formatProblem(p)}\n`);
    if (planErrors(problems).length > 0) {
      throw configError('PLAN_HAS_ERRORS', `The plan has ${planErrors(problems).length} error(s); nothing was synced.`, 'Sync with the flags or plan file the migration used, or sync a finished job with --job ID.');
    }
    await assertVerifiable(plan.collections, problems, session.sink);
    return {
      secrets: secretsOf(session.source, session.target),
      input: {
        source: { url: session.source.url, apiKey: session.source.apiKey },
        target: { uri: session.target.uri, token: session.target.token, database: session.target.database },
        plan,
        // The job records a concrete transport, so a resume reads the way the first run did.
        options: { sourceTransport: await concreteTransport(session.source), sourceGrpcPort: session.source.grpcPort },
      },
    };
  } finally {
    await session.close();
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
