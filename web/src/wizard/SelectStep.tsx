import { useEffect, useState, type FormEvent } from 'react';
import type { SourceCollectionsView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { ErrorNotice } from '../components/Notice.tsx';
import { CollectionTable } from './CollectionTable.tsx';
import { sourceBody, targetBody, type WizardState } from './state.ts';

interface Props {
  state: WizardState;
  patch: (p: Partial<WizardState>) => void;
  onBack: () => void;
  onNext: () => void;
}

/** Step 2: pick collections (with readiness) and the target cluster. */
export function SelectStep({ state, patch, onBack, onNext }: Props) {
  const [data, setData] = useState<SourceCollectionsView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const targetChecked = state.targetOk;
  const setTargetChecked = (targetOk: boolean) => patch({ targetOk });

  const load = async (withTarget: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const body = { source: sourceBody(state.source), ...(withTarget ? { target: targetBody(state.target) } : {}) };
      setData(await api.post<SourceCollectionsView>('/source/collections', body));
      setTargetChecked(withTarget);
    } catch (err) {
      setError(err as ApiError);
      setTargetChecked(false);
    } finally {
      setBusy(false);
    }
  };

  // Once, on arrival: the source is fixed in this step; the target is read when the user checks it.
  useEffect(() => {
    void load(targetChecked);
  }, []);

  const setTarget = (p: Partial<WizardState['target']>) => patch({ target: { ...state.target, ...p }, targetOk: false });
  const checkTarget = (e: FormEvent) => {
    e.preventDefault();
    void load(true);
  };

  return (
    <div className="card">
      <h2 tabIndex={-1}>Select Source and Target</h2>
      <h3>Source collections</h3>
      {data && <p className="muted">Readiness judged against {data.judgedAgainst.kind} {data.judgedAgainst.version}.</p>}
      {busy && !data && <p aria-live="polite">Reading collections…</p>}
      {data && <CollectionTable collections={data.collections} selected={state.selected} onSelected={(selected) => patch({ selected })} />}
      {data?.collections.some((c) => !c.migratable) && (
        <p className="hint">A collection that needs changes can still be picked: Configure Schema lets you rename fields, choose a metric, or skip points that lack a vector.</p>
      )}
      <form onSubmit={checkTarget} aria-labelledby="target-title">
        <h3 id="target-title">Target Milvus / Zilliz Cloud</h3>
        <div className="grid3">
          <Field label="Target URI" value={state.target.uri} onChange={(uri) => setTarget({ uri })} placeholder="http://localhost:19530" required />
          <Field label="Token" type="password" value={state.target.token} onChange={(token) => setTarget({ token })} autoComplete="off" hint="user:password, or a Zilliz Cloud API key." />
          <Field label="Database" value={state.target.database} onChange={(database) => setTarget({ database })} placeholder="default" />
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Check target'}
          </button>
          {targetChecked && data && (
            <span className="ok" role="status">
              ✓ Target reachable: {data.judgedAgainst.kind} {data.judgedAgainst.version}
            </span>
          )}
        </div>
      </form>
      {error && <ErrorNotice error={error} />}
      <div className="actions nav">
        <button type="button" onClick={onBack}>
          Back
        </button>
        <button type="button" className="primary" disabled={!targetChecked || state.selected.length === 0} onClick={onNext}>
          Next
        </button>
        {!targetChecked && <span className="muted">Check the target, and pick at least one collection, to go on.</span>}
      </div>
    </div>
  );
}
