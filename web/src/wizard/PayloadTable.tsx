import { Fragment } from 'react';
import type { CollectionPlanView, PlanView, ProblemView } from '../../../src/api/schemas/responses.ts';
import { ProblemList } from '../components/ProblemList.tsx';
import {
  fieldNameOf, isPromoted, kindsText, maxLengthText, mismatchOf, PARTITION_KEY_TYPES, partitionFieldOf, proposalText, qdrantIndexText,
  setFieldChoice, setPartitionKey, setPromoted, shareText, type KeyPlan, type MismatchPolicy, type PayloadAwareEdit,
} from './payload-edits.ts';

interface Props {
  plan: CollectionPlanView;
  edit: PayloadAwareEdit;
  setEdit: (edit: PayloadAwareEdit) => void;
  problems: ProblemView[];
  capabilities: PlanView['capabilities'] | undefined;
}

/** Problems of one key: the plan puts them on `payload.<key>` (or deeper). */
export const keyProblems = (problems: ProblemView[], key: string) =>
  problems.filter((p) => p.path === `payload.${key}` || p.path?.startsWith(`payload.${key}.`));

/** Why a key's partition-key switch is locked, or null when it is live. */
export function partitionLock(plan: CollectionPlanView, edit: PayloadAwareEdit, k: KeyPlan, capabilities: Props['capabilities']): string | null {
  if (capabilities?.scalar && !capabilities.scalar.partitionKey) return 'The target does not accept a partition key.';
  if (!isPromoted(edit, k)) return 'Dynamic key: promote it to a field first.';
  const type = plan.payload?.find((p) => p.key === k.key)?.field?.type;
  if (type === undefined) return 'Its field type is being planned…';
  if (!PARTITION_KEY_TYPES.has(type)) return `A partition key must be VarChar or Int64; this field is ${type}.`;
  return null;
}

/**
 * The payload keys of one collection (Qdrant payload_schema plus a sample of points): what the
 * source holds, what the plan proposes, and per key "Promote to field" with its name and mismatch
 * policy, and the partition-key switch (live only for promoted VarChar / Int64 fields).
 */
export function PayloadTable({ plan, edit, setEdit, problems, capabilities }: Props) {
  const keys = plan.payload ?? [];
  if (keys.length === 0) return <p className="muted">No payload keys were found in the sample: the payload goes to the dynamic field ($meta).</p>;
  const partitionField = partitionFieldOf(edit, plan);
  return (
    <table className="table payload-keys">
      <caption className="cap">Payload keys of {plan.source}</caption>
      <thead>
        <tr>
          <th scope="col">Payload key</th>
          <th scope="col">Observed types</th>
          <th scope="col" className="num">Share</th>
          <th scope="col" className="num">Max length</th>
          <th scope="col">Qdrant index</th>
          <th scope="col">Plan</th>
          <th scope="col">Promote to field</th>
          <th scope="col">Partition key</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const own = keyProblems(problems, k.key);
          const promoted = isPromoted(edit, k);
          const name = fieldNameOf(edit, k);
          const lock = partitionLock(plan, edit, k, capabilities);
          return (
            <Fragment key={k.key}>
              <tr data-key={k.key} className={own.some((p) => p.severity === 'error') ? 'has-error' : undefined}>
                <th scope="row"><code>{k.key}</code></th>
                <td>{kindsText(k)}</td>
                <td className="num">{shareText(k)}</td>
                <td className="num">{maxLengthText(k)}</td>
                <td>{qdrantIndexText(k)}</td>
                <td>
                  {proposalText(k)}
                  {k.note && <div className="hint">{k.note}</div>}
                </td>
                <td>
                  <label className="inline">
                    <input type="checkbox" checked={promoted} onChange={(e) => setEdit(setPromoted(edit, k, e.target.checked))} aria-label={`Promote ${k.key} to field`} /> Promote
                  </label>
                  {promoted && (
                    <div className="promoted">
                      <input aria-label={`Field name for ${k.key}`} value={name} spellCheck={false} onChange={(e) => setEdit(setFieldChoice(edit, k, { name: e.target.value }))} />
                      <select aria-label={`Values of ${k.key} that do not fit`} value={mismatchOf(edit, k)} onChange={(e) => setEdit(setFieldChoice(edit, k, { onMismatch: e.target.value as MismatchPolicy }))}>
                        <option value="reject">Misfit: reject the point</option>
                        <option value="null">Misfit: null, keep raw in $meta</option>
                        <option value="fail">Misfit: fail the job</option>
                      </select>
                    </div>
                  )}
                </td>
                <td>
                  <label className="inline" title={lock ?? undefined}>
                    <input type="checkbox" checked={promoted && partitionField === name} disabled={lock !== null}
                      onChange={(e) => setEdit(setPartitionKey(edit, plan, e.target.checked ? name : null))}
                      aria-label={`Partition key: ${k.key}`} aria-describedby={lock ? `pk-why-${plan.source}-${k.key}` : undefined} />
                    {lock && <span className="hint" id={`pk-why-${plan.source}-${k.key}`}>{lock}</span>}
                  </label>
                  {k.stats?.index?.isTenant && !promoted && <div className="hint">Qdrant tenant key: promote it to partition by it.</div>}
                </td>
              </tr>
              {own.length > 0 && (
                <tr className="problem-row">
                  <td colSpan={8}><ProblemList problems={own} /></td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
