/**
 * Verify of promoted payload fields (src/core/compare-scalars.ts): a typed field whose value in the
 * target differs from what toRows() derived is reported by name; dynamic keys are not its business.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffScalars } from '../../src/core/compare-scalars.ts';
import type { PromotedFieldPlan } from '../../src/core/payload-schema.ts';
import type { CollectionPlan, Row } from '../../src/core/types.ts';

const field = (name: string, type: PromotedFieldPlan['type']): PromotedFieldPlan => ({ name, type, nullable: true, index: null, onMismatch: 'reject' });
const plan = {
  payload: [
    { key: 'tenant', mode: 'field', field: field('tenant', 'VarChar') },
    { key: 'note', mode: 'dynamic' },
    { key: 'year', mode: 'field', field: field('year', 'Int64') },
  ],
} as unknown as CollectionPlan;
const row = (scalars: Row['scalars']): Row => ({ id: 1n, vectors: {}, payload: {}, scalars }) as unknown as Row;

test('each promoted field whose target value differs is named, with both values', () => {
  const diffs = diffScalars(plan, row({ tenant: 'a', year: 2020 }), row({ tenant: 'b', year: 2020 }));
  assert.deepEqual(diffs, [{ field: 'tenant', detail: 'expected "a", found "b"' }]);
});

test('a value the target lacks is a difference; equal values and dynamic keys are not', () => {
  assert.deepEqual(diffScalars(plan, row({ tenant: 'a', year: 2020 }), row({ tenant: 'a', year: 2020 })), []);
  assert.deepEqual(diffScalars(plan, row({ tenant: 'a', year: 2020 }), row({ tenant: 'a' })).map((d) => d.field), ['year']);
  assert.deepEqual(diffScalars({ payload: [{ key: 'note', mode: 'dynamic' }] } as unknown as CollectionPlan, row({}), row({ x: 1 })), []);
});
