/**
 * Verify of promoted payload fields (issue 10 §6): the typed value the target holds must equal the
 * one toRows() derived from the source payload: the value itself, or null (the point lacked the
 * key, or the `null` policy set the value aside: it is then compared in `$meta` under
 * `<key>__raw` with the rest of the payload), or the partition key's default. Rejected points are
 * never expected in the target, exactly as other rejections.
 */
import type { CollectionPlan, JsonValue, Row } from './types.ts';
import { getOwn } from './own.ts';
import { sameStored } from '../mapping/fit.ts';

const show = (v: JsonValue | undefined): string => {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** One line per promoted field whose target value differs from the expected one. */
export function diffScalars(plan: CollectionPlan, want: Row, got: Row): Array<{ field: string; detail: string }> {
  const out: Array<{ field: string; detail: string }> = [];
  // Per row: walk the plan's entries without building promotedKeys(plan)'s array each time.
  for (const entry of plan.payload ?? []) {
    const field = entry.mode === 'field' ? entry.field : undefined;
    if (!field) continue;
    const w = want.scalars ? getOwn(want.scalars, field.name) : undefined;
    const g = got.scalars ? getOwn(got.scalars, field.name) : undefined;
    if (sameStored(field, w ?? null, g ?? null)) continue;
    out.push({ field: field.name, detail: `expected ${show(w ?? null)}, found ${show(g)}` });
  }
  return out;
}
