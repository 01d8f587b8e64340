/**
 * One migration, top to bottom, for every collection of a plan:
 * prepare target → copy points → flush, index, load → verify → report.
 *
 * The CLI runs it in the foreground; the job engine runs it with a checkpoint store so that a
 * crashed or cancelled job resumes where it stopped. Collections run one after another: a job's
 * parallelism lives inside a collection (ranges, in-flight writes), where it is needed.
 */
import { applyCollectionAliases, switchAliases, type AliasResult } from './aliases.ts';
import type { Sink, SourceReader } from './contracts.ts';
import { asMigrationError, type MigrationError } from './errors.ts';
import type { CollectionPhase, CollectionStatus, MigrationEvents } from './events.ts';
import { boundedPageSize } from './defaults.ts';
import { copyCollection, isCancellation, throwIfAborted, type CopyOptions, type CopyStats, type RangeCheckpoint } from './pipeline.ts';
import type { CollectionPlan, MigrationPlan, RejectedPoint } from './types.ts';
import { checkCounts, type Mismatch } from './verify.ts';
import { checkSampleBatched as checkSample } from './verify-sample.ts';

export interface CheckpointStore {
  /** Saved ranges of a collection; empty when it has not started. */
  load(collection: string): RangeCheckpoint[] | Promise<RangeCheckpoint[]>;
  save(collection: string, checkpoint: RangeCheckpoint): void | Promise<void>;
}

export interface MigrationOptions {
  events: MigrationEvents;
  signal: AbortSignal;
  /** Points per scroll request. Default: about DEFAULT_PAGE_BYTES of rows (core/defaults.ts). */
  pageSize?: number;
  /** Range readers per collection. Default DEFAULT_READERS (core/pipeline.ts). */
  readers?: number;
  /** Target writes in flight per collection. Default DEFAULT_WRITERS (core/pipeline.ts). */
  writers?: number;
  /** Also compare this many points by content after the counts (0 = counts only). Default 0. */
  verifySample?: number;
  checkpoints?: CheckpointStore;
  /** Copies one collection's points: default copyCollection (upsert through the sink). Bulk mode
   *  (src/bulk/copy.ts) passes one that writes import files and runs the target's import jobs;
   *  flush, index, load and verify stay the same. */
  copy?: (options: CopyOptions) => Promise<CopyStats>;
  /** The job's whole plan when `plan` holds only what is left (a resumed job): the last step
   *  switches the `switch` aliases of every collection. Default: `plan.collections`. */
  allCollections?: CollectionPlan[];
}

export interface CollectionReport {
  source: string;
  target: string;
  status: CollectionStatus;
  sourceCount: number;
  targetCount: number;
  written: number;
  rejected: RejectedPoint[];
  rejectedCount: number;
  nullsDropped: number;
  /** Promoted payload values that did not fit under the `null` policy (field null, `<key>__raw` kept). */
  mismatchNulled: number;
  renamedKeys: Record<string, string>;
  durationMs: number;
  /** Target count = source count − rejected points (and the sample matched, when asked). */
  verified: boolean;
  mismatches?: Mismatch[];
  /** Aliases pointed at the collection once it verified (core/aliases.ts). */
  aliases?: AliasResult[];
  error?: ReturnType<MigrationError['toJSON']>;
}

export interface MigrationReport {
  ok: boolean;
  cancelled: boolean;
  collections: CollectionReport[];
  /** `--switch-alias` results: the job's last step, after every collection verified. */
  switched?: AliasResult[];
  /** Why the last step (switching aliases) failed; every collection may still be SUCCESSFUL. */
  error?: ReturnType<MigrationError['toJSON']>;
}


export async function runMigration(
  plan: MigrationPlan,
  reader: SourceReader,
  sink: Sink,
  options: MigrationOptions,
): Promise<MigrationReport> {
  const reports: CollectionReport[] = [];
  let cancelled = false;
  for (const collection of plan.collections) {
    if (cancelled || options.signal.aborted) {
      cancelled = true;
      reports.push(emptyReport(collection, 'CANCELLED'));
      continue;
    }
    const report = await migrateCollection(collection, reader, sink, options);
    reports.push(report);
    if (report.status === 'CANCELLED') cancelled = true;
  }
  const done = !cancelled && reports.every((r) => r.verified && r.status === 'SUCCESSFUL');
  if (!done) return { ok: false, cancelled, collections: reports };
  try {
    const switched = await switchAliases(options.allCollections ?? plan.collections, sink, options.events);
    return { ok: true, cancelled, collections: reports, ...(switched.length > 0 && { switched }) };
  } catch (e) {
    const error = asMigrationError(e);
    options.events.emit('error', { error, willRetry: false });
    return { ok: false, cancelled, collections: reports, error: error.toJSON() };
  }
}

async function migrateCollection(
  plan: CollectionPlan,
  reader: SourceReader,
  sink: Sink,
  options: MigrationOptions,
): Promise<CollectionReport> {
  const { events, signal } = options;
  const started = Date.now();
  const report = emptyReport(plan, 'IN_PROGRESS');
  const status = (s: CollectionStatus, phase: CollectionPhase) => {
    report.status = s;
    events.emit('collection:status', { collection: plan.source, status: s, phase });
  };
  try {
    const saved = (await options.checkpoints?.load(plan.source)) ?? [];
    status('IN_PROGRESS', 'create');
    // A resumed collection continues into what the first run created, whatever ifExists said.
    await sink.prepare(saved.length > 0 ? { ...plan, ifExists: 'append' } : plan, { rowWrites: !options.copy });
    throwIfAborted(signal);
    status('IN_PROGRESS', 'copy');
    const total = await reader.count(plan.source);
    const stats = await (options.copy ?? copyCollection)({
      plan,
      reader,
      sink,
      events,
      signal,
      // A page size from a flag or a stored job is held under MAX_PAGE_BYTES of rows: memory stays bounded.
      pageSize: boundedPageSize(plan, options.pageSize),
      readers: options.readers,
      writers: options.writers,
      total,
      ranges: saved.length > 0 ? saved : undefined,
      saveCheckpoint: options.checkpoints ? (cp) => options.checkpoints!.save(plan.source, cp) : undefined,
    });
    applyStats(report, stats);
    throwIfAborted(signal);
    status('IN_PROGRESS', 'load');
    await untilAborted(sink.finish(plan, { imported: Boolean(options.copy) }), signal);
    status('IN_PROGRESS', 'verify');
    const counts = await untilAborted(checkCounts(plan, reader, sink, report.rejectedCount), signal);
    report.sourceCount = counts.sourceCount;
    report.targetCount = counts.targetCount;
    report.verified = counts.countsMatch;
    if (options.verifySample && options.verifySample > 0) {
      const sample = await checkSample(plan, reader, sink, { sample: options.verifySample, sourceCount: counts.sourceCount, signal });
      report.mismatches = sample.mismatches;
      report.verified &&= sample.mismatches.length === 0;
    }
    if (!report.verified) {
      report.error = {
        code: 'VERIFY_FAILED',
        kind: 'system',
        message: `Collection ${plan.target} holds ${counts.targetCount} entities; expected ${counts.sourceCount - report.rejectedCount} (source ${counts.sourceCount}, rejected ${report.rejectedCount})${report.mismatches?.length ? ` and ${report.mismatches.length} sampled points differ` : ''}.`,
      };
    }
    // Only a verified collection gets its aliases: whoever queries by alias never sees less.
    if (report.verified) report.aliases = await applyCollectionAliases(plan, sink, events);
    status(report.verified ? 'SUCCESSFUL' : 'FAILED', 'done');
  } catch (e) {
    const error = asMigrationError(e);
    report.error = error.toJSON();
    if (isCancellation(e)) {
      status('CANCELLED', 'done');
    } else {
      events.emit('error', { collection: plan.source, error, willRetry: false });
      status('FAILED', 'done');
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}

/**
 * `work`, unless the job is cancelled first: then it throws the cancellation at once. Flush, index
 * build, Load and count(*) take seconds to minutes on a busy target, with retry sleeps in between,
 * and a user who cancels expects the job stopped within a second or two whatever phase it is in.
 * What is left running is idempotent and harmless: the server finishes its Load; the job's resume
 * runs these steps again. Its late result or error is dropped (the engine closes the sink).
 */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined); // once abandoned, its failure is nobody's (the race below still sees it)
  throwIfAborted(signal);
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      try {
        throwIfAborted(signal); // the signal's reason, or CANCELLED for a bare abort()
      } catch (e) {
        reject(e);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function applyStats(report: CollectionReport, stats: CopyStats): void {
  report.written = stats.written;
  report.rejected = stats.rejected;
  report.rejectedCount = stats.rejectedCount;
  report.nullsDropped = stats.nullsDropped;
  report.mismatchNulled = stats.mismatchNulled;
  report.renamedKeys = stats.renamedKeys;
}

function emptyReport(plan: CollectionPlan, status: CollectionStatus): CollectionReport {
  return {
    source: plan.source,
    target: plan.target,
    status,
    sourceCount: plan.sourceCount,
    targetCount: 0,
    written: 0,
    rejected: [],
    rejectedCount: 0,
    nullsDropped: 0,
    mismatchNulled: 0,
    renamedKeys: {},
    durationMs: 0,
    verified: false,
  };
}
