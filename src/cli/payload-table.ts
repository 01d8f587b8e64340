/**
 * The payload keys as `inspect` and `plan` print them (issue 10): observed JSON types, share of
 * the sampled points that have the key, longest string / array, Qdrant's index, and what the plan
 * does with it (dynamic, dynamic + JSON path index, or a typed field with its index).
 */
import type { PartitionKeyPlan, PayloadKeyPlan, PayloadKeyStats } from '../core/payload-schema.ts';

const pct = (n: number, of: number): string => (of === 0 ? '-' : `${Math.round((n / of) * 100)}%`);

/** `string 90%, integer 10%` over the points that have the key. */
export function kindsText(s: PayloadKeyStats): string {
  const total = Object.values(s.kinds).reduce((a, b) => a + (b ?? 0), 0);
  const kinds = Object.entries(s.kinds).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  const text = kinds.map(([k, n]) => (kinds.length === 1 ? k : `${k} ${pct(n ?? 0, total)}`)).join(', ');
  const elements = s.elementKinds ? Object.keys(s.elementKinds).sort().join('|') : '';
  return (text || '-') + (elements ? ` of ${elements}` : '');
}

function indexText(s: PayloadKeyStats | undefined): string {
  const i = s?.index;
  if (!i) return '';
  return `${i.type}${i.isTenant ? ' (tenant)' : ''}${i.isPrincipal ? ' (principal)' : ''}`;
}

/** What the plan does with the key, in a few words. */
export function proposalText(p: PayloadKeyPlan, pk: PartitionKeyPlan | null): string {
  if (p.mode === 'field' && p.field) {
    const f = p.field;
    const type = f.type === 'Array' ? `Array<${f.elementType}>[${f.maxCapacity}]` : f.type === 'VarChar' ? `VarChar(${f.maxLength})` : f.type;
    const index = f.index ? ` ${f.index.type}` : ' no index';
    return `field ${f.name} ${type}${index}${f.enableMatch ? ' +match' : ''}${pk?.field === f.name ? ` partition key (${pk.numPartitions})` : ''}, on mismatch ${f.onMismatch}`;
  }
  return p.jsonIndex ? `dynamic + JSON index ${p.jsonIndex.castType}` : 'dynamic';
}

/** Indented table lines; empty when there are no keys. */
export function formatPayloadKeys(keys: PayloadKeyStats[], plans?: PayloadKeyPlan[], pk: PartitionKeyPlan | null = null): string[] {
  if (keys.length === 0) return [];
  const sampled = keys[0]?.sampled ?? 0;
  const rows: string[][] = [['payload key', 'types', 'share', 'max len', 'qdrant index', 'plan']];
  for (const s of keys) {
    const plan = plans?.find((p) => p.key === s.key);
    const len = [s.maxStringBytes !== undefined ? `${s.maxStringBytes} B` : '', s.maxArrayLength !== undefined ? `${s.maxArrayLength} items` : ''].filter(Boolean).join(', ');
    rows.push([s.key, kindsText(s), sampled === 0 ? '-' : pct(s.present, sampled), len, indexText(s), plan ? proposalText(plan, pk) : '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  const head = sampled === 0 ? '  payload keys (from payload_schema; no points sampled):' : `  payload keys (${sampled} points sampled):`;
  const notes = (plans ?? []).filter((p) => p.note && p.mode === 'field').map((p) => `  note (${p.key}): ${p.note}`);
  return [head, ...lines, ...notes];
}
