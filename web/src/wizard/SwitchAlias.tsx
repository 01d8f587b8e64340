import { useId, useState } from 'react';
import type { CollectionPlanView } from '../../../src/api/schemas/responses.ts';
import type { PayloadAwareEdit } from './payload-edits.ts';

interface Props {
  plan: CollectionPlanView;
  edit: PayloadAwareEdit;
  setEdit: (edit: PayloadAwareEdit) => void;
}

/**
 * Cutover (the CLI's --switch-alias): an alias that already exists on the target, the name the
 * applications read today, is repointed at this collection as the job's very last step, once every
 * collection of the job verified. It goes to the server as a plan-file alias with `switch: true`;
 * the plan says when the alias does not exist or the target has no aliases.
 */
export function SwitchAlias({ plan, edit, setEdit }: Props) {
  const id = useId();
  const [name, setName] = useState('');
  const aliases = edit.aliases ?? plan.aliases ?? [];
  const switched = aliases.filter((a) => a.switch);
  const add = () => {
    const alias = name.trim();
    if (!alias) return;
    setEdit({ ...edit, aliases: [...aliases.filter((a) => a.name !== alias), { name: alias, onConflict: 'move', switch: true }] });
    setName('');
  };
  const remove = (alias: string) => setEdit({ ...edit, aliases: aliases.filter((a) => a.name !== alias) });
  return (
    <div className="field switch-alias">
      <label htmlFor={id}>Cutover: switch an existing alias to this collection</label>
      <span className="inline">
        <input id={id} value={name} placeholder="alias name" spellCheck={false} aria-describedby={`${id}-hint`}
          onChange={(e) => setName(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }} />
        <button type="button" onClick={add} disabled={!name.trim()}>Switch at the end</button>
      </span>
      <span className="hint" id={`${id}-hint`}>
        The alias must exist on the target; it is moved to {edit.target ?? plan.target} as the job's last step, after every collection verified.
      </span>
      {switched.map((a) => (
        <span key={a.name} className="inline">
          <code>{a.name}</code> switched at the end{' '}
          <button type="button" className="link" onClick={() => remove(a.name)} aria-label={`Do not switch alias ${a.name}`}>remove</button>
        </span>
      ))}
    </div>
  );
}
