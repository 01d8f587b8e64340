/**
 * What the API shows of a job. Built field by field from the store's redacted Job, never by
 * spreading it, so a field added to the store (a credential, say) cannot leak into a response:
 * credentials appear only as `hasApiKey` / `hasToken`.
 */
import type { BulkJobOptions } from '../bulk/job.ts';
import type { JobStore } from '../jobs/store.ts';
import type { CollectionState, Job, PassState } from '../jobs/types.ts';
import type { LiveHub } from './hub.ts';
import type { CollectionProgressView, JobDetailView, JobSummaryView, PassView, VerificationView } from './schemas/responses.ts';

const percentOf = (done: number, total: number, finished: boolean) =>
  total > 0 ? Math.min(100, Math.round((1000 * done) / total) / 10) : finished ? 100 : 0;

function collectionView(job: Job, c: CollectionState, hub: LiveHub): CollectionProgressView {
  const live = c.status === 'IN_PROGRESS' && job.status === 'IN_PROGRESS' ? hub.rate(job.id, c.source) : undefined;
  return {
    source: c.source,
    target: c.target,
    status: c.status,
    phase: c.phase,
    total: c.total,
    written: c.written,
    rejected: c.rejected,
    percent: percentOf(c.written + c.rejected, c.total, c.status === 'SUCCESSFUL'),
    pointsPerSecond: live?.pointsPerSecond ?? null,
    etaSeconds: live?.etaSeconds ?? null,
    nullsDropped: c.nullsDropped,
    mismatchNulled: c.mismatchNulled,
    renamedKeys: { ...c.renamedKeys },
    sourceCount: c.sourceCount,
    targetCount: c.targetCount,
    verified: c.verified,
    startedAt: c.startedAt,
    endedAt: c.endedAt,
  };
}

export function jobSummaryView(job: Job, store: JobStore, hub: LiveHub): JobSummaryView {
  const collections = job.collections.map((c) => collectionView(job, c, hub));
  const total = collections.reduce((n, c) => n + c.total, 0);
  const done = collections.reduce((n, c) => n + c.written + c.rejected, 0);
  const rates = collections.map((c) => c.pointsPerSecond).filter((r): r is number => r !== null);
  const pointsPerSecond = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) : null;
  const etaSeconds = pointsPerSecond && pointsPerSecond > 0 ? Math.round(Math.max(0, total - done) / pointsPerSecond) : null;
  return {
    id: job.id,
    status: job.status,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    cancelRequested: job.cancelRequested,
    source: { url: job.source.url, hasApiKey: job.source.apiKey !== undefined },
    target: { uri: job.target.uri, database: job.target.database, hasToken: job.target.token !== undefined },
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
    progress: { total, done, percent: percentOf(done, total, job.status === 'SUCCESSFUL'), pointsPerSecond, etaSeconds },
    errorCount: store.errors(job.id, { limit: 0 }).total,
    collections,
    kind: job.kind ?? 'migrate',
    parentJobId: job.parentJobId ?? null,
    inSyncAt: job.inSyncAt ?? null,
  };
}

export function jobDetailView(job: Job, store: JobStore, hub: LiveHub): JobDetailView {
  return {
    ...jobSummaryView(job, store, hub),
    plan: job.plan,
    options: optionsView(job.options),
    passes: store.passes(job.id).map(passView),
    aliases: job.aliases?.map(aliasView) ?? null,
  };
}

/** The run options a user chose, field by field (never a storage key: those are sealed apart). */
function optionsView(o: Record<string, unknown>): JobDetailView['options'] {
  const options: JobDetailView['options'] = {};
  if (typeof o.pageSize === 'number') options.pageSize = o.pageSize;
  if (typeof o.verifySample === 'number') options.verifySample = o.verifySample;
  if (o.sourceTransport === 'rest' || o.sourceTransport === 'grpc') options.sourceTransport = o.sourceTransport;
  if (o.mode === 'upsert' || o.mode === 'bulk') options.mode = o.mode;
  // src/bulk/job.ts keeps endpoint, bucket and prefix in the options; the keys are sealed apart.
  const storage = o.bulk as Partial<BulkJobOptions> | undefined;
  if (storage && typeof storage.endpoint === 'string' && typeof storage.bucket === 'string') {
    options.storage = {
      endpoint: storage.endpoint, bucket: storage.bucket,
      ...(typeof storage.prefix === 'string' && { prefix: storage.prefix }),
      ...(typeof storage.region === 'string' && { region: storage.region }),
      ...(storage.format && { format: storage.format }),
      ...(storage.api && { api: storage.api }),
      ...(typeof storage.fileBytes === 'number' && { fileKb: Math.round(storage.fileBytes / 1024) }),
    };
  }
  return options;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0);

/** A pass's counts: sync's PassCounts or verify-full's FullCheck, whichever the job kept. */
function passView(p: PassState): PassView {
  const c = p.counts;
  const view: PassView = {
    collection: p.collection, pass: p.pass, phase: p.phase, startedAt: p.startedAt, updatedAt: p.updatedAt, endedAt: p.endedAt,
    compared: num(c.compared), missing: num(c.missing), different: num(c.different),
  };
  for (const k of ['extra', 'upserted', 'deleted', 'unchanged', 'rejected'] as const) if (k in c) view[k] = num(c[k]);
  return view;
}

function aliasView(a: Record<string, unknown>): NonNullable<JobDetailView['aliases']>[number] {
  const action = ['created', 'moved', 'unchanged', 'skipped'].includes(a.action as string) ? (a.action as 'created') : 'unchanged';
  return { name: String(a.name), action, ...(typeof a.from === 'string' && { from: a.from }) };
}

/** Source vs target counts per collection, as the engine's verify left them. */
export function verificationView(job: Job): VerificationView {
  const collections = job.collections.map((c) => ({
    source: c.source,
    target: c.target,
    status: c.status,
    sourceCount: c.sourceCount,
    targetCount: c.targetCount,
    rejected: c.rejected,
    verified: c.verified,
  }));
  const verified = collections.some((c) => c.verified === false)
    ? false
    : collections.length > 0 && collections.every((c) => c.verified === true)
      ? true
      : null;
  return { id: job.id, status: job.status, verified, collections };
}
