/** Issue 10: how `inspect` and `plan` print the payload keys (types, share, max length, Qdrant index, plan). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PayloadKeyPlan, PayloadKeyStats } from '../../src/core/payload-schema.ts';
import { formatPayloadKeys } from '../../src/cli/payload-table.ts';

const tenant: PayloadKeyStats = { key: 'tenant', present: 98, sampled: 100, kinds: { string: 98 }, maxStringBytes: 8, index: { type: 'keyword', isTenant: true } };
const mixed: PayloadKeyStats = { key: 'mixed', present: 100, sampled: 100, kinds: { integer: 80, string: 10, float: 10 }, maxStringBytes: 7 };
const tags: PayloadKeyStats = { key: 'tags', present: 50, sampled: 100, kinds: { array: 50 }, elementKinds: { string: 120 }, maxStringBytes: 8, maxArrayLength: 5, index: { type: 'keyword' } };

describe('payload key table', () => {
  it('one row per key: types with shares, share of points, max length, Qdrant index, what the plan does', () => {
    const plans: PayloadKeyPlan[] = [
      { key: 'tenant', mode: 'field', field: { name: 'tenant', type: 'VarChar', maxLength: 64, nullable: false, defaultValue: '', index: { type: 'INVERTED' }, onMismatch: 'reject' } },
      { key: 'mixed', mode: 'dynamic' },
      { key: 'tags', mode: 'dynamic', jsonIndex: { castType: 'ARRAY_VARCHAR', indexType: 'INVERTED' } },
    ];
    const lines = formatPayloadKeys([tenant, mixed, tags], plans, { field: 'tenant', numPartitions: 16 });
    assert.equal(lines[0], '  payload keys (100 points sampled):');
    assert.match(lines[2]!, /^ {2}tenant +string +98% +8 B +keyword \(tenant\) +field tenant VarChar\(64\) INVERTED partition key \(16\), on mismatch reject$/);
    assert.match(lines[3]!, /^ {2}mixed +integer 80%, string 10%, float 10% +100% +7 B +dynamic$/);
    assert.match(lines[4]!, /^ {2}tags +array of string +50% +8 B, 5 items +keyword +dynamic \+ JSON index ARRAY_VARCHAR$/);
  });

  it('says when nothing was sampled, and prints nothing without keys', () => {
    assert.equal(formatPayloadKeys([{ ...tenant, present: 0, sampled: 0, kinds: {} }])[0], '  payload keys (from payload_schema; no points sampled):');
    assert.deepEqual(formatPayloadKeys([]), []);
  });
});
