import type { JobDetailView } from '../../../src/api/schemas/responses.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusChip } from '../components/StatusChip.tsx';
import { formatCount } from '../format.ts';

const verifiedText = (v: boolean | null) => (v === true ? '✓ verified' : v === false ? '✗ mismatch' : '—');

/** Per collection: status and phase, live progress, and source vs target counts. */
export function CollectionsTable({ job }: { job: JobDetailView }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Source → target</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col" className="num">Rejected</th>
          <th scope="col" className="num">Source count</th>
          <th scope="col" className="num">Target count</th>
          <th scope="col">Verification</th>
        </tr>
      </thead>
      <tbody>
        {job.collections.map((c) => (
          <tr key={c.source}>
            <td>
              {c.source} → <strong>{c.target}</strong>
            </td>
            <td>
              <StatusChip status={c.status} />
              {c.status === 'IN_PROGRESS' && c.phase && <div className="hint">{c.phase}</div>}
            </td>
            <td className="wide">
              <ProgressBar label={`Progress of ${c.source}`} done={c.written + c.rejected} total={c.total} percent={c.percent} pointsPerSecond={c.pointsPerSecond} etaSeconds={c.etaSeconds} live={c.status === 'IN_PROGRESS'} />
            </td>
            <td className="num">{formatCount(c.rejected)}</td>
            <td className="num">{formatCount(c.sourceCount)}</td>
            <td className="num">{formatCount(c.targetCount)}</td>
            <td className={c.verified === true ? 'ok' : c.verified === false ? 'bad' : 'muted'}>{verifiedText(c.verified)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
