import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { ErrorNotice } from '../components/Notice.tsx';
import { ProblemList } from '../components/ProblemList.tsx';
import { navigate } from '../router.ts';
import { formatCount } from '../format.ts';
import { ModeChoice } from './ModeChoice.tsx';
import { sourceBody, storageBody, targetBody, type WizardState } from './state.ts';

interface Props {
  state: WizardState;
  patch: (p: Partial<WizardState>) => void;
  onBack: () => void;
}

const wholeNumber = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);

/** Step 4: a last look, a few run options, and Migrate: the server validates the plan again and starts the job. */
export function MigrateStep({ state, patch, onBack }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const setOption = (p: Partial<WizardState['options']>) => patch({ options: { ...state.options, ...p } });

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const pageSize = wholeNumber(state.options.pageSize);
      const verifySample = wholeNumber(state.options.verifySample);
      const collections = state.selected.map((source) => state.edits[source] ?? { source });
      const { id } = await api.post<{ id: string }>('/jobs', {
        source: sourceBody(state.source),
        target: targetBody(state.target),
        plan: { collections },
        options: {
          ...(pageSize !== undefined && { pageSize }),
          ...(verifySample !== undefined && { verifySample }),
          ...(state.mode === 'bulk' && { mode: 'bulk', storage: storageBody(state.storage) }),
        },
      });
      // The next migration starts from the same clusters, with a fresh selection.
      patch({ step: 0, selected: [], edits: {}, planned: [] });
      navigate(`/jobs/${encodeURIComponent(id)}`);
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <div className="card">
      <h2 tabIndex={-1}>Migrate</h2>
      <p>
        From <strong>{state.source.url}</strong> to <strong>{state.target.uri}</strong> (database {state.target.database || 'default'}):
      </p>
      <ul>
        {state.planned.map((c) => (
          <li key={c.source}>
            <strong>{c.source}</strong> → <strong>{c.target}</strong> ({formatCount(c.sourceCount)} points)
          </li>
        ))}
      </ul>
      <ModeChoice state={state} patch={patch} />
      <details>
        <summary>Run options</summary>
        <div className="grid2">
          <Field label="Page size" inputMode="numeric" value={state.options.pageSize} onChange={(pageSize) => setOption({ pageSize })} placeholder="500" hint="Points per source read." />
          <Field label="Verify sample" inputMode="numeric" value={state.options.verifySample} onChange={(verifySample) => setOption({ verifySample })} placeholder="0" hint="After the counts, compare this many points by content." />
        </div>
      </details>
      {error && <ErrorNotice error={error} title="The migration did not start" />}
      {error && <ProblemList problems={error.problems} />}
      <div className="actions nav">
        <button type="button" onClick={onBack} disabled={busy}>
          Back
        </button>
        <button type="button" className="primary" onClick={() => void start()} disabled={busy}>
          {busy ? 'Starting…' : 'Migrate'}
        </button>
      </div>
    </div>
  );
}
