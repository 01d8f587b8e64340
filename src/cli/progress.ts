/**
 * Shows a migration's progress: one bar per collection on a terminal (points, points/s, ETA),
 * plain log lines on stderr otherwise (every few seconds and on every status change).
 */
import cliProgress from 'cli-progress';
import type { MigrationEventMap, MigrationEvents, ProgressSnapshot } from '../core/events.ts';

export interface ProgressDisplay {
  stop(): void;
}

export function showProgress(events: MigrationEvents, options: { tty: boolean; logEveryMs?: number }): ProgressDisplay {
  return options.tty ? barDisplay(events) : lineDisplay(events, options.logEveryMs ?? 5000);
}

function formatEta(seconds: number | null): string {
  if (seconds === null) return '--';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

function barDisplay(events: MigrationEvents): ProgressDisplay {
  const multibar = new cliProgress.MultiBar(
    {
      format: ' {collection} |{bar}| {value}/{total} points | {rate} pts/s | ETA {etaText} | {phase}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const phases = new Map<string, string>();
  const bar = (p: { collection: string; total?: number }) => {
    let b = bars.get(p.collection);
    if (!b) {
      b = multibar.create(p.total ?? 0, 0, { collection: p.collection, rate: 0, etaText: '--', phase: '' });
      bars.set(p.collection, b);
    }
    return b;
  };
  events.on('collection:progress', (p: ProgressSnapshot) => {
    const b = bar(p);
    b.setTotal(p.total);
    b.update(p.written + p.rejected, { rate: p.pointsPerSecond, etaText: formatEta(p.etaSeconds), phase: phases.get(p.collection) ?? '' });
  });
  events.on('collection:status', (s) => {
    phases.set(s.collection, s.status === 'IN_PROGRESS' ? s.phase : s.status);
    bars.get(s.collection)?.update({ phase: phases.get(s.collection) });
  });
  // Above the bars only with DEBUG set: a line per collection would push the bars around.
  if (process.env.DEBUG) events.on('collection:split', (s) => multibar.log(`${splitLine(s)}\n`));
  return { stop: () => multibar.stop() };
}

/** How the id space was cut, e.g. "docs: 4 ranges from a random sample of 2000 ids (35 ms)". */
export function splitLine(s: MigrationEventMap['collection:split']): string {
  const how =
    s.method === 'sample' ? `from a random sample of ${s.sampled} ids`
      : s.method === 'scan' ? `from a scan of every id (${s.reason ?? 'no sample'})`
        : s.method === 'saved' ? 'as saved by the interrupted run' : '(nothing to split)';
  return `${s.collection}: ${s.ranges} range${s.ranges === 1 ? '' : 's'} ${how}, ${s.ms} ms`;
}

function lineDisplay(events: MigrationEvents, everyMs: number): ProgressDisplay {
  const lastLogged = new Map<string, number>();
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  events.on('collection:progress', (p) => {
    const now = Date.now();
    const done = p.written + p.rejected >= p.total;
    if (!done && now - (lastLogged.get(p.collection) ?? 0) < everyMs) return;
    lastLogged.set(p.collection, now);
    log(`${p.collection}: ${p.written + p.rejected}/${p.total} points (${p.rejected} rejected), ${p.pointsPerSecond} pts/s, ETA ${formatEta(p.etaSeconds)}`);
  });
  events.on('collection:status', (s) => log(`${s.collection}: ${s.status}${s.status === 'IN_PROGRESS' ? ` (${s.phase})` : ''}`));
  events.on('collection:split', (s) => log(splitLine(s)));
  events.on('error', (e) => log(`${e.collection ?? ''}: ${e.warning ? 'warning:' : e.willRetry ? 'retrying after' : 'failed:'} [${e.error.code}] ${e.error.message}`));
  return { stop: () => undefined };
}
