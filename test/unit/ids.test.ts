import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareIds, formatId, INT64_LIMIT, MIN_UUID, parseId, toPointId, UINT64_MAX } from '../../src/core/ids.ts';
import { MigrationError } from '../../src/core/errors.ts';
import type { PointId } from '../../src/core/types.ts';

test('compareIds: integers ascend numerically, beyond 2^53 too', () => {
  assert.ok(compareIds(2n, 10n) < 0);
  assert.ok(compareIds(9007199254740993n, 9007199254740992n) > 0);
  assert.equal(compareIds(UINT64_MAX, UINT64_MAX), 0);
});

test('compareIds: every integer sorts before every UUID', () => {
  assert.ok(compareIds(UINT64_MAX, MIN_UUID) < 0);
  assert.ok(compareIds('00000000-0000-0000-0000-000000000001', 0n) > 0);
});

test('compareIds: UUIDs by their lowercase text, whatever the input case', () => {
  const a = '0a000000-0000-0000-0000-000000000000';
  const b = '9f000000-0000-0000-0000-000000000000';
  const c = 'A0000000-0000-0000-0000-000000000000';
  assert.ok(compareIds(a, b) < 0);
  assert.ok(compareIds(b, c) < 0, 'digits sort before hex letters, as in the 128-bit value');
  assert.equal(compareIds(c, c.toLowerCase()), 0);
});

test('sorting a mixed list gives Qdrant scroll order', () => {
  const ids: PointId[] = ['ffffffff-ffff-ffff-ffff-ffffffffffff', 5n, MIN_UUID, INT64_LIMIT, 0n];
  assert.deepEqual([...ids].sort(compareIds), [0n, 5n, INT64_LIMIT, MIN_UUID, 'ffffffff-ffff-ffff-ffff-ffffffffffff']);
});

test('formatId / parseId round-trip exactly, including u64 max', () => {
  for (const id of [0n, 42n, 9007199254740993n, INT64_LIMIT, UINT64_MAX, MIN_UUID, '123e4567-e89b-12d3-a456-426614174000']) {
    assert.equal(parseId(formatId(id)), id);
  }
  assert.equal(formatId(18446744073709551615n), '18446744073709551615');
});

test('parseId normalises UUID case and the 32-hex simple form', () => {
  assert.equal(parseId('123E4567-E89B-12D3-A456-426614174000'), '123e4567-e89b-12d3-a456-426614174000');
  assert.equal(parseId('123e4567e89b12d3a456426614174000'), '123e4567-e89b-12d3-a456-426614174000');
});

test('parseId rejects what Qdrant would reject, with a config error', () => {
  for (const bad of ['-1', '18446744073709551616', '1.5', 'abc', '', '123e4567-e89b-12d3-a456']) {
    assert.throws(() => parseId(bad), (e: unknown) => e instanceof MigrationError && e.kind === 'config' && e.code === 'INVALID_POINT_ID');
  }
});

test('toPointId: wire ids become bigint or lowercase UUID, never a JS number', () => {
  assert.equal(toPointId(7), 7n);
  assert.equal(toPointId(18446744073709551615n), 18446744073709551615n);
  assert.equal(toPointId('AAAAAAAA-0000-0000-0000-000000000000'), 'aaaaaaaa-0000-0000-0000-000000000000');
  assert.throws(() => toPointId(2 ** 60), TypeError, 'an unsafe number was already rounded: refuse it');
  assert.throws(() => toPointId(-1));
});
