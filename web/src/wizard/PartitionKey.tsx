import type { CollectionPlanView, PlanView } from '../../../src/api/schemas/responses.ts';
import { LockedSwitch } from '../components/LockedSwitch.tsx';
import { numPartitionsOf, partitionFieldOf, setNumPartitions, type PayloadAwareEdit } from './payload-edits.ts';
import { partitionLock } from './PayloadTable.tsx';

interface Props {
  plan: CollectionPlanView;
  edit: PayloadAwareEdit;
  setEdit: (edit: PayloadAwareEdit) => void;
  capabilities: PlanView['capabilities'] | undefined;
}

/**
 * The collection's Partition Key: locked off (with the reason) while no payload key is a promoted
 * VarChar / Int64 field; otherwise on or off by the switches of the payload-keys table, with
 * num_partitions editable while it is on.
 */
export function PartitionKey({ plan, edit, setEdit, capabilities }: Props) {
  const field = partitionFieldOf(edit, plan);
  const eligible = (plan.payload ?? []).filter((k) => partitionLock(plan, edit, k, capabilities) === null);
  if (field === null && eligible.length === 0) {
    const why = capabilities?.scalar && !capabilities.scalar.partitionKey
      ? 'The target does not accept a partition key.'
      : (plan.payload ?? []).length === 0
        ? 'Qdrant has no partition key to carry over, and no payload key was found.'
        : 'Only a payload key promoted to a VarChar or Int64 field can be the partition key; dynamic keys cannot.';
    return <LockedSwitch label="Partition Key" on={false} why={why} />;
  }
  const tenant = plan.partitionKey?.fromTenantKey;
  return (
    <div className="partition-key" role="group" aria-label="Partition key">
      <span>
        Partition Key: <strong>{field === null ? 'off' : 'on'}</strong>
        {field !== null && <> · field <code>{field}</code></>}
      </span>
      {field !== null ? (
        <label className="inline">
          num_partitions{' '}
          <input type="number" min={1} max={4096} className="short" aria-label="num_partitions" value={numPartitionsOf(edit, plan)}
            onChange={(e) => {
              const n = Number(e.target.value);
              if (Number.isInteger(n) && n > 0) setEdit(setNumPartitions(edit, plan, n));
            }} />
        </label>
      ) : null}
      <span className="hint">
        {field === null ? 'Tick a promoted field in the payload-keys table to partition by it.' : tenant ? `Proposed from Qdrant's tenant key ${tenant}.` : 'Milvus hashes this field into num_partitions partitions.'}
      </span>
    </div>
  );
}
