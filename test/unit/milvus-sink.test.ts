/**
 * The sink's pure parts: version guesses, schema diff for append, byte-sized splitting, lossless
 * payload parsing, error classification by code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sparseToBytes } from '@zilliz/milvus2-sdk-node';
import type { CollectionPlan } from '../../src/core/types.ts';
import { capabilitiesFromVersion, targetKind } from '../../src/milvus/capabilities.ts';
import { fromStatus, fromThrown } from '../../src/milvus/errors.ts';
import { decodeSparse, encodeRow, parsePayload } from '../../src/milvus/rows.ts';
import { schemaDiff } from '../../src/milvus/schema.ts';
import { splitByBytes } from '../../src/milvus/writer.ts';

const plan: CollectionPlan = {
  source: 's',
  target: 't',
  description: '',
  primaryKey: { field: 'id', type: 'Int64', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'COSINE', index: { type: 'AUTOINDEX', params: {} }, nullable: false }],
  dynamicField: true,
  partitionKey: null,
  policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
  ifExists: 'append',
  sourceCount: 0,
};

test('target kind, and the guesses used only when the probes cannot run', () => {
  assert.equal(targetKind('http://127.0.0.1:19530', 'milvus_lite-3.2.2'), 'milvus-lite');
  assert.equal(targetKind('https://in03-abc.serverless.gcp-us-west1.cloud.zilliz.com.cn:443', 'v2.5.4'), 'zilliz');
  assert.equal(targetKind('https://in03-abc.api.gcp-us-west1.zillizcloud.com', 'v2.6.0'), 'zilliz');
  assert.equal(targetKind('localhost:19530', 'v2.6.4'), 'milvus');
  // Milvus Lite 2.5.1 does not implement GetVersion: no version is a fact, not a crash.
  assert.equal(targetKind('localhost:19530', undefined), 'milvus');

  const lite = capabilitiesFromVersion('http://127.0.0.1:1', 'milvus_lite-3.2.2');
  assert.deepEqual([lite.float16Vector, lite.nullableVector, lite.arrayOfStruct, lite.autoIndex, lite.sparseVector], [false, false, false, false, true]);
  const v23 = capabilitiesFromVersion('localhost:19530', 'v2.3.9');
  assert.deepEqual([v23.float16Vector, v23.nullableVector, v23.arrayOfStruct, v23.autoIndex], [false, false, false, true]);
  // Nullable vectors and Array of Struct are never guessed: only a probe (or a writer) turns them on.
  const v264 = capabilitiesFromVersion('localhost:19530', 'v2.6.4');
  assert.deepEqual([v264.float16Vector, v264.nullableVector, v264.arrayOfStruct, v264.source], [true, false, false, 'assumed']);
  const unknown = capabilitiesFromVersion('localhost:19530', undefined);
  assert.deepEqual([unknown.version, unknown.float16Vector, unknown.sparseVector], ['unknown', false, false]);
});

test('schemaDiff lists every incompatibility and ignores $meta', () => {
  const ok = schemaDiff(plan, {
    enable_dynamic_field: true,
    fields: [
      { name: 'id', data_type: 'Int64', is_primary_key: true },
      { name: 'vector', data_type: 'FloatVector', dim: '4' },
      { name: '$meta', data_type: 'JSON', is_dynamic: true },
    ],
  });
  assert.deepEqual(ok, []);
  const bad = schemaDiff(plan, {
    enable_dynamic_field: false,
    fields: [
      { name: 'pk', data_type: 'VarChar', is_primary_key: true, max_length: '64' },
      { name: 'vector', data_type: 'FloatVector', dim: '8' },
      { name: 'extra', data_type: 'Int32' },
    ],
  });
  assert.deepEqual(bad, [
    'primary key: existing `pk`, plan `id`',
    'primary key type: existing VarChar, plan Int64',
    'dynamic field: existing has it off, the payload needs it on',
    'vector field `vector`: existing dim 8, plan dim 4',
    'field `extra`: exists, not in the plan and not nullable',
  ]);
});

test('splitByBytes keeps order and stays under the budget unless one row is bigger', () => {
  const rows = [10, 10, 10, 50, 5, 5].map((bytes, i) => ({ row: { id: BigInt(i), vectors: {}, dynamic: {} }, meta: Buffer.alloc(0), bytes }));
  assert.deepEqual(splitByBytes(rows, 25).map((b) => b.map((r) => r.bytes)), [[10, 10], [10], [50], [5, 5]]);
  assert.equal(splitByBytes([], 25).length, 0);
});

test('payloads: bigint out exactly, unsafe integers back as bigint, the rest as numbers', () => {
  const row = { id: 1n, vectors: { vector: [1, 2, 3, 4] }, dynamic: { big: 2n ** 60n + 1n, small: 7, f: 0.1, s: 'ü' } };
  const enc = encodeRow(plan, row);
  assert.equal(enc.meta.toString(), '{"big":1152921504606846977,"small":7,"f":0.1,"s":"ü"}');
  assert.ok(enc.bytes >= enc.meta.length + 16 + 8);
  // Milvus Lite hands JSON back re-serialised by Python (spaces, \u escapes).
  assert.deepEqual(parsePayload('{"big": 1152921504606846977, "small": 7, "f": 0.1, "\\u00fc": [-9007199254740993]}'), {
    big: 2n ** 60n + 1n,
    small: 7,
    f: 0.1,
    ü: [-(2n ** 53n) - 1n],
  });
  assert.deepEqual(parsePayload(''), {});
});

test('sparse bytes decode to sorted indices and float32 values', () => {
  const bytes = sparseToBytes({ indices: [3, 100_000], values: [0.5, 1.25] });
  assert.deepEqual(decodeSparse(bytes), { indices: [3, 100_000], values: [0.5, 1.25] });
});

test('errors are classified by code, not text', () => {
  const ctx = { op: 'Upsert', target: 'collection t', secrets: ['tok:secret'] };
  assert.equal(fromStatus({ code: 8, error_code: 'RateLimit', reason: 'x' }, ctx).kind, 'transient');
  assert.equal(fromStatus({ code: 0, error_code: 'RateLimit', reason: 'x' }, ctx).kind, 'transient');
  assert.equal(fromStatus({ code: 65535, error_code: 'UnexpectedError', retriable: true, reason: 'x' }, ctx).kind, 'transient');
  assert.equal(fromStatus({ code: 1100, error_code: 'IllegalArgument', reason: 'dim mismatch' }, ctx).code, 'TARGET_REJECTED');
  assert.equal(fromStatus({ code: 800, error_code: 'UnexpectedError', reason: 'database not found' }, ctx).code, 'TARGET_DATABASE_NOT_FOUND');
  assert.equal(fromStatus({ code: 1401, error_code: 'UnexpectedError', reason: 'denied' }, ctx).code, 'TARGET_AUTH');
  assert.equal(fromStatus({ code: 5, error_code: 'UnexpectedError', reason: 'boom' }, ctx).kind, 'system');
  // Milvus Lite: error_code Success with its own non-merr code (1 = bad metric here), not "not ready".
  assert.equal(fromStatus({ code: 1, error_code: 'Success', reason: 'metric_type must be one of …' }, ctx).code, 'TARGET_REJECTED');
  assert.equal(fromStatus({ code: 1, error_code: 'NotReadyServe', reason: 'starting' }, ctx).kind, 'transient');
  assert.equal(fromThrown(Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }), ctx).kind, 'transient');
  assert.equal(fromThrown(Object.assign(new Error('4 DEADLINE'), { code: 4 }), ctx).code, 'TARGET_TIMEOUT');
  const auth = fromThrown(Object.assign(new Error('16 UNAUTHENTICATED token tok:secret'), { code: 16 }), ctx);
  assert.equal(auth.code, 'TARGET_AUTH');
  assert.ok(!auth.message.includes('secret'));
});
