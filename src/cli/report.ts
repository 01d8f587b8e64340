/**
 * The end of a foreground run (`migrate`, `jobs resume`): the report on stdout and the exit code.
 *
 * A job whose every point was rejected ends "verified" (the target holds source minus rejected:
 * zero), which is true and useless. Unless the user said --allow-empty, such a run says plainly
 * that nothing was written and exits 1, so a script does not carry on with an empty collection.
 */
import type { Command } from 'commander';
import type { CollectionReport, MigrationReport } from '../core/migrate.ts';
import { isCompareReport } from '../jobs/compare-job.ts';
import type { JobReport } from '../jobs/engine.ts';
import { finishCompare } from './compare-report.ts';
import { EXIT } from './exit.ts';
import { printJson } from './output.ts';

export function addAllowEmptyFlag(cmd: Command): Command {
  return cmd.option('--allow-empty', 'succeed (exit 0) even when every point of a collection was rejected and nothing was written');
}

/** Collections that had points and wrote none of them: every point was rejected. */
export function nothingWritten(report: MigrationReport): CollectionReport[] {
  return report.collections.filter((c) => c.status === 'SUCCESSFUL' && c.written === 0 && c.rejectedCount > 0);
}

/** Prints a finished job's report and returns the exit code. */
export function finish(report: JobReport & { jobId: string }, flags: { json?: boolean; allowEmpty?: boolean }, say: (text: string) => void): number {
  // A verify-full or sync job (`jobs resume` of one): its passes, its exit codes.
  if (isCompareReport(report)) return finishCompare(report, flags, say);
  const empty = nothingWritten(report).map((c) => c.source);
  const refusedEmpty = empty.length > 0 && !flags.allowEmpty;
  const ok = report.ok && !refusedEmpty;
  if (flags.json) printJson({ ...report, ok, nothingWritten: empty });
  else say(formatReport(report, empty, Boolean(flags.allowEmpty)));
  if (report.cancelled) return EXIT.CANCELLED;
  return ok ? EXIT.OK : EXIT.FAILED;
}

function headline(report: MigrationReport, empty: string[], allowEmpty: boolean): string {
  if (report.cancelled) return 'Migration cancelled.';
  if (!report.ok) return 'Migration FAILED.';
  if (empty.length === 0) return 'Migration complete: every collection verified.';
  const which = empty.map((n) => `"${n}"`).join(', ');
  if (allowEmpty) return `Migration complete, but NOTHING WAS WRITTEN to ${which}: every point was rejected (allowed by --allow-empty).`;
  return `Migration finished, but NOTHING WAS WRITTEN to ${which}: every point was rejected (reasons below). ` +
    'Fix the plan or the data, or pass --allow-empty to accept an empty collection.';
}

function formatReport(report: MigrationReport & { jobId: string }, empty: string[], allowEmpty: boolean): string {
  const lines = ['', headline(report, empty, allowEmpty)];
  for (const c of report.collections) {
    lines.push(`  ${c.source} → ${c.target}: ${c.status}, ${counts(c)}, ${(c.durationMs / 1000).toFixed(1)}s${c.verified ? ', verified' : ''}`);
    for (const [from, to] of Object.entries(c.renamedKeys)) lines.push(`    payload key "${from}" renamed to "${to}" (it clashes with a schema field)`);
    for (const r of c.rejected.slice(0, 20)) lines.push(`    rejected ${r.id}: [${r.code}] ${r.message}`);
    if (c.rejectedCount > Math.min(20, c.rejected.length)) {
      lines.push(`    ... ${c.rejectedCount - Math.min(20, c.rejected.length)} more rejected (all of them: \`qdrant2milvus jobs logs ${report.jobId}\`)`);
    }
    for (const m of c.mismatches?.slice(0, 20) ?? []) lines.push(`    mismatch ${m.id} ${m.what}: ${m.detail}`);
    if (c.error) lines.push(`    error [${c.error.code}]: ${c.error.message}${c.error.fix ? ` fix: ${c.error.fix}` : ''}`);
    for (const a of c.aliases ?? []) lines.push(`    ${aliasLine(a, c.target)}`);
  }
  for (const a of report.switched ?? []) lines.push(`  switch: ${aliasLine(a)}`);
  if (report.error) lines.push(`  error [${report.error.code}]: ${report.error.message}${report.error.fix ? ` fix: ${report.error.fix}` : ''}`);
  return lines.join('\n');
}

/** Counts as far as the collection got: a collection that failed before verify has no target count. */
function counts(c: CollectionReport): string {
  const counted = c.status === 'SUCCESSFUL' || c.error?.code === 'VERIFY_FAILED';
  const target = counted ? `target ${c.targetCount}` : 'target not counted';
  return `source ${c.sourceCount}, ${target}, written ${c.written}, rejected ${c.rejectedCount}, nulls dropped ${c.nullsDropped}${c.mismatchNulled > 0 ? `, values nulled (kept as <key>__raw) ${c.mismatchNulled}` : ''}`;
}

function aliasLine(a: { name: string; action: string; from?: string }, target?: string): string {
  if (a.action === 'moved') return `alias "${a.name}" moved from "${a.from}"${target ? ` to "${target}"` : ''}`;
  if (a.action === 'skipped') return `alias "${a.name}" left where it was (--alias-conflict skip)`;
  return `alias "${a.name}" ${a.action === 'created' ? 'created' : 'already in place'}`;
}
