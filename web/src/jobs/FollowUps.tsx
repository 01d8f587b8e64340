import { useState } from 'react';
import type { FollowUpView, JobSummaryView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';
import { navigate } from '../router.ts';

/**
 * "Full verify" and "Sync" of a finished job (issue 11): each starts a job of its own over the same
 * plan, source and target, and opens its page. Shown once the job has ended (a failed migration can
 * be synced: sync repairs whatever the target lacks).
 */
export function FollowUpActions({ job }: { job: JobSummaryView }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  if (job.status !== 'SUCCESSFUL' && job.status !== 'FAILED') return null;
  const start = async (what: 'verify-full' | 'sync') => {
    setBusy(true);
    setError(null);
    try {
      const created = await api.post<FollowUpView>(`/jobs/${encodeURIComponent(job.id)}/${what}`, what === 'sync' ? { maxPasses: 3 } : {});
      navigate(`/jobs/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="job-actions">
      <button type="button" disabled={busy} onClick={() => void start('verify-full')} aria-label={`Full verify of job ${job.id}`}
        title="Compare every point by content: missing, extra and different points.">
        Full verify
      </button>
      <button type="button" disabled={busy} onClick={() => void start('sync')} aria-label={`Sync job ${job.id}`}
        title="Bring the target up to date: upsert missing and changed points, delete the ones the source no longer has.">
        Sync
      </button>
      {error && <ErrorNotice error={error} title="Not started" />}
    </span>
  );
}

export const KIND_TITLE: Record<JobSummaryView['kind'], string> = { migrate: 'Migration', 'verify-full': 'Full verification', sync: 'Sync' };
