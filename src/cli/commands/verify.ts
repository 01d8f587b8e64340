/**
 * `qdrant2milvus verify`: compare a finished migration. Counts per collection always; with
 * --sample N, N points by content (vectors and payloads), every mismatch reported by id.
 */
import type { Command } from 'commander';
import { assertVerifiable, checkCounts, expectedSkips, type Mismatch } from '../../core/verify.ts';
import { checkSampleBatched } from '../../core/verify-sample.ts';
import { formatFull, runFull, verifyJob, VerifyCancelled, type FullResult } from './verify-full.ts';
import { secretsOf } from '../connections.ts';
import { EXIT, reportError } from '../exit.ts';
import { intIn } from '../flags.ts';
import { printJson } from '../output.ts';
import { addPlanFlags, openPlanSession, type PlanFlags } from '../plan-input.ts';
import { addDataDirFlag } from '../run-job.ts';

interface VerifyFlags extends PlanFlags {
  sample?: number;
  full?: boolean;
  first?: number;
  json?: boolean;
  dataDir?: string;
  job?: string;
}

interface VerifyResult {
  source: string;
  target: string;
  sourceCount: number;
  targetCount: number;
  /** Points the plan's policy leaves out (e.g. --missing-vector skip), counted at the source. */
  skipped: number;
  countsMatch: boolean;
  sampled: number;
  mismatches: Mismatch[];
  /** With --full: every point compared (counts of missing / extra / different, first ids of each). */
  full?: FullResult;
  verified: boolean;
}

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('compare source and target: counts, and with --sample N the content of N points')
    .option('--sample <n>', 'compare N points by id: vectors and payloads, 0 to 100,000 (default 0: counts only)', intIn(0, 100_000))
    .option('--full', 'compare every point by content, both sides streamed in id order, as a resumable job (progress on stderr; Ctrl-C cancels)')
    .option('--job <id>', "with --full: verify the collections of this job with its plan and connections (a job of its own, `jobs show` lists it)")
    .option('--first <n>', 'with --full: how many ids of each kind (missing, extra, different) to list (default 20)', intIn(0, 10_000))
    .option('--json', 'print one JSON object on stdout');
  addPlanFlags(cmd);
  addDataDirFlag(cmd);
  cmd.action(async (flags: VerifyFlags) => {
    process.exitCode = await verify(flags);
  });
}

async function verify(flags: VerifyFlags): Promise<number> {
  let secrets: string[] = [];
  try {
    if (flags.job) return await verifyJob(flags.job, flags);
    // The targets exist by now: plan every collection as appending, so they are not refused.
    const session = await openPlanSession(flags, { targetsExist: true, aliases: false });
    secrets = secretsOf(session.source, session.target);
    const results: VerifyResult[] = [];
    try {
      await assertVerifiable(session.result.plan.collections, session.result.problems, session.sink);
      for (const plan of session.result.plan.collections) {
        const skipped = await expectedSkips(plan, session.reader);
        const counts = await checkCounts(plan, session.reader, session.sink, skipped);
        const sample = await checkSampleBatched(plan, session.reader, session.sink, { sample: flags.sample ?? 0, sourceCount: counts.sourceCount });
        const full = flags.full ? await runFull(session, plan, counts.sourceCount - skipped, { firstN: flags.first, dataDir: flags.dataDir }) : undefined;
        results.push({
          source: plan.source,
          target: plan.target,
          sourceCount: counts.sourceCount,
          targetCount: counts.targetCount,
          skipped,
          countsMatch: counts.countsMatch,
          sampled: sample.checked,
          mismatches: sample.mismatches,
          ...(full ? { full } : {}),
          verified: counts.countsMatch && sample.mismatches.length === 0 && (!full || full.missing + full.extra + full.different === 0),
        });
      }
    } finally {
      await session.close();
    }
    const ok = results.every((r) => r.verified);
    if (flags.json) printJson({ ok, collections: results });
    else process.stdout.write(formatVerify(ok, results));
    return ok ? EXIT.OK : EXIT.FAILED;
  } catch (e) {
    if (e instanceof VerifyCancelled) {
      process.stderr.write(`${e.message}: nothing was changed. Continue the comparison with \`qdrant2milvus jobs resume ${e.jobId}\`.\n`);
      return EXIT.CANCELLED;
    }
    return reportError(e, secrets);
  }
}

function formatVerify(ok: boolean, results: VerifyResult[]): string {
  const lines = [ok ? 'Verified: target matches source.' : 'Verification FAILED.'];
  for (const r of results) {
    lines.push(`  ${r.source} → ${r.target}: source ${r.sourceCount}${r.skipped ? ` (${r.skipped} skipped by the plan's policy)` : ''}, target ${r.targetCount} ${r.countsMatch ? '(counts match)' : '(COUNTS DIFFER)'}${r.sampled ? `, ${r.sampled} points compared, ${r.mismatches.length} mismatches` : ''}`);
    for (const m of r.mismatches) lines.push(`    ${m.id} ${m.what}: ${m.detail}`);
    if (r.full) lines.push(...formatFull(r.full));
  }
  return `${lines.join('\n')}\n`;
}
