/**
 * The write path's own bytes against the SDK's protobuf: Upsert answers (MutationResult) decoded
 * as the SDK's deserializer decodes them, and requests laid out in reused buffers byte for byte
 * as fresh ones, never written over while a write still holds them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { encodeWriteRequest } from '../../src/milvus/encode.ts';
import { decodeMutationResult } from '../../src/milvus/raw-call.ts';
import { encodeRow } from '../../src/milvus/rows.ts';
import { prepareUpserts, releaseBatches, RequestBuffers } from '../../src/milvus/writer.ts';
import { sdkCodec } from '../helpers/sdk-codec.ts';

/** A small deterministic generator, so a failure names the case that broke. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('MutationResult answers decode as the SDK decodes them: counts, success and failure statuses', async () => {
  const codec = await sdkCodec('Upsert');
  const rnd = random(12);
  const big = (x: number) => String(BigInt(Math.floor(x * 2 ** 40)) * 4096n + 7n);
  const cases: Array<Record<string, unknown>> = [
    {},
    { status: {} },
    { status: { error_code: 'Success', code: 0, reason: '' }, upsert_cnt: 3, insert_cnt: 3 },
    // Failures of every shape errors.ts reads: legacy enum, merr code, reason, retriable, detail.
    { status: { error_code: 'UnexpectedError', code: 1100, reason: 'too large', retriable: false } },
    { status: { error_code: 'Success', code: 2, reason: 'lite-style failure' } },
    { status: { error_code: 'RateLimit', code: 8, reason: 'slow down', retriable: true, detail: 'd' } },
    { status: { extra_info: { k: 'v' } }, upsert_cnt: 1 },
  ];
  for (let i = 0; i < 40; i++) {
    const n = 1 + Math.floor(rnd() * 400);
    cases.push({
      // Milvus sends its success status as an empty message (proto3 defaults); field 1 is there.
      status: {},
      IDs: { int_id: { data: Array.from({ length: n }, () => big(rnd())) } },
      succ_index: Array.from({ length: n }, (_, j) => j),
      acknowledged: rnd() < 0.5,
      insert_cnt: rnd() < 0.5 ? 0 : big(rnd()),
      delete_cnt: rnd() < 0.5 ? 0 : n,
      upsert_cnt: n,
      timestamp: big(rnd()),
    });
  }
  for (const [i, message] of cases.entries()) {
    const bytes = codec.responseSerialize(message);
    const sdk = codec.responseDeserialize(bytes) as Record<string, unknown>;
    const ours = decodeMutationResult(bytes, (b) => codec.responseDeserialize(b)) as Record<string, unknown>;
    for (const key of ['status', 'insert_cnt', 'delete_cnt', 'upsert_cnt']) {
      assert.deepStrictEqual(ours[key], sdk[key], `case ${i}: ${key}`);
    }
    // A success answer (status present and empty): what the SDK's retry interceptor logs is a
    // note, never every key of the answer.
    const success = message.status !== undefined && Object.keys(message.status as object).length === 0;
    if (success) assert.ok(JSON.stringify(ours).length < 300, `case ${i}: ${JSON.stringify(ours).slice(0, 80)}`);
  }
});

const plan: CollectionPlan = {
  source: 's', target: 't', description: '', primaryKey: { field: 'pk', type: 'VarChar', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'COSINE', index: { type: 'FLAT', params: {} }, nullable: false }],
  dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'append', sourceCount: 0,
};

function rowsOf(from: number, n: number, text: string): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `id-${from + i}`,
    vectors: { vector: [from + i, 0.5, -1, i / 7] },
    dynamic: { i: from + i, text: text.repeat(1 + (i % 5)) },
  }));
}

test('requests laid out in reused buffers are the fresh encoding, byte for byte, and a held buffer is never reused', () => {
  const buffers = new RequestBuffers();
  const a = prepareUpserts('db', plan, rowsOf(0, 300, 'x'), 1 << 20, buffers);
  const aBytes = a.map((b) => Buffer.from(b.request));
  // A write still holds `a`: the next page gets other buffers.
  const b = prepareUpserts('db', plan, rowsOf(300, 200, 'yz'), 1 << 20, buffers);
  for (const x of a) for (const y of b) assert.notEqual(x.block!.buffer, y.block!.buffer);
  assert.deepStrictEqual(a.map((x) => x.request), aBytes, 'encoding b changed a');
  for (const [i, batch] of [...a, ...b].entries()) {
    assert.deepStrictEqual(batch.request, encodeWriteRequest('db', plan, batch.rows), `batch ${i}`);
  }
  // Settled: a's buffers serve the next page, which encodes as a fresh request would.
  const held = new Set(a.map((x) => x.block!));
  releaseBatches(a, buffers);
  releaseBatches(a, buffers);
  assert.ok(a.every((x) => x.block === undefined));
  const c = prepareUpserts('db', plan, rowsOf(500, 250, 'w'), 1 << 20, buffers);
  assert.ok(c.some((x) => held.has(x.block!)), 'a released buffer is reused');
  for (const batch of c) assert.deepStrictEqual(batch.request, encodeWriteRequest('db', plan, batch.rows.map((r) => encodeRow(plan, r.row))));
  assert.deepStrictEqual(b.map((x) => x.request), b.map((x) => encodeWriteRequest('db', plan, x.rows)), 'encoding c changed b');
});
