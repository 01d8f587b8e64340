import { useState } from 'react';
import type { JobSummaryView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';

/** Cancel (while running or pending) and Resume (after FAILED or CANCELLED) of one job. */
export function JobActions({ job, onChanged }: { job: JobSummaryView; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const act = async (what: 'cancel' | 'resume') => {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/jobs/${encodeURIComponent(job.id)}/${what}`);
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const canCancel = (job.status === 'IN_PROGRESS' || job.status === 'PENDING') && !job.cancelRequested;
  const canResume = job.status === 'FAILED' || job.status === 'CANCELLED';
  return (
    <span className="job-actions">
      {canCancel && (
        <button type="button" className="danger" disabled={busy} onClick={() => void act('cancel')} aria-label={`Cancel job ${job.id}`}>
          Cancel
        </button>
      )}
      {job.cancelRequested && job.status === 'IN_PROGRESS' && <span className="muted">Cancelling…</span>}
      {canResume && (
        <button type="button" disabled={busy} onClick={() => void act('resume')} aria-label={`Resume job ${job.id}`}>
          Resume
        </button>
      )}
      {error && <ErrorNotice error={error} />}
    </span>
  );
}
