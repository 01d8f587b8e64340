import { useEffect, useRef, useState } from 'react';
import type { PlanView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';
import { CollectionEditor } from './CollectionEditor.tsx';
import type { PayloadAwareEdit } from './payload-edits.ts';
import { sourceBody, targetBody, type WizardState } from './state.ts';

interface Props {
  state: WizardState;
  patch: (p: Partial<WizardState>) => void;
  onBack: () => void;
  onNext: () => void;
}

/** The edits of the selected collections, as /api/plan and /api/jobs take them. */
const editsOf = (state: WizardState): PayloadAwareEdit[] =>
  state.selected.map((name) => state.edits[name]).filter((e): e is PayloadAwareEdit => e !== undefined);

/**
 * Step 3: the plan preview, from the server's buildPlan() (the CLI's function), re-planned a
 * moment after each edit so every problem is the server's verdict on exactly what is shown.
 */
export function SchemaStep({ state, patch, onBack, onNext }: Props) {
  const [plan, setPlan] = useState<PlanView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(true);
  const latest = useRef(0);
  const edits = editsOf(state);
  const editsKey = JSON.stringify(edits);

  useEffect(() => {
    const ticket = ++latest.current;
    setBusy(true);
    const timer = setTimeout(async () => {
      try {
        const body = { source: sourceBody(state.source), target: targetBody(state.target), collections: state.selected, overrides: edits };
        const result = await api.post<PlanView>('/plan', body);
        if (ticket !== latest.current) return;
        setPlan(result);
        setError(null);
        patch({ planned: result.plan.collections.map(({ source, target, sourceCount }) => ({ source, target, sourceCount })) });
      } catch (err) {
        if (ticket === latest.current) setError(err as ApiError);
      } finally {
        if (ticket === latest.current) setBusy(false);
      }
    }, plan ? 400 : 0);
    return () => clearTimeout(timer);
  }, [editsKey]);

  const setEdit = (source: string, edit: PayloadAwareEdit) => patch({ edits: { ...state.edits, [source]: edit } });
  const errors = plan?.problems.filter((p) => p.severity === 'error').length ?? 0;

  return (
    <div className="card">
      <h2 tabIndex={-1}>Configure Schema</h2>
      <p className="muted">
        Field names and the target collection can be renamed; types follow the source and the target and are fixed.
      </p>
      {!plan && busy && <p aria-live="polite">Planning…</p>}
      {error && <ErrorNotice error={error} title="The plan could not be made" />}
      {plan?.plan.collections.map((c) => (
        <CollectionEditor
          key={c.source}
          plan={c}
          problems={plan.problems.filter((p) => p.collection === c.source)}
          edit={state.edits[c.source] ?? { source: c.source }}
          setEdit={(edit) => setEdit(c.source, edit)}
          target={state.target}
          capabilities={plan.capabilities}
        />
      ))}
      <div className="actions nav">
        <button type="button" onClick={onBack}>
          Back
        </button>
        <button type="button" className="primary" disabled={busy || !plan || errors > 0} onClick={onNext}>
          Next
        </button>
        <span className="muted" aria-live="polite">
          {busy ? 'Checking the plan…' : errors > 0 ? `${errors} problem(s) to fix before migrating.` : plan ? 'The plan is valid.' : ''}
        </span>
      </div>
    </div>
  );
}
