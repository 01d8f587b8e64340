/**
 * The end of a foreground verify-full or sync job (`sync`, `verify --full`, `jobs resume` of
 * either): what each pass found or changed, on stdout, and the exit code.
 *
 * Exit codes of a sync (also in README): 0 the last pass changed nothing, the target is in sync
 * (the cutover signal); 3 the passes repaired something and none has confirmed yet (run it again,
 * or with --max-passes); 1 failed; 130 cancelled. verify --full: 0 nothing differs, 1 differences.
 */
import type { CompareReport, PassSummary } from '../jobs/compare-job.ts';
import type { PassCounts } from '../core/sync.ts';
import type { FullCheck } from '../core/verify-full.ts';
import { EXIT } from './exit.ts';
import { printJson } from './output.ts';

/** A sync that changed the target and has not yet seen a pass that changes nothing. */
export const EXIT_SYNC_CHANGED = 3;

export function finishCompare(report: CompareReport & { jobId: string }, flags: { json?: boolean }, say: (text: string) => void): number {
  if (flags.json) printJson(report);
  else say(formatCompare(report));
  if (report.cancelled) return EXIT.CANCELLED;
  if (report.ok) return EXIT.OK;
  const last = report.passes.at(-1);
  return report.kind === 'sync' && last?.done ? EXIT_SYNC_CHANGED : EXIT.FAILED;
}

function headline(r: CompareReport & { jobId: string }): string {
  if (r.cancelled) return `${r.kind} cancelled; continue with \`qdrant2milvus jobs resume ${r.jobId}\`.`;
  if (r.kind === 'verify-full') return r.ok ? 'Verified: every point of the target matches the source.' : 'Verification FAILED: the target differs from the source.';
  if (r.ok) return `In sync at ${r.inSyncAt}: the last pass changed nothing.`;
  return 'Sync changed the target: run it again (or pass --max-passes) until a pass changes nothing.';
}

export function formatCompare(r: CompareReport & { jobId: string }): string {
  const lines = ['', `Job ${r.jobId} (${r.kind}): ${headline(r)}`];
  for (const p of r.passes) lines.push(...passLines(p));
  return lines.join('\n');
}

/** `pass 2 (ended 2026-…): books → books: 1200 compared, 3 upserted (2 missing, 1 different), 1 deleted, 1197 unchanged, 0 rejected` */
export function passLines(p: PassSummary): string[] {
  const lines = [`  pass ${p.pass}${p.done ? ` (ended ${p.endedAt})` : ' (not finished)'}${p.done && p.clean ? ': no change' : ''}`];
  for (const c of p.collections) {
    const counts = c.counts as PassCounts | FullCheck;
    lines.push(`    ${c.source} → ${c.target}: ${'upserted' in counts ? syncCounts(counts) : verifyCounts(counts)}${c.done ? '' : ' so far'}`);
    if (!('upserted' in counts)) {
      for (const kind of ['missing', 'extra', 'different'] as const) for (const m of counts.first[kind]) lines.push(`      ${m.id} ${m.what}: ${m.detail}`);
    }
  }
  return lines;
}

function syncCounts(c: PassCounts): string {
  return `${c.compared} compared, ${c.upserted} upserted (${c.missing} missing, ${c.different} different), ${c.deleted} deleted, ${c.unchanged} unchanged, ${c.rejected} rejected`;
}

function verifyCounts(c: FullCheck): string {
  return `${c.compared} compared: ${c.missing} missing, ${c.extra} extra, ${c.different} different`;
}
