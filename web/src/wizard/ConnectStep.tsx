import { useState, type FormEvent } from 'react';
import type { SourceCheckView } from '../../../src/api/schemas/responses.ts';
import { api, ApiError } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { ErrorNotice, SuccessNotice } from '../components/Notice.tsx';
import { sourceBody, type WizardState } from './state.ts';

interface Props {
  state: WizardState;
  patch: (p: Partial<WizardState>) => void;
  onNext: () => void;
}

/** Step 1: the Qdrant endpoint and API key, and a Test button that says clearly what happened. */
export function ConnectStep({ state, patch, onNext }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const setSource = (p: Partial<WizardState['source']>) => {
    setError(null);
    patch({ source: { ...state.source, ...p }, checked: null, targetOk: false, selected: [], edits: {} });
  };

  const test = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      patch({ checked: await api.post<SourceCheckView>('/source/check', sourceBody(state.source)) });
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={test} aria-labelledby="connect-title">
      <h2 id="connect-title" tabIndex={-1}>Connect to Data Source</h2>
      <p className="muted">The Qdrant cluster to migrate from. A read-only API key is enough.</p>
      <Field label="Cluster endpoint" value={state.source.url} onChange={(url) => setSource({ url })} placeholder="https://xyz.cloud.qdrant.io:6333" required autoComplete="url" hint="Qdrant's REST endpoint, usually port 6333." />
      <Field label="API key" type="password" value={state.source.apiKey} onChange={(apiKey) => setSource({ apiKey })} autoComplete="off" hint="Leave empty if the cluster has no API key. It is kept in this page's memory only." />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" className="primary" disabled={!state.checked} onClick={onNext}>
          Next
        </button>
      </div>
      {state.checked && (
        <SuccessNotice>
          <strong>Connected.</strong> Qdrant {state.checked.version} at {state.checked.url}: {state.checked.collections} collection(s).
        </SuccessNotice>
      )}
      {error && <ErrorNotice error={error} title="Connection failed" />}
    </form>
  );
}
