import { useId } from 'react';

/** A padlock drawn inline: no icon font or emoji font needed (the console works offline anywhere). */
function Padlock() {
  return (
    <svg className="padlock" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true" focusable="false">
      <path d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="3" y="7" width="10" height="7.5" rx="1.5" fill="currentColor" />
    </svg>
  );
}

/** A setting Milvus needs fixed for a faithful migration: shown, but not changeable. */
export function LockedSwitch({ label, on, why }: { label: string; on: boolean; why: string }) {
  const id = useId();
  return (
    <div className="locked">
      <input type="checkbox" id={id} checked={on} disabled readOnly aria-describedby={`${id}-why`} />
      <label htmlFor={id}>
        {label}: <strong>{on ? 'on' : 'off'}</strong> <Padlock />
        <span className="sr-only"> (locked)</span>
      </label>
      <span className="hint" id={`${id}-why`}>
        {why}
      </span>
    </div>
  );
}
