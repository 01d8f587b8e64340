/** Issue 10: what a sample of payloads says about each key (src/mapping/payload-keys.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../src/core/types.ts';
import { DISTINCT_CAP, MAX_KEYS, jsonKind, payloadKeyStats } from '../../src/mapping/payload-keys.ts';

describe('payload key stats', () => {
  it('JSON kinds: integers (bigint too) apart from floats, arrays, objects, null', () => {
    assert.deepEqual([1, 1.5, 2n ** 60n, 'a', true, null, [1], { a: 1 }].map((v) => jsonKind(v as never)), ['integer', 'float', 'integer', 'string', 'bool', 'null', 'array', 'object']);
  });

  it('per key: present, kinds, element kinds, longest string in UTF-8 bytes, longest array, distinct', () => {
    const payloads: Array<JsonObject | undefined> = [
      { k: 'é', a: [1, 'xyz'], n: null },
      { k: 'abc', a: [] },
      undefined, // a point without payload is sampled, and has no key
      { k: 7 },
    ];
    const [a, k, n] = payloadKeyStats(payloads, { k: { dataType: 'keyword', isTenant: true, points: 3 } });
    assert.deepEqual(a, { key: 'a', present: 2, sampled: 4, kinds: { array: 2 }, elementKinds: { integer: 1, string: 1 }, maxStringBytes: 3, maxArrayLength: 2, distinct: 2 });
    assert.deepEqual(k, { key: 'k', present: 3, sampled: 4, kinds: { string: 2, integer: 1 }, index: { type: 'keyword', isTenant: true, points: 3 }, maxStringBytes: 3, distinct: 3 });
    assert.deepEqual(n, { key: 'n', present: 1, sampled: 4, kinds: { null: 1 } });
  });

  it('an indexed key no sampled point has is still listed; an unknown index type is not an index', () => {
    const keys = payloadKeyStats([{}], { gone: { dataType: 'integer' }, odd: { dataType: 'multivector' } });
    assert.deepEqual(keys, [{ key: 'gone', present: 0, sampled: 1, kinds: {}, index: { type: 'integer' } }, { key: 'odd', present: 0, sampled: 1, kinds: {} }]);
  });

  it(`keeps at most ${MAX_KEYS} keys (indexed ones always), and counts distinct values up to ${DISTINCT_CAP}`, () => {
    const wide: JsonObject = {};
    for (let i = 0; i < MAX_KEYS + 50; i++) wide[`k${String(i).padStart(4, '0')}`] = i;
    const many = Array.from({ length: DISTINCT_CAP + 10 }, (_, i): JsonObject => ({ k0000: i, ...(i === 0 ? wide : {}) }));
    const keys = payloadKeyStats(many, { zz_indexed: { dataType: 'bool' } });
    assert.equal(keys.length, MAX_KEYS);
    assert.ok(keys.some((k) => k.key === 'zz_indexed'));
    assert.equal(keys.find((k) => k.key === 'k0000')?.distinct, DISTINCT_CAP);
  });
});
