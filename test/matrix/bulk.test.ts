/**
 * `migrate --mode bulk` (issue 14) on the real Milvus 2.3.5 standalone, its storage on an S3 server
 * (moto, or MinIO where MINIO_BIN names a binary: testkit/s3/launcher.ts): import files go to the bucket Milvus reads, its Import tasks load
 * them, and the job ends with exactly the source's ids, each once (2.3.5 keeps duplicates of a
 * re-imported file, so a file imported twice would show here), content checked on every point.
 *
 * - every dataset 2.3.5 can hold, in one job writing Parquet files (the default format), then
 *   `verify --sample <all>`; in the same job a file whose task fails half-way (one bad row fails the
 *   whole file) has its rows written through upsert;
 * - a job writing JSON files, killed -9 while a file is being written, right after one was uploaded
 *   (never submitted), and while an import task runs (one job, killed three times, as issue 14
 *   asks); then `jobs resume`: exact id set, no duplicates.
 * - after both, no import file is left in the bucket (each is deleted once its rows are in Milvus);
 * - Milvus Lite has no import: refused at plan time, nothing created.
 *
 * This file starts its own servers (S3 + Milvus 2.3.5 with storage on it; the launcher's machine
 * lock makes it wait for another 2.3.5); the matrix's own-servers leg runs it, `npm test` does not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startMilvus, type MilvusServer } from '../../testkit/milvus/launcher.ts';
import { minioAvailable, startS3, type S3Server } from '../../testkit/s3/launcher.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { cli, cliJson, freshDataDir, jobIdOf, removeDataDir, sourceIds, targetIds, type LogsJson, type ReportJson } from '../helpers/jobs.ts';

let s3: S3Server;
let milvus: MilvusServer;
let h: Harness;
let dataDir: string;

before(async () => {
  // MinIO where a binary is present (MINIO_BIN), else moto (pinned in testkit/s3/requirements.txt).
  s3 = await startS3({ engine: minioAvailable() ? 'minio' : 'moto' });
  milvus = await startMilvus({ engine: 'standalone23', auth: true, storage: { host: s3.host, port: s3.port, accessKey: s3.accessKey, secretKey: s3.secretKey } });
  // The harness takes this server as "the user's" target (it does not start its own).
  process.env.MILVUS_URI = milvus.uri;
  process.env.MILVUS_TOKEN = milvus.token;
  h = await startHarness({ source: 'test-server' });
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}; S3: ${s3.engine} at ${s3.endpoint}`);
});
after(async () => {
  await h?.stop();
  await milvus?.stop();
  await s3?.stop();
  if (dataDir) removeDataDir(dataDir);
});

/** The bulk flags: the bucket Milvus itself reads (a-bucket), files of `kb` KiB, in `format` (absent: the default). */
function bulkFlags(kb: number, format?: 'json' | 'parquet'): string[] {
  return ['--mode', 'bulk', '--bulk-endpoint', s3.endpoint, '--bulk-bucket', 'a-bucket', '--bulk-file-kb', String(kb), ...(format ? ['--bulk-format', format] : [])];
}
const keys = () => ({ QDRANT2MILVUS_BULK_ACCESS_KEY: s3.accessKey, QDRANT2MILVUS_BULK_SECRET_KEY: s3.secretKey });

async function verifyAll(collections: string[], sample: number): Promise<void> {
  const v = await cliJson<{ ok: boolean; collections: Array<{ source: string; mismatches: unknown[] }> }>(h, dataDir, ['verify', '--collections', collections.join(','), '--sample', String(sample)]);
  assert.equal(v.ok, true, JSON.stringify(v));
  for (const c of v.collections) assert.deepEqual(c.mismatches, [], `${c.source}: no mismatch on any point`);
}

/** Keys of this tool's import files left in the bucket Milvus reads (q2m/<job id>/...). */
async function leftoverFiles(jobId: string): Promise<string[]> {
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
  try {
    const res = await client.send(new ListObjectsV2Command({ Bucket: 'a-bucket', Prefix: `q2m/${jobId}/` }));
    return (res.Contents ?? []).map((o) => o.Key!);
  } finally {
    client.destroy();
  }
}

async function assertExact(source: string, target = source): Promise<void> {
  // Sorted with duplicates kept: a file imported twice shows as repeated ids.
  assert.deepEqual(await targetIds(h, target), sourceIds(h, source));
}

describe('bulk mode on Milvus 2.3.5 + S3', () => {
  it('Parquet: migrates every dataset Milvus 2.3.5 can hold, recovers a file whose task fails half-way, verifies every point', async () => {
    const seeded = [
      await h.seed('basic', 200),
      await h.seed('overflow-ids', 100),
      await h.seed('hyphen-names', 60),
      await h.seed('payload', 150),
    ];
    // basic's second file gets a bad row: Milvus fails that whole file, its ids go through upsert.
    // 16 KiB: a file per page of 50 (Parquet rows of 128-d take ~0.7 KB).
    const fault = { QDRANT2MILVUS_BULK_FAULT: `bad-row:${seeded[0]}:1` };
    const run = await cli(h, dataDir, ['migrate', '--collections', seeded.join(','), '--yes', '--json', '--page-size', '50', ...bulkFlags(16)], { ...keys(), ...fault });
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
    const report = JSON.parse(run.stdout) as ReportJson;
    assert.equal(report.ok, true, JSON.stringify(report));
    const logs = await cliJson<LogsJson>(h, dataDir, ['jobs', 'logs', report.jobId]);
    assert.ok(logs.entries.some((e) => e.code === 'BULK_TASK_FAILED' && /upsert/.test(e.message) && /\.parquet/.test(e.message)), JSON.stringify(logs.entries));
    for (const c of report.collections) await assertExact(c.source, c.target);
    await verifyAll(seeded, 200);
    assert.deepEqual(await leftoverFiles(report.jobId), [], 'every import file is deleted once its rows are in the target');
  });

  it('JSON: kill -9 while a file is written, after one is uploaded (never submitted), while one imports; resumes end exact, no id twice', async () => {
    const c = await h.seed('basic', 200, { collection: 'bulk_kill' });
    const flags = ['--page-size', '20', ...bulkFlags(40, 'json')];
    const first = await cli(h, dataDir, ['migrate', '--collections', c, '--yes', '--json', ...flags], { ...keys(), QDRANT2MILVUS_BULK_CRASH: `writing:${c}:1` });
    assert.equal(first.signal, 'SIGKILL', `the crash hook did not fire:\n${first.stderr}`);
    const id = jobIdOf(first.stderr);
    // Each resume dies at the next stage of a later file; the last one runs to the end.
    for (const crash of [`uploaded:${c}:2`, `importing:${c}:3`]) {
      const killed = await cli(h, dataDir, ['jobs', 'resume', id, '--json'], { ...keys(), QDRANT2MILVUS_BULK_CRASH: crash });
      assert.equal(killed.signal, 'SIGKILL', `${crash}: the crash hook did not fire:\n${killed.stderr}`);
    }
    const resumed = await cli(h, dataDir, ['jobs', 'resume', id, '--json'], keys());
    assert.equal(resumed.code, 0, `resume failed:\n${resumed.stderr}\n${resumed.stdout}`);
    await assertExact(c);
    // The killed runs left an uploaded-never-submitted file and finished ones: the resume deletes them too.
    assert.deepEqual(await leftoverFiles(id), [], 'no import file left in the bucket after the resumed job');
  });

  it('append into a collection already loaded (one in service): the imported rows are served, counted and verified at once', async () => {
    const c = await h.seed('basic', 200, { collection: 'bulk_loaded' });
    // An upsert job creates the collection and loads it; its rows are then deleted: a loaded, empty target.
    const first = await cli(h, dataDir, ['migrate', '--collections', c, '--yes', '--json'], keys());
    assert.equal(first.code, 0, `${first.stderr}\n${first.stdout}`);
    await h.milvus.delete({ collection_name: c, filter: `id in [${sourceIds(h, c).join(', ')}]` });
    assert.deepEqual(await targetIds(h, c), [], 'the target is empty before the import');
    const run = await cli(h, dataDir, ['migrate', '--collections', c, '--yes', '--json', '--if-exists', 'append', '--page-size', '50', ...bulkFlags(16)], keys());
    assert.equal(run.code, 0, `the job's own count must see every imported row:\n${run.stderr}\n${run.stdout}`);
    const report = JSON.parse(run.stdout) as ReportJson;
    assert.equal(report.collections[0]!.targetCount, 200, JSON.stringify(report));
    await assertExact(c);
  });
});

describe('bulk mode where the target has no import', () => {
  it('Milvus Lite: refused before anything is created, with the fix', async () => {
    const lite = await startMilvus({ engine: 'lite3' });
    try {
      const c = await h.seed('basic', 10, { collection: 'bulk_on_lite' });
      const run = await cli(h, dataDir, ['migrate', '--collections', c, '--yes', '--json', ...bulkFlags(64)], { ...keys(), MILVUS_URI: lite.uri, MILVUS_TOKEN: undefined });
      assert.equal(run.code === 0, false);
      assert.match(run.stderr, /BULK_UNSUPPORTED|runs no import jobs/);
      assert.match(run.stderr, /--mode upsert/);
      assert.doesNotMatch(run.stderr + run.stdout, new RegExp(s3.secretKey));
    } finally {
      await lite.stop();
    }
  });
});
