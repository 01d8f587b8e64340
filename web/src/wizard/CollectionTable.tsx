import type { SourceCollectionView } from '../../../src/api/schemas/responses.ts';
import { ProblemList } from '../components/ProblemList.tsx';
import { formatCount } from '../format.ts';

interface Props {
  collections: SourceCollectionView[];
  selected: string[];
  onSelected: (names: string[]) => void;
}

const vectorText = (v: SourceCollectionView['vectors'][number]) =>
  `${v.name || '(unnamed)'}: ${v.kind === 'sparse' ? 'sparse' : `${v.dim}-d ${v.datatype} ${v.distance ?? ''}`.trim()}${v.missingCount ? `, missing on ${formatCount(v.missingCount)}` : ''}`;

const idText = (k: SourceCollectionView['idKinds']) => [k.int && 'integer', k.uuid && 'UUID', k.intAbove63 && 'integer > 2^63'].filter(Boolean).join(', ') || 'none';

function Readiness({ c }: { c: SourceCollectionView }) {
  const warnings = c.problems.some((p) => p.severity === 'warning');
  if (!c.migratable) return <span className="chip chip-failed">Needs changes</span>;
  return <span className={`chip ${warnings ? 'chip-warning' : 'chip-successful'}`}>{warnings ? 'Ready, with warnings' : 'Ready'}</span>;
}

/** The source's collections: pick with the checkbox; readiness and its reasons per row. */
export function CollectionTable({ collections, selected, onSelected }: Props) {
  if (collections.length === 0) return <p>The source has no collections.</p>;
  const toggle = (name: string, on: boolean) => onSelected(on ? [...selected, name] : selected.filter((n) => n !== name));
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Migrate</th>
          <th scope="col">Collection</th>
          <th scope="col" className="num">Points</th>
          <th scope="col">Vectors</th>
          <th scope="col">Ids</th>
          <th scope="col">Readiness</th>
        </tr>
      </thead>
      <tbody>
        {collections.map((c) => (
          <tr key={c.name}>
            <td>
              <input type="checkbox" id={`pick-${c.name}`} checked={selected.includes(c.name)} onChange={(e) => toggle(c.name, e.target.checked)} />
            </td>
            <td>
              <label htmlFor={`pick-${c.name}`} className="strong">
                {c.name}
              </label>
            </td>
            <td className="num">{formatCount(c.pointsCount)}</td>
            <td>
              {c.vectors.map((v) => (
                <div key={v.name}>{vectorText(v)}</div>
              ))}
            </td>
            <td>{idText(c.idKinds)}</td>
            <td>
              <Readiness c={c} />
              <ProblemList problems={c.problems} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
