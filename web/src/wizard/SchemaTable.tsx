import { Fragment, type ReactNode } from 'react';
import type { CollectionEdit } from '../../../src/api/schemas/requests.ts';
import type { PayloadAwareEdit } from './payload-edits.ts';
import type { CollectionPlanView, ProblemView } from '../../../src/api/schemas/responses.ts';
import { ProblemList } from '../components/ProblemList.tsx';

type Vector = CollectionPlanView['vectors'][number];
type VectorEdit = NonNullable<CollectionEdit['vectors']>[number];

interface Props {
  plan: CollectionPlanView;
  edit: PayloadAwareEdit;
  setEdit: (edit: PayloadAwareEdit) => void;
  problems: ProblemView[];
}

const vectorPath = (v: Vector) => `vectors.${v.source === '' ? '(unnamed)' : v.source}`;
const METRICS = ['COSINE', 'IP', 'L2'] as const;

/** Source field → target field, type, dim, metric, index. Only names (and a missing metric) are editable. */
export function SchemaTable({ plan, edit, setEdit, problems }: Props) {
  const vectorEdit = (source: string): VectorEdit => edit.vectors?.find((v) => v.source === source) ?? { source };
  const setVector = (source: string, patch: Partial<VectorEdit>) =>
    setEdit({ ...edit, vectors: [...(edit.vectors ?? []).filter((v) => v.source !== source), { ...vectorEdit(source), ...patch }] });
  const pk = plan.primaryKey;
  return (
    <table className="table schema">
      <caption className="sr-only">Schema of {plan.target}</caption>
      <thead>
        <tr>
          <th scope="col">Source field</th>
          <th scope="col">Target field</th>
          <th scope="col">Type</th>
          <th scope="col">Dim</th>
          <th scope="col">Metric</th>
          <th scope="col">Index</th>
        </tr>
      </thead>
      <tbody>
        <Row source="(point id)" problems={problems.filter((p) => p.path === 'primaryKey')}
          field={<NameInput label="Primary key field" value={edit.primaryKey?.field ?? pk.field} onChange={(field) => setEdit({ ...edit, primaryKey: { ...edit.primaryKey, field } })} />}
          type={`${pk.type}${pk.maxLength ? `(${pk.maxLength})` : ''} · primary key`} />
        {plan.vectors.map((v) => (
          <Row key={v.source} source={v.source || '(unnamed vector)'} problems={problems.filter((p) => p.path === vectorPath(v))}
            field={<NameInput label={`Target field for ${v.source || 'the unnamed vector'}`} value={vectorEdit(v.source).field ?? v.field} onChange={(field) => setVector(v.source, { field })} />}
            type={v.type} dim={v.dim} note={v.note}
            metric={v.metric === null || vectorEdit(v.source).metric ? <MetricSelect label={`Metric for ${v.field}`} value={vectorEdit(v.source).metric ?? ''} onChange={(metric) => setVector(v.source, { metric })} /> : v.metric}
            index={`${v.index.type} ${Object.entries(v.index.params).map(([k, x]) => `${k}=${x}`).join(' ')}`} />
        ))}
        <Row source="(payload)" problems={[]} field={<code>$meta</code>} type="JSON · dynamic field" />
      </tbody>
    </table>
  );
}

interface RowProps {
  source: string;
  field: ReactNode;
  type: string;
  dim?: number;
  metric?: ReactNode;
  index?: string;
  note?: string;
  problems: ProblemView[];
}

function Row({ source, field, type, dim, metric, index, note, problems }: RowProps) {
  return (
    <Fragment>
      <tr className={problems.some((p) => p.severity === 'error') ? 'has-error' : undefined}>
        <td>{source}</td>
        <td>{field}</td>
        <td>
          {type}
          {note && <div className="hint">{note}</div>}
        </td>
        <td className="num">{dim ?? ''}</td>
        <td>{metric ?? ''}</td>
        <td>{index ?? ''}</td>
      </tr>
      {problems.length > 0 && (
        <tr className="problem-row">
          <td colSpan={6}>
            <ProblemList problems={problems} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

function NameInput({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  return <input aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} />;
}

function MetricSelect({ label, value, onChange }: { label: string; value: string; onChange: (v: (typeof METRICS)[number]) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as (typeof METRICS)[number])}>
      <option value="" disabled>
        Choose…
      </option>
      {METRICS.map((m) => (
        <option key={m} value={m}>
          {m}
        </option>
      ))}
    </select>
  );
}
