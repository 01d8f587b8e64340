import { useEffect, useRef, useState } from 'react';
import type { JobDetailView, VerificationView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusChip } from '../components/StatusChip.tsx';
import { streamEvents } from '../events.ts';
import { elapsed, formatTime } from '../format.ts';
import { JobActions } from './actions.tsx';
import { FollowUpActions, KIND_TITLE } from './FollowUps.tsx';
import { AliasOutcomes, Passes } from './Passes.tsx';
import { CollectionsTable } from './CollectionsTable.tsx';
import { ErrorLog } from './ErrorLog.tsx';
import { applyProgress, needsRefetch } from './live.ts';

/** One job: live progress per collection, verification (source vs target counts) and the error log. */
export function JobDetailPage({ id }: { id: string }) {
  const [job, setJob] = useState<JobDetailView | null>(null);
  const [verification, setVerification] = useState<VerificationView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  /** Bumped on every refetch so the error log reloads too. */
  const [version, setVersion] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const path = `/jobs/${encodeURIComponent(id)}`;

  const load = async () => {
    try {
      const [j, v] = await Promise.all([api.get<JobDetailView>(path), api.get<VerificationView>(`${path}/verification`)]);
      setJob(j);
      setVerification(v);
      setVersion((n) => n + 1);
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    }
  };

  useEffect(() => {
    const refetchSoon = () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void load(), 200);
    };
    const stop = streamEvents(`${path}/events`, (e) => {
      if (needsRefetch(e)) refetchSoon();
      else setJob((j) => j && applyProgress(j, e));
    }, refetchSoon);
    void load();
    return () => {
      stop();
      clearTimeout(timer.current);
    };
  }, [id]);

  if (error && !job) return <ErrorNotice error={error} title="Job not available" />;
  if (!job) return <p aria-live="polite">Loading job {id}…</p>;
  const live = job.status === 'IN_PROGRESS';
  return (
    <section aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← All jobs</a>
      </p>
      <h1 id="job-title">
        {job.kind === 'migrate' ? 'Job' : KIND_TITLE[job.kind]} <code>{job.id}</code> <StatusChip status={job.status} />
      </h1>
      <p className="muted">
        {job.source.url} → {job.target.uri} (database {job.target.database}) · created {formatTime(job.createdAt)} · duration {elapsed(job.startedAt, job.endedAt)}
        {job.parentJobId && (
          <>
            {' '}· started from <a href={`#/jobs/${encodeURIComponent(job.parentJobId)}`}>job {job.parentJobId}</a>
          </>
        )}
      </p>
      {job.options.mode === 'bulk' && job.options.storage && (
        <p className="muted">
          Write mode: bulk import, files in <code>{job.options.storage.endpoint}</code> bucket <code>{job.options.storage.bucket}</code>
          {job.options.storage.prefix !== undefined && <> under <code>{job.options.storage.prefix}/</code></>} (keys sealed in the job store).
        </p>
      )}
      {job.inSyncAt && (
        <p className="notice notice-success" role="status">
          ✓ In sync at {formatTime(job.inSyncAt)}: a sync pass found nothing to change. The target equals the source: ready for cutover.
        </p>
      )}
      <div className="actions">
        <JobActions job={job} onChanged={() => void load()} />
        <FollowUpActions job={job} />
      </div>
      {job.error && (
        <div className={`notice ${job.status === 'CANCELLED' ? 'notice-info' : 'notice-error'}`} role="status">
          <code className="code">{job.error.code}</code> {job.error.message}
        </div>
      )}
      <ProgressBar label="Job progress" done={job.progress.done} total={job.progress.total} percent={job.progress.percent} pointsPerSecond={job.progress.pointsPerSecond} etaSeconds={job.progress.etaSeconds} live={live} />
      {job.kind === 'migrate' ? (
        <>
          <h2>Collections and verification</h2>
          <VerificationSummary verification={verification} />
          <CollectionsTable job={job} />
          <AliasOutcomes aliases={job.aliases} />
        </>
      ) : (
        <>
          <h2>Passes</h2>
          <Passes job={job} />
          <CollectionsTable job={job} />
        </>
      )}
      <h2>Error log</h2>
      <ErrorLog jobId={job.id} version={version} />
    </section>
  );
}

function VerificationSummary({ verification }: { verification: VerificationView | null }) {
  if (!verification) return null;
  if (verification.verified === true) return <p className="ok">✓ Verified: every target collection holds what its source held.</p>;
  if (verification.verified === false) return <p className="bad">✗ Not verified: see the counts below and the error log.</p>;
  if (verification.status === 'CANCELLED' || verification.status === 'FAILED') {
    return <p className="muted">Not verified: the job stopped before every collection was compared. Resume it to finish and verify.</p>;
  }
  return <p className="muted">Not verified yet: counts are compared when each collection has been copied.</p>;
}
