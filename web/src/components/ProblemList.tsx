import type { ProblemView } from '../../../src/api/schemas/responses.ts';

/** Plan problems, each with its fix; errors first. Rendered next to the thing they concern. */
export function ProblemList({ problems, id }: { problems: ProblemView[]; id?: string }) {
  if (problems.length === 0) return null;
  const sorted = [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return (
    <ul className="problems" id={id}>
      {sorted.map((p, i) => (
        <li key={`${p.code}-${i}`} className={`problem problem-${p.severity}`}>
          <span className="problem-tag">{p.severity === 'error' ? 'Error' : 'Warning'}</span> {p.message}
          {p.fix && <span className="fix"> Fix: {p.fix}</span>}
        </li>
      ))}
    </ul>
  );
}
