import { useEffect, useId, useState } from 'react';
import type { CheckNameView, ProblemView } from '../../../src/api/schemas/responses.ts';
import { api } from '../api.ts';
import { ProblemList } from '../components/ProblemList.tsx';
import { targetBody, type TargetForm } from './state.ts';

interface Props {
  value: string;
  onChange: (value: string) => void;
  target: TargetForm;
  ifExists: 'fail' | 'append' | 'drop';
  problems: ProblemView[];
}

/** The live check says the same as these plan problems, sooner: show it once. */
const SAID_BY_CHECK = new Set(['TARGET_EXISTS', 'INVALID_NAME']);

/** Target collection name with a live check (valid for Milvus? free in the target database?). */
export function NameField({ value, onChange, target, ifExists, problems }: Props) {
  const id = useId();
  const [check, setCheck] = useState<CheckNameView | null>(null);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      api
        .post<CheckNameView>('/target/check-name', { target: targetBody(target), name: value })
        .then((result) => current && setCheck(result))
        .catch(() => current && setCheck(null));
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [value, target.uri, target.database]);

  const fresh = check?.name === value ? check : null;
  const tone = !fresh ? 'muted' : fresh.available ? 'ok' : fresh.exists && ifExists !== 'fail' ? 'warn' : 'bad';
  const text = !fresh
    ? 'Checking the name…'
    : fresh.exists && ifExists !== 'fail'
      ? `${fresh.message} It will be ${ifExists === 'drop' ? 'dropped and created again' : 'added to'}.`
      : fresh.message;
  const shown = fresh ? problems.filter((p) => !SAID_BY_CHECK.has(p.code)) : problems;
  return (
    <div className="field">
      <label htmlFor={id}>Target collection name</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={tone === 'bad'} aria-describedby={`${id}-check`} spellCheck={false} />
      <div id={`${id}-check`} className={`hint ${tone}`} aria-live="polite">
        {tone === 'ok' ? '✓ ' : tone === 'bad' ? '✗ ' : ''}
        {text}
      </div>
      <ProblemList problems={shown} />
    </div>
  );
}
