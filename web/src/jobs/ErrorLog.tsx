import { useEffect, useState } from 'react';
import type { ErrorLogView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';
import { formatCount, formatTime } from '../format.ts';

const PAGE = 10;

/** The job's error log, a page at a time, with exact counts per collection and code. */
export function ErrorLog({ jobId, version }: { jobId: string; version: number }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ErrorLogView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api
      .get<ErrorLogView>(`/jobs/${encodeURIComponent(jobId)}/errors?offset=${offset}&limit=${PAGE}`)
      .then((p) => {
        setPage(p);
        setError(null);
      })
      .catch((err: ApiError) => setError(err));
  }, [jobId, offset, version]);

  if (error) return <ErrorNotice error={error} />;
  if (!page) return null;
  if (page.total === 0) return <p className="muted">No errors.</p>;
  return (
    <div>
      <p>
        {formatCount(page.total)} error(s)
        {page.truncated && ` (the log keeps ${formatCount(page.logged)}; ${formatCount(page.dropped)} more were counted)`}:{' '}
        {page.counts.map((c) => `${c.collection ?? 'job'} ${c.code} × ${formatCount(c.count)}`).join(', ')}
      </p>
      <table className="table errors">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Collection</th>
            <th scope="col">Point</th>
            <th scope="col">Code</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {page.entries.map((e) => (
            <tr key={e.seq}>
              <td className="time">{formatTime(e.at)}</td>
              <td>{e.collection ?? '—'}</td>
              <td>{e.pointId ?? '—'}</td>
              <td>
                <code>{e.code}</code>
              </td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous
        </button>
        <span className="muted">
          {formatCount(offset + 1)}–{formatCount(Math.min(offset + PAGE, page.logged))} of {formatCount(page.logged)}
        </span>
        <button type="button" disabled={offset + PAGE >= page.logged} onClick={() => setOffset(offset + PAGE)}>
          Next
        </button>
      </div>
    </div>
  );
}
