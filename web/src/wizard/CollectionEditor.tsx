import type { CollectionPlanView, PlanView, ProblemView } from '../../../src/api/schemas/responses.ts';
import { Field } from '../components/Field.tsx';
import { LockedSwitch } from '../components/LockedSwitch.tsx';
import { ProblemList } from '../components/ProblemList.tsx';
import { formatCount } from '../format.ts';
import { NameField } from './NameField.tsx';
import { PartitionKey } from './PartitionKey.tsx';
import type { PayloadAwareEdit } from './payload-edits.ts';
import { PayloadTable } from './PayloadTable.tsx';
import { SchemaTable } from './SchemaTable.tsx';
import { SwitchAlias } from './SwitchAlias.tsx';
import { Select } from './Select.tsx';
import type { TargetForm } from './state.ts';

interface Props {
  plan: CollectionPlanView;
  problems: ProblemView[];
  edit: PayloadAwareEdit;
  setEdit: (edit: PayloadAwareEdit) => void;
  target: TargetForm;
  capabilities?: PlanView['capabilities'];
}

/** Where a problem is shown: next to the name, a schema row, or the collection as a whole. */
const isRowPath = (p: ProblemView) => p.path === 'primaryKey' || p.path?.startsWith('vectors.');
const isPayloadPath = (p: ProblemView) => p.path?.startsWith('payload.') === true;

/** One collection's target: name, description, options, locked settings and the schema preview. */
export function CollectionEditor({ plan, problems, edit, setEdit, target, capabilities }: Props) {
  const name = edit.target ?? plan.target;
  const ifExists = edit.ifExists ?? plan.ifExists;
  const showMissing = edit.policies?.missingVector !== undefined || problems.some((p) => p.code === 'MISSING_VECTOR');
  const general = problems.filter((p) => p.path !== 'target' && !isRowPath(p) && !isPayloadPath(p));
  return (
    <section className="collection" aria-label={`Collection ${plan.source}`}>
      <h3>
        {plan.source} <span aria-hidden="true">→</span> {name} <span className="muted">({formatCount(plan.sourceCount)} points)</span>
      </h3>
      <ProblemList problems={general} />
      <div className="grid2">
        <NameField value={name} onChange={(t) => setEdit({ ...edit, target: t })} target={target} ifExists={ifExists} problems={problems.filter((p) => p.path === 'target')} />
        <Field label="Description" value={edit.description ?? plan.description} onChange={(description) => setEdit({ ...edit, description })} />
      </div>
      <div className="grid2">
        <Select label="If the target collection exists" value={ifExists} onChange={(v) => setEdit({ ...edit, ifExists: v as typeof ifExists })}
          options={[['fail', 'Stop (do not touch it)'], ['append', 'Add to it (schema must match)'], ['drop', 'Drop it and create it again']]} />
        {showMissing && (
          <Select label="Points lacking a vector" value={edit.policies?.missingVector ?? plan.policies.missingVector}
            onChange={(v) => setEdit({ ...edit, policies: { missingVector: v as 'fail' | 'skip' } })}
            options={[['fail', 'Stop the migration'], ['skip', 'Skip them (each is logged)']]} />
        )}
      </div>
      <Aliases plan={plan} edit={edit} setEdit={setEdit} problems={problems} />
      <SwitchAlias plan={plan} edit={edit} setEdit={setEdit} />
      <div className="locks">
        <LockedSwitch label="Auto ID" on={false} why="Qdrant's point ids are kept as primary keys." />
        <LockedSwitch label="Dynamic Field" on why="Payload keys not promoted to fields go to the dynamic field ($meta)." />
        <PartitionKey plan={plan} edit={edit} setEdit={setEdit} capabilities={capabilities} />
      </div>
      <SchemaTable plan={plan} edit={edit} setEdit={setEdit} problems={problems.filter(isRowPath)} />
      <PayloadTable plan={plan} edit={edit} setEdit={setEdit} problems={problems.filter(isPayloadPath)} capabilities={capabilities} />
    </section>
  );
}

const CONFLICT_CODES = new Set(['ALIAS_EXISTS', 'ALIAS_MOVE', 'ALIAS_SKIP']);

/** The Milvus aliases this collection gets once verified (from its Qdrant aliases); a conflict choice when one is taken. */
function Aliases({ plan, edit, setEdit, problems }: Omit<Props, 'target' | 'capabilities'>) {
  const aliases = edit.aliases ?? plan.aliases ?? [];
  // Switched aliases (cutover) are listed by SwitchAlias, with a way to take them back.
  const carried = aliases.filter((a) => !a.switch);
  if (carried.length === 0) return null;
  const conflict = problems.some((p) => CONFLICT_CODES.has(p.code));
  const onConflict = carried[0]?.onConflict ?? 'fail';
  return (
    <div className="aliases" aria-label="Aliases">
      <p>
        <strong>Aliases</strong> <span className="muted">(pointed at {edit.target ?? plan.target} once its data is verified)</span>:{' '}
        {carried.map((a, i) => (
          <span key={a.name}>
            {i > 0 && ', '}
            <code>{a.name}</code>
            {a.source !== undefined && a.source !== a.name && <span className="muted"> (Qdrant: {a.source})</span>}
          </span>
        ))}
      </p>
      {conflict && (
        <Select label="If an alias points at another collection" value={onConflict}
          onChange={(v) => setEdit({ ...edit, aliases: aliases.map((a) => (a.switch ? a : { ...a, onConflict: v as 'fail' | 'move' | 'skip' })) })}
          options={[['fail', 'Stop (do not touch it)'], ['move', 'Move it to this collection'], ['skip', 'Leave it where it is']]} />
      )}
    </div>
  );
}
