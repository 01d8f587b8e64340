import { useEffect, useRef, useState } from 'react';
import type { JobSummaryView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusChip } from '../components/StatusChip.tsx';
import { streamEvents } from '../events.ts';
import { elapsed, formatTime } from '../format.ts';
import { JobActions } from './actions.tsx';
import { KIND_TITLE } from './FollowUps.tsx';
import { applyProgress, needsRefetch } from './live.ts';

/** Every job, newest first, moving live. */
export function JobsPage() {
  const [jobs, setJobs] = useState<JobSummaryView[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = () =>
    api
      .get<{ jobs: JobSummaryView[] }>('/jobs')
      .then((r) => {
        setJobs(r.jobs);
        setError(null);
      })
      .catch((err: ApiError) => setError(err));

  useEffect(() => {
    const refetchSoon = () => {
      clearTimeout(refetchTimer.current);
      refetchTimer.current = setTimeout(() => void load(), 200);
    };
    const stop = streamEvents('/events', (e) => {
      if (needsRefetch(e)) refetchSoon();
      else setJobs((list) => list && list.map((j) => applyProgress(j, e)));
    }, refetchSoon);
    void load();
    return () => {
      stop();
      clearTimeout(refetchTimer.current);
    };
  }, []);

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      {error && <ErrorNotice error={error} />}
      {jobs && jobs.length === 0 && (
        <p>
          No jobs yet. <a href="#/">Start a migration</a>.
        </p>
      )}
      {jobs && jobs.length > 0 && <JobsTable jobs={jobs} onChanged={() => void load()} />}
    </section>
  );
}

function JobsTable({ jobs, onChanged }: { jobs: JobSummaryView[]; onChanged: () => void }) {
  return (
    <table className="table jobs">
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Status</th>
          <th scope="col">Collections</th>
          <th scope="col">Progress</th>
          <th scope="col">Created</th>
          <th scope="col">Duration</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id} data-job={j.id}>
            <td>
              <code>{j.id}</code>
              {j.kind !== 'migrate' && <div className="hint">{KIND_TITLE[j.kind]}{j.inSyncAt ? ' · in sync' : ''}</div>}
              {j.kind === 'migrate' && j.inSyncAt && <div className="hint ok">in sync at {formatTime(j.inSyncAt)}</div>}
            </td>
            <td>
              <StatusChip status={j.status} />
            </td>
            <td>{j.collections.map((c) => `${c.source} → ${c.target}`).join(', ')}</td>
            <td className="wide">
              <ProgressBar label={`Progress of job ${j.id}`} done={j.progress.done} total={j.progress.total} percent={j.progress.percent}
                pointsPerSecond={j.progress.pointsPerSecond} etaSeconds={j.progress.etaSeconds} live={j.status === 'IN_PROGRESS'} />
            </td>
            <td className="time">{formatTime(j.createdAt)}</td>
            <td>{elapsed(j.startedAt, j.endedAt)}</td>
            <td className="actions-cell">
              <a className="button" href={`#/jobs/${encodeURIComponent(j.id)}`} aria-label={`View details of job ${j.id}`}>
                View Details
              </a>
              <JobActions job={j} onChanged={onChanged} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
