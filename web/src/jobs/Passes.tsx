import type { JobDetailView, PassView } from '../../../src/api/schemas/responses.ts';
import { formatCount, formatTime } from '../format.ts';

/** Whether a finished pass found (verify-full) or changed (sync) nothing. */
const clean = (p: PassView) => (p.upserted !== undefined ? p.upserted === 0 && (p.deleted ?? 0) === 0 : p.missing + p.different + (p.extra ?? 0) === 0);

/**
 * The passes of a verify-full or sync job, per collection: what each compared and found or
 * changed (sync: upserted / deleted / unchanged; verify-full: missing / extra / different).
 */
export function Passes({ job }: { job: JobDetailView }) {
  if (job.passes.length === 0) return <p className="muted">No pass has started yet.</p>;
  const sync = job.kind === 'sync';
  return (
    <table className="table passes">
      <caption className="sr-only">Passes of job {job.id}</caption>
      <thead>
        <tr>
          <th scope="col">Pass</th>
          <th scope="col">Collection</th>
          <th scope="col" className="num">Compared</th>
          {sync ? (
            <>
              <th scope="col" className="num">Upserted</th>
              <th scope="col" className="num">Deleted</th>
              <th scope="col" className="num">Unchanged</th>
            </>
          ) : (
            <th scope="col" className="num">Extra</th>
          )}
          <th scope="col" className="num">Missing</th>
          <th scope="col" className="num">Different</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {job.passes.map((p) => (
          <tr key={`${p.pass}|${p.collection}`} data-pass={p.pass}>
            <td className="num">{p.pass}</td>
            <td>{p.collection}</td>
            <td className="num">{formatCount(p.compared)}</td>
            {sync ? (
              <>
                <td className="num">{formatCount(p.upserted)}</td>
                <td className="num">{formatCount(p.deleted)}</td>
                <td className="num">{formatCount(p.unchanged)}</td>
              </>
            ) : (
              <td className="num">{formatCount(p.extra)}</td>
            )}
            <td className="num">{formatCount(p.missing)}</td>
            <td className="num">{formatCount(p.different)}</td>
            <td className={p.phase !== 'done' ? 'muted' : clean(p) ? 'ok' : 'warn'}>
              {p.phase !== 'done' ? `running (${p.phase})` : clean(p) ? (sync ? '✓ nothing to change' : '✓ no difference') : sync ? `changed · ${formatTime(p.endedAt)}` : '✗ differences'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the migration did with its aliases (created, moved from another collection, skipped). */
export function AliasOutcomes({ aliases }: { aliases: JobDetailView['aliases'] }) {
  if (!aliases || aliases.length === 0) return null;
  return (
    <p aria-label="Alias outcomes">
      <strong>Aliases:</strong>{' '}
      {aliases.map((a, i) => (
        <span key={a.name}>
          {i > 0 && ', '}
          <code>{a.name}</code> {a.action}
          {a.from !== undefined && (a.action === 'moved' ? ` from ${a.from}` : ` (still on ${a.from})`)}
        </span>
      ))}
    </p>
  );
}
