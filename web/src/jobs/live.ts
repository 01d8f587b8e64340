/**
 * Applying Server-Sent Events to a job the page shows: progress moves the bars at once; status
 * and collection changes are left to a refetch (the server's view is the truth for those).
 */
import type { CollectionProgressView, JobEvent, JobSummaryView } from '../../../src/api/schemas/responses.ts';

/** Whether an event means the page should refetch the job (status or phase changed, new errors). */
export const needsRefetch = (e: JobEvent) => e.type === 'status' || e.type === 'collection' || e.type === 'error';

export function applyProgress<J extends JobSummaryView>(job: J, e: JobEvent): J {
  if (e.type === 'snapshot') return { ...job, ...e.job };
  if (e.type !== 'progress' || e.jobId !== job.id) return job;
  const collections = job.collections.map((c): CollectionProgressView => {
    if (c.source !== e.collection) return c;
    const done = e.written + e.rejected;
    const percent = e.total > 0 ? Math.min(100, Math.round((1000 * done) / e.total) / 10) : c.percent;
    return { ...c, total: e.total, written: e.written, rejected: e.rejected, percent, pointsPerSecond: e.pointsPerSecond, etaSeconds: e.etaSeconds };
  });
  const total = collections.reduce((n, c) => n + c.total, 0);
  const done = collections.reduce((n, c) => n + c.written + c.rejected, 0);
  const rates = collections.filter((c) => c.status === 'IN_PROGRESS' || c.source === e.collection).map((c) => c.pointsPerSecond ?? 0);
  const pointsPerSecond = rates.reduce((a, b) => a + b, 0);
  const progress = {
    total,
    done,
    percent: total > 0 ? Math.min(100, Math.round((1000 * done) / total) / 10) : job.progress.percent,
    pointsPerSecond,
    etaSeconds: pointsPerSecond > 0 ? Math.round(Math.max(0, total - done) / pointsPerSecond) : null,
  };
  return { ...job, collections, progress };
}
