import type { ReactNode } from 'react';
import type { ApiError } from '../api.ts';

/** A request's failure: what happened and how to fix it, announced to screen readers. */
export function ErrorNotice({ error, title }: { error: ApiError; title?: string }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title ?? 'Error'}</strong> <code className="code">{error.code}</code>
      <p>{error.message}</p>
      {error.fix && <p className="fix">Fix: {error.fix}</p>}
      {error.fields.length > 0 && (
        <ul>
          {error.fields.map((f) => (
            <li key={f.path}>
              <code>{f.path || '(request)'}</code> {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function SuccessNotice({ children }: { children: ReactNode }) {
  return (
    <div className="notice notice-success" role="status">
      {children}
    </div>
  );
}
