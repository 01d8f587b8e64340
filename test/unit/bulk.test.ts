/**
 * Bulk import's pure parts (issue 14): the row JSON layout Milvus's Import reads, task-state
 * mapping, the --mode bulk flags, and the Milvus 2.4+ / Zilliz Cloud REST import-job requests,
 * checked against the documented API shape (no server here serves that API: the path is untested
 * against a live one, and the README says so).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeJsonRow, JsonRowsFile, checkJsonLayout } from '../../src/bulk/json-rows.ts';
import { grpcTaskState } from '../../src/bulk/importer.ts';
import { restImporter, restTaskState } from '../../src/bulk/rest-import.ts';
import { bulkSpec } from '../../src/bulk/cli.ts';
import { BULK_RECOMMENDED_FROM, estimateModes, formatModeEstimate } from '../../src/bulk/estimate.ts';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { abortLeftUploads, removeFiles } from '../../src/bulk/cleanup.ts';
import type { BulkRun } from '../../src/bulk/copy.ts';
import type { BulkFile } from '../../src/bulk/file-log.ts';
import { MigrationEvents } from '../../src/core/events.ts';
import { memoryUpload } from './bulk-memory-upload.ts';

const plan = {
  source: 'docs', target: 'docs', primaryKey: { field: 'id', type: 'Int64', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 3, metric: 'COSINE', nullable: false }],
} as unknown as CollectionPlan;

describe('row JSON layout', () => {
  it('writes ids above 2^53 as bare literals, float vectors as arrays, payload keys inside $meta', () => {
    const row: Row = { id: 9223372036854775807n, vectors: { vector: [0.1, Math.fround(0.2), 3] }, dynamic: { big: 18446744073709551615n, s: 'x' } };
    const text = encodeJsonRow(plan, row);
    assert.equal(text, '{"id":9223372036854775807,"vector":[0.1,0.20000000298023224,3],"$meta":{"big":18446744073709551615,"s":"x"}}');
  });

  it('quotes VarChar ids, and a corrupt row (fault injection) is one dimension short', () => {
    const varchar = { ...plan, primaryKey: { field: 'id', type: 'VarChar', maxLength: 36, autoId: false } } as CollectionPlan;
    const row: Row = { id: '00000000-0000-0000-0000-000000000001', vectors: { vector: [1, 2, 3] }, dynamic: {} };
    assert.equal(encodeJsonRow(varchar, row, true), '{"id":"00000000-0000-0000-0000-000000000001","vector":[2,3],"$meta":{}}');
  });

  it('a file is {"rows":[...]}, counts its bytes exactly, and goes to its upload in chunks as rows come', async () => {
    const out = memoryUpload();
    const f = new JsonRowsFile(out);
    f.add('{"id":1}');
    f.add('{"id":2}');
    assert.equal(await f.seal(), f.bytes);
    assert.equal(out.body().toString(), '{"rows":[{"id":1},{"id":2}]}');
    assert.equal(out.state, 'ended');
    assert.equal(f.rows, 2);
    const big = memoryUpload();
    const g = new JsonRowsFile(big);
    const row = `{"id":1,"v":"${'x'.repeat(1000)}"}`;
    for (let i = 0; i < 3000; i++) g.add(row);
    await g.drain();
    assert.ok(big.writes >= 2, `${big.writes} writes before the end: a file is not held whole`);
    await g.seal();
    assert.equal(big.body().length, g.bytes);
    assert.equal(JSON.parse(big.body().toString()).rows.length, 3000);
  });

  it('refuses a plan the files cannot carry, naming the field and the fix', () => {
    const sparse = { ...plan, vectors: [{ ...plan.vectors[0]!, field: 'text', type: 'SparseFloatVector' }] } as CollectionPlan;
    assert.throws(() => checkJsonLayout(sparse), (e: Error & { code?: string }) => e.code === 'BULK_FIELD_UNSUPPORTED' && /text/.test(e.message) && /--mode upsert/.test(String((e as { fix?: string }).fix)));
  });
});

describe('task states', () => {
  it('maps Milvus 2.3 ImportState and the REST job states to one vocabulary', () => {
    assert.deepEqual(['ImportPending', 'ImportStarted', 'ImportPersisted', 'ImportCompleted', 'ImportFailed', 'ImportFailedAndCleaned'].map(grpcTaskState), ['pending', 'running', 'running', 'completed', 'failed', 'failed']);
    assert.deepEqual(['Pending', 'Importing', 'Completed', 'Failed'].map(restTaskState), ['pending', 'running', 'completed', 'failed']);
  });
});

describe('--mode bulk flags', () => {
  it('needs endpoint, bucket and both keys, and keeps the keys out of the job options', () => {
    assert.throws(() => bulkSpec({ mode: 'bulk', bulkEndpoint: 'http://s3:9000' }, {}), /--bulk-bucket, --bulk-access-key, --bulk-secret-key/);
    const spec = bulkSpec({ mode: 'bulk', bulkEndpoint: 'http://s3:9000', bulkBucket: 'a-bucket', bulkFileKb: 512 }, { QDRANT2MILVUS_BULK_ACCESS_KEY: 'AK', QDRANT2MILVUS_BULK_SECRET_KEY: 'SK' })!;
    assert.deepEqual(spec.options, { endpoint: 'http://s3:9000', bucket: 'a-bucket', prefix: 'q2m', fileBytes: 512 * 1024 });
    assert.equal(bulkSpec({ mode: 'bulk', bulkEndpoint: 'http://s3:9000', bulkBucket: 'b', bulkFormat: 'json' }, { QDRANT2MILVUS_BULK_ACCESS_KEY: 'AK', QDRANT2MILVUS_BULK_SECRET_KEY: 'SK' })!.options.format, 'json');
    assert.doesNotMatch(JSON.stringify(spec.options), /SK|AK/);
    assert.deepEqual(spec.credentials, { accessKey: 'AK', secretKey: 'SK' });
  });

  it('refuses --bulk-* flags without --mode bulk', () => {
    assert.throws(() => bulkSpec({ bulkBucket: 'b' }, {}), /--bulk-bucket applies to bulk mode only/);
    assert.throws(() => bulkSpec({ bulkFormat: 'json' }, {}), /--bulk-format applies to bulk mode only/);
    assert.equal(bulkSpec({}, {}), undefined);
  });
});

describe('REST import jobs (Milvus 2.4+ / Zilliz Cloud): request shapes of the documented API', () => {
  function recorder(answers: Record<string, unknown>) {
    const calls: Array<{ url: string; headers: Record<string, string>; body: Record<string, unknown> }> = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(String(init.body)) as Record<string, unknown> });
      const path = url.split('/jobs/import/')[1]!;
      return new Response(JSON.stringify(answers[path] ?? { code: 0, data: {} }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    return { calls, fetch };
  }

  it('create: POST /v2/vectordb/jobs/import/create with one inner list per file, bearer token, dbName', async () => {
    const r = recorder({ create: { code: 0, data: { jobId: '448707763884413158' } } });
    const imp = restImporter({ uri: 'https://in01-x.zillizcloud.com/', token: 'root:Milvus', database: 'db1', fetch: r.fetch });
    assert.equal(await imp.submit('docs', ['q2m/j/docs/r0-f0.json', 'q2m/j/docs/r0-f1.json']), '448707763884413158');
    assert.equal(r.calls[0]!.url, 'https://in01-x.zillizcloud.com/v2/vectordb/jobs/import/create');
    assert.equal(r.calls[0]!.headers.authorization, 'Bearer root:Milvus');
    assert.deepEqual(r.calls[0]!.body, { dbName: 'db1', collectionName: 'docs', files: [['q2m/j/docs/r0-f0.json'], ['q2m/j/docs/r0-f1.json']] });
    assert.ok(imp.filesPerTask > 1, 'several files per job');
  });

  it('get_progress: {dbName, jobId}; Completed, Failed with its reason (Zilliz answers code 200)', async () => {
    const r = recorder({ get_progress: { code: 200, data: { jobId: '7', state: 'Failed', reason: 'row 3: dim mismatch', progress: 10 } } });
    const imp = restImporter({ uri: 'http://milvus:19530', fetch: r.fetch });
    assert.deepEqual(await imp.status('7'), { state: 'failed', rows: undefined, reason: 'row 3: dim mismatch' });
    assert.equal(r.calls[0]!.url, 'http://milvus:19530/v2/vectordb/jobs/import/get_progress');
    assert.deepEqual(r.calls[0]!.body, { dbName: 'default', jobId: '7' });
    assert.equal(r.calls[0]!.headers.authorization, undefined);
  });

  it('findTask: list {dbName, collectionName}, then the job whose details name the file', async () => {
    const r = recorder({
      list: { code: 0, data: { records: [{ jobId: '1', collectionName: 'docs', state: 'Completed' }] } },
      get_progress: { code: 0, data: { jobId: '1', state: 'Importing', details: [{ fileName: 'q2m/j/docs/r0-f0.json' }] } },
    });
    const imp = restImporter({ uri: 'http://milvus:19530', fetch: r.fetch });
    assert.equal(await imp.findTask('docs', 'q2m/j/docs/r0-f0.json'), '1');
    assert.equal(await imp.findTask('docs', 'q2m/j/docs/r9-f9.json'), undefined);
    assert.deepEqual(r.calls[0]!.body, { dbName: 'default', collectionName: 'docs' });
  });

  it('an error answer is a config error carrying the server message, never the token', async () => {
    const r = recorder({ create: { code: 1100, message: 'collection not found: docs (token sk-123)' } });
    const imp = restImporter({ uri: 'http://milvus:19530', token: 'sk-123', fetch: r.fetch });
    await assert.rejects(imp.submit('docs', ['k']), (e: Error & { code?: string }) => e.code === 'BULK_IMPORT_REFUSED' && /collection not found/.test(e.message) && !e.message.includes('sk-123'));
  });
});

describe('mode estimate', () => {
  it('counts files from the row size and recommends bulk only from the measured threshold on', () => {
    const small = estimateModes({ ...plan, sourceCount: 1000 } as CollectionPlan, 64 * 1024 * 1024);
    assert.equal(small.recommended, 'upsert');
    assert.equal(small.files, 1);
    const huge = estimateModes({ ...plan, sourceCount: BULK_RECOMMENDED_FROM } as CollectionPlan, 64 * 1024 * 1024);
    assert.equal(huge.recommended, 'bulk');
    assert.equal(huge.files, Math.ceil(huge.fileBytes / (64 * 1024 * 1024)));
    assert.match(formatModeEstimate({ ...plan, sourceCount: 1000 } as CollectionPlan, 'bulk'), /docs: 1,000 points; .*recommended: --mode upsert/);
    // 128-d rows in JSON take ~3x the bytes of Parquet, and JSON is advised against.
    const big = { ...plan, vectors: [{ ...plan.vectors[0]!, dim: 128 }], sourceCount: 1_000_000 } as CollectionPlan;
    const json = estimateModes(big, 64 * 1024 * 1024, 200, 'json');
    const parquet = estimateModes(big, 64 * 1024 * 1024, 200, 'parquet');
    assert.ok(json.fileBytes > 2 * parquet.fileBytes && json.bulkSeconds > parquet.bulkSeconds);
    assert.match(formatModeEstimate({ ...plan, sourceCount: 1_000_000 } as CollectionPlan, 'bulk', undefined, 'json'), /import file\(s\) \(json\).*--bulk-format parquet/);
  });
});

describe('import file cleanup', () => {
  const file = (seq: number, state: BulkFile['state'], bytes = 100): BulkFile => ({
    rangeIndex: 0, seq, from: null, next: null, key: `q2m/j1/docs/r0-f${seq}.parquet`, rows: 1, rejected: 0, bytes, state, taskId: null, reason: null,
  });
  function runWith(remove: (keys: readonly string[]) => Promise<string[]>) {
    const events = new MigrationEvents();
    const warnings: string[] = [];
    events.on('error', (e) => warnings.push(`${e.warning ? 'warning' : 'failure'} ${e.error.code}: ${e.error.message}`));
    const removed: string[][] = [];
    const objects = { location: 'http://s3:9000/a-bucket', put: async () => undefined, exists: async () => true, close: () => undefined,
      remove: async (keys: readonly string[]) => { removed.push([...keys]); return remove(keys); },
      abortUploads: async () => { throw new Error('ListMultipartUploads: AccessDenied'); } };
    const run = { options: { plan, events }, bulk: { objects, prefix: 'q2m/j1' } } as unknown as BulkRun;
    return { run, warnings, removed };
  }

  it('deletes the files whose rows are in the target or that were abandoned, never one still in flight', async () => {
    const { run, warnings, removed } = runWith(async () => []);
    await removeFiles(run, [file(0, 'completed'), file(1, 'recovered'), file(2, 'abandoned'), file(3, 'submitted'), file(4, 'written'), file(5, 'completed', 0)]);
    assert.deepEqual(removed, [['q2m/j1/docs/r0-f0.parquet', 'q2m/j1/docs/r0-f1.parquet', 'q2m/j1/docs/r0-f2.parquet']]);
    assert.deepEqual(warnings, []);
  });

  it('a delete the bucket refuses is one warning per collection, naming the objects and the fix; the job goes on', async () => {
    const { run, warnings } = runWith(async (keys) => keys.map((k) => `${k} (AccessDenied)`));
    await removeFiles(run, [file(0, 'completed')]);
    await removeFiles(run, [file(1, 'completed')]);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^warning BULK_CLEANUP_FAILED: .*r0-f0\.parquet \(AccessDenied\).*a-bucket.*unaffected.*q2m\/j1\/.*s3:DeleteObject/);
    const thrown = runWith(async () => { throw new Error('connect ECONNREFUSED'); });
    await removeFiles(thrown.run, [file(0, 'completed')]);
    assert.match(thrown.warnings[0]!, /^warning BULK_CLEANUP_FAILED: .*ECONNREFUSED/);
  });

  it('unfinished uploads the bucket will not abort are a warning naming the prefix and the permission; the job goes on', async () => {
    const { run, warnings } = runWith(async () => []);
    await abortLeftUploads(run, 'q2m/j1/docs/');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^warning BULK_CLEANUP_FAILED: Could not abort the unfinished uploads under q2m\/j1\/docs\/ \(ListMultipartUploads: AccessDenied\).*unaffected.*s3:AbortMultipartUpload/);
  });
});
