/**
 * `verify --full` in the terminal: the compare engine (core/verify-full.ts) with progress, rate and
 * ETA on stderr, and Ctrl-C / SIGTERM to stop it (exit 130, nothing was changed anywhere).
 */
import type { Sink, SourceReader } from '../../core/contracts.ts';
import type { CollectionPlan } from '../../core/types.ts';
import { checkFull, type FullCheck } from '../../core/verify-full.ts';

export type FullResult = FullCheck & { seconds: number; pointsPerSecond: number };

/** Thrown when the user interrupts a full verification; verify exits with 130. */
export class VerifyCancelled extends Error {
  constructor(signal: string) {
    super(`verify --full cancelled by ${signal}`);
    this.name = 'VerifyCancelled';
  }
}

const PROGRESS_EVERY_MS = 2000;

export async function runFull(plan: CollectionPlan, reader: SourceReader, sink: Sink, sourceCount: number, firstN?: number): Promise<FullResult> {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping verify --full of ${plan.source}...\n`);
    controller.abort(new VerifyCancelled(signal));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = Date.now();
  process.stderr.write(`verify --full ${plan.source} → ${plan.target}: comparing ${sourceCount.toLocaleString('en-US')} points (Ctrl-C stops)\n`);
  let lastLine = started;
  const onProgress = (compared: number) => {
    const now = Date.now();
    if (now - lastLine < PROGRESS_EVERY_MS) return;
    lastLine = now;
    process.stderr.write(`${progressLine(plan.source, compared, sourceCount, now - started)}\n`);
  };
  try {
    const result = await checkFull(plan, reader, sink, { signal: controller.signal, onProgress, ...(firstN !== undefined ? { firstN } : {}) });
    const seconds = (Date.now() - started) / 1000;
    return { ...result, seconds, pointsPerSecond: Math.round(result.compared / Math.max(seconds, 0.001)) };
  } catch (e) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
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
    `    full comparison: ${f.compared} points compared in ${f.seconds.toFixed(1)} s (${f.pointsPerSecond} pts/s): ${f.missing} missing, ${f.extra} extra, ${f.different} different`,
  ];
  for (const kind of ['missing', 'extra', 'different'] as const) {
    for (const m of f.first[kind]) lines.push(`    ${m.id} ${m.what}: ${m.detail}`);
  }
  return lines;
}
