/**
 * Payload-key edits (issue 10) in plan-file form: what the Configure Schema step sends back as
 * `payload` and `partitionKey` of a collection entry. Only the user's choices go out (the key, its
 * mode, the field name, the mismatch policy, the partition key); the server's plan() derives the
 * type, lengths and index from the source and the target again, so what is shown is its verdict.
 * Pure functions, so the step's components stay small.
 */
import type { CollectionEdit } from '../../../src/api/schemas/requests.ts';
import type { CollectionPlanView } from '../../../src/api/schemas/responses.ts';

export type KeyPlan = NonNullable<CollectionPlanView['payload']>[number];
export type MismatchPolicy = 'reject' | 'null' | 'fail';

export interface PayloadEdit {
  key: string;
  mode: 'dynamic' | 'field';
  field?: { name?: string; onMismatch?: MismatchPolicy };
}

export interface PartitionKeyEdit {
  field: string;
  numPartitions?: number;
}

/** A collection entry with the payload parts, whatever the shared plan-file type says of them today. */
export type PayloadAwareEdit = Omit<CollectionEdit, 'payload' | 'partitionKey'> & { payload?: PayloadEdit[]; partitionKey?: PartitionKeyEdit | null };

/** Milvus field types a partition key may have. */
export const PARTITION_KEY_TYPES = new Set(['VarChar', 'Int64']);

export function payloadEditOf(edit: PayloadAwareEdit, key: string): PayloadEdit | undefined {
  return edit.payload?.find((p) => p.key === key);
}

/** Whether the key ends up a typed field: the user's choice, else the plan's proposal. */
export function isPromoted(edit: PayloadAwareEdit, k: KeyPlan): boolean {
  return (payloadEditOf(edit, k.key)?.mode ?? k.mode) === 'field';
}

/** The field name shown for a key: the user's, else the plan's, else the key itself. */
export function fieldNameOf(edit: PayloadAwareEdit, k: KeyPlan): string {
  return payloadEditOf(edit, k.key)?.field?.name ?? k.field?.name ?? k.key;
}

export function mismatchOf(edit: PayloadAwareEdit, k: KeyPlan): MismatchPolicy {
  return payloadEditOf(edit, k.key)?.field?.onMismatch ?? k.field?.onMismatch ?? 'reject';
}

function withPayload(edit: PayloadAwareEdit, key: string, next: PayloadEdit | null): PayloadAwareEdit {
  const rest = (edit.payload ?? []).filter((p) => p.key !== key);
  const payload = next ? [...rest, next] : rest;
  return { ...edit, payload };
}

/** Promote a key to a field (keeping a name or policy chosen before) or put it back in `$meta`. */
export function setPromoted(edit: PayloadAwareEdit, k: KeyPlan, on: boolean): PayloadAwareEdit {
  const before = payloadEditOf(edit, k.key);
  if (!on) {
    // A dynamic key cannot stay the partition key.
    const name = fieldNameOf(edit, k);
    const next = withPayload(edit, k.key, { key: k.key, mode: 'dynamic' });
    return partitionFieldOf(edit, undefined) === name ? { ...next, partitionKey: null } : next;
  }
  return withPayload(edit, k.key, { key: k.key, mode: 'field', ...(before?.field && { field: before.field }) });
}

export function setFieldChoice(edit: PayloadAwareEdit, k: KeyPlan, choice: { name?: string; onMismatch?: MismatchPolicy }): PayloadAwareEdit {
  const before = payloadEditOf(edit, k.key);
  const field = { ...before?.field, ...choice };
  const next = withPayload(edit, k.key, { key: k.key, mode: 'field', field });
  // Renaming the partition-key field renames the partition key with it.
  const oldName = fieldNameOf(edit, k);
  if (choice.name !== undefined && partitionFieldOf(edit, undefined) === oldName) {
    return { ...next, partitionKey: { ...(edit.partitionKey as PartitionKeyEdit), field: choice.name } };
  }
  return next;
}

/** The partition-key field: the user's choice (null: off), else the plan's. */
export function partitionFieldOf(edit: PayloadAwareEdit, plan: CollectionPlanView | undefined): string | null {
  if (edit.partitionKey !== undefined) return edit.partitionKey?.field ?? null;
  return plan?.partitionKey?.field ?? null;
}

export function numPartitionsOf(edit: PayloadAwareEdit, plan: CollectionPlanView): number {
  return edit.partitionKey?.numPartitions ?? plan.partitionKey?.numPartitions ?? 16;
}

export function setPartitionKey(edit: PayloadAwareEdit, plan: CollectionPlanView, field: string | null): PayloadAwareEdit {
  if (field === null) return { ...edit, partitionKey: null };
  return { ...edit, partitionKey: { field, numPartitions: numPartitionsOf(edit, plan) } };
}

export function setNumPartitions(edit: PayloadAwareEdit, plan: CollectionPlanView, numPartitions: number): PayloadAwareEdit {
  const field = partitionFieldOf(edit, plan);
  return field === null ? edit : { ...edit, partitionKey: { field, numPartitions } };
}

const pct = (n: number, of: number) => (of > 0 ? `${Math.round((100 * n) / of)}%` : '—');

/** `string 98% · null 2%`: the JSON kinds of the sample, most frequent first. */
export function kindsText(k: KeyPlan): string {
  const s = k.stats;
  if (!s) return '—';
  const total = Object.values(s.kinds).reduce((a, b) => a + (b ?? 0), 0);
  const kinds = Object.entries(s.kinds)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([kind, n]) => (kind === 'array' && s.elementKinds ? `array of ${Object.keys(s.elementKinds).join('/')}` : kind) + (Object.keys(s.kinds).length > 1 ? ` ${pct(n ?? 0, total)}` : ''));
  return kinds.join(' · ') || '—';
}

export function shareText(k: KeyPlan): string {
  return k.stats ? pct(k.stats.present, k.stats.sampled) : '—';
}

export function maxLengthText(k: KeyPlan): string {
  const s = k.stats;
  if (!s) return '—';
  const parts = [];
  if (s.maxStringBytes !== undefined) parts.push(`${s.maxStringBytes} B`);
  if (s.maxArrayLength !== undefined) parts.push(`${s.maxArrayLength} items`);
  return parts.join(' · ') || '—';
}

export function qdrantIndexText(k: KeyPlan): string {
  const i = k.stats?.index;
  if (!i) return 'none';
  return `${i.type}${i.isTenant ? ' (tenant)' : ''}${i.isPrincipal ? ' (principal)' : ''}`;
}

/** The plan's proposal in words: `$meta`, `$meta + JSON index (VARCHAR, INVERTED)` or the typed field. */
export function proposalText(k: KeyPlan): string {
  if (k.mode === 'field' && k.field) {
    const f = k.field;
    const type = f.type === 'Array' ? `Array<${f.elementType ?? '?'}>${f.maxCapacity ? `[${f.maxCapacity}]` : ''}` : f.type;
    const len = f.maxLength !== undefined && f.type !== 'Array' ? `(${f.maxLength})` : '';
    return `${type}${len}${f.index ? ` · ${f.index.type}` : ''}`;
  }
  if (k.jsonIndex) return `$meta · JSON index (${k.jsonIndex.castType}, ${k.jsonIndex.indexType})`;
  return '$meta';
}
