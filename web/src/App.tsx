import { useEffect, useState, type FormEvent } from 'react';
import { setAccessToken, setUnauthorizedHandler } from './api.ts';
import { JobDetailPage } from './jobs/JobDetailPage.tsx';
import { JobsPage } from './jobs/JobsPage.tsx';
import { useRoute } from './router.ts';
import { initialWizard, type WizardState } from './wizard/state.ts';
import { Wizard } from './wizard/Wizard.tsx';

export function App() {
  const route = useRoute();
  // Kept here so that a look at the Jobs page does not lose a half-filled wizard.
  const [wizard, setWizard] = useState<WizardState>(initialWizard);
  const [needsToken, setNeedsToken] = useState(false);
  /** Bumped after the token is entered: remounts the page so it loads again with it. */
  const [generation, setGeneration] = useState(0);

  useEffect(() => setUnauthorizedHandler(() => setNeedsToken(true)), []);

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">qdrant2milvus</span>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === 'wizard' ? 'page' : undefined}>
            New migration
          </a>
          <a href="#/jobs" aria-current={route.page !== 'wizard' ? 'page' : undefined}>
            Jobs
          </a>
        </nav>
      </header>
      <main id="main" key={generation}>
        {needsToken ? (
          <TokenForm onDone={() => { setNeedsToken(false); setGeneration((g) => g + 1); }} />
        ) : route.page === 'jobs' ? (
          <JobsPage />
        ) : route.page === 'job' ? (
          <JobDetailPage key={route.id} id={route.id} />
        ) : (
          <Wizard state={wizard} setState={setWizard} />
        )}
      </main>
    </>
  );
}

/** Shown when the server asks for its access token (serve --auth-token). */
function TokenForm({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAccessToken(token.trim());
    onDone();
  };
  return (
    <form className="card narrow" onSubmit={submit}>
      <h1>Access token</h1>
      <p>This server needs the access token it was started with (--auth-token or QDRANT2MILVUS_AUTH_TOKEN).</p>
      <div className="field">
        <label htmlFor="access-token">Access token</label>
        <input id="access-token" type="password" value={token} onChange={(e) => setToken(e.target.value)} autoFocus required />
      </div>
      <div className="actions">
        <button type="submit" className="primary">
          Continue
        </button>
      </div>
    </form>
  );
}
