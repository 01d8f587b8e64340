/**
 * Issue 13 against real protocol servers (Qdrant test server + Milvus Lite), through the real CLI:
 * an empty selection moves nothing (defect 2), `host:port` endpoints work (defect 5), a page size
 * flag cannot make a page unbounded (defect 9), and the report tells the truth: a job whose every
 * point was rejected is not a success, a collection that failed mid-copy shows what it moved, and
 * two equal big numbers are not a mismatch.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CreateCollectionBody, RestPoint } from '../../testkit/datasets/types.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { cli, countScrolls, freshDataDir, jobIdOf, readJob, removeDataDir, spawnCli, targetIds, waitFor, writtenSoFar } from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;

before(async () => {
  h = await startHarness();
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
});
after(async () => {
  await h?.stop();
  removeDataDir(dataDir);
});

/** Loads hand-made points into the test server. */
function seedPoints(collection: string, config: CreateCollectionBody, points: RestPoint[]): string {
  h.testServer!.store.seed({ collection, config, points: () => points });
  return collection;
}

async function targetCollections(): Promise<string[]> {
  const { data } = await h.milvus.listCollections();
  return data.map((c) => c.name);
}

const vector4 = (i: number) => [1 + i, 0.5, 0.25, 0.125];

describe('an empty selection is an error, never "every collection" (defect 2)', () => {
  test('plan file with "collections": [] and --collections \'\' move nothing', async (t) => {
    if (!h.testServer) return t.skip('needs the test server');
    const c = await h.seed('basic', 50, { collection: 'empty_selection_a' });
    const planFile = join(dataDir, 'empty-plan.json');
    writeFileSync(planFile, JSON.stringify({ version: 1, collections: [] }));

    const fromFile = await cli(h, dataDir, ['migrate', '--yes', '--plan', planFile]);
    assert.equal(fromFile.code, 2, fromFile.stdout + fromFile.stderr);
    assert.match(fromFile.stderr, /PLAN_FILE_INVALID/);
    assert.match(fromFile.stderr, /lists no collections/);

    const fromFlag = await cli(h, dataDir, ['migrate', '--yes', '--collections', '']);
    assert.equal(fromFlag.code, 2, fromFlag.stdout + fromFlag.stderr);
    assert.match(fromFlag.stderr, /names no collection/);

    assert.ok(!(await targetCollections()).includes(c), 'nothing was created in the target');
  });
});

describe('endpoints without a scheme (defect 5)', () => {
  test('host:port is used as http://host:port, with a notice', async (t) => {
    if (!h.testServer) return t.skip('needs the test server');
    const c = await h.seed('basic', 20, { collection: 'no_scheme' });
    const source = h.qdrantUrl.replace(/^http:\/\//, '');
    const target = h.milvusUri.replace(/^https?:\/\//, '');
    const inspect = await cli(h, dataDir, ['inspect', '--source-rest', '--source-url', source, '--collections', c]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stderr, new RegExp(`notice: .*"${source}" has no scheme: using http://${source}`));
    assert.match(inspect.stdout, /no_scheme: 20 points/);

    const plan = await cli(h, dataDir, ['plan', '--source-rest', '--source-url', source, '--target-uri', target, '--collections', c]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stderr, new RegExp(`"${target}" has no scheme: using http://${target}`));
  });
});

describe('the report tells the truth', () => {
  test('every point rejected: "nothing was written", exit 1, unless --allow-empty', async (t) => {
    if (!h.testServer) return t.skip('needs the test server');
    // Payloads above Milvus's 65,536-byte JSON limit: each point is rejected, none written.
    const points = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, vector: vector4(i), payload: { text: 'x'.repeat(70_000) } }));
    const c = seedPoints('all_rejected', { vectors: { size: 4, distance: 'Dot' } }, points);

    const refused = await cli(h, dataDir, ['migrate', '--yes', '--source-rest', '--collections', c]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /NOTHING WAS WRITTEN to "all_rejected": every point was rejected/);
    assert.match(refused.stdout, /--allow-empty/);
    assert.doesNotMatch(refused.stdout, /Migration complete/);
    const shown = await cli(h, dataDir, ['jobs', 'show', jobIdOf(refused.stderr)]);
    assert.match(shown.stdout, /NOTHING WAS WRITTEN: every point was rejected/);

    const allowed = await cli(h, dataDir, ['migrate', '--yes', '--source-rest', '--collections', c, '--if-exists', 'drop', '--allow-empty', '--json']);
    assert.equal(allowed.code, 0, allowed.stderr);
    const report = JSON.parse(allowed.stdout) as { ok: boolean; nothingWritten: string[]; collections: Array<{ written: number; rejectedCount: number }> };
    assert.equal(report.ok, true);
    assert.deepEqual(report.nothingWritten, [c]);
    assert.deepEqual([report.collections[0]!.written, report.collections[0]!.rejectedCount], [0, 12]);
  });

  test('a collection that failed mid-copy reports the points it moved, not "written 0"', async (t) => {
    if (!h.testServer) return t.skip('needs the test server');
    const c = await h.seed('basic', 600, { collection: 'fails_midway' });
    const scrolls = `POST /collections/${c}/points/scroll`;
    h.testServer.faults.configure({ rules: [{ route: scrolls, latencyMs: 100 }] });
    try {
      const run = spawnCli(h, dataDir, ['migrate', '--yes', '--source-rest', '--collections', c, '--page-size', '20', '--retry-budget', '1']);
      const jobId = await waitFor('the job id', () => (/\bj_[a-z2-7]{10}\b/.test(run.stderr()) ? jobIdOf(run.stderr()) : undefined));
      await waitFor('100 acked points', () => (writtenSoFar(dataDir, jobId, c) >= 100 ? true : undefined));
      h.testServer.faults.configure({ rules: [{ route: scrolls, errorRate: 1, errorStatus: 503 }] });
      const done = await run.done;
      assert.equal(done.code, 1, done.stdout + done.stderr);
      const stored = readJob(dataDir, jobId).collections[0]!;
      const line = done.stdout.split('\n').find((l) => l.includes(`${c} → ${c}: FAILED`)) ?? '';
      const written = Number(/written (\d+)/.exec(line)?.[1]);
      assert.ok(written >= 100, `the report says "${line.trim()}"`);
      assert.equal(written, stored.written, 'the report and `jobs show` agree');
      assert.ok((await targetIds(h, c)).length >= written, 'and the target holds at least that many');
      assert.match(line, /target not counted/);
    } finally {
      h.testServer.faults.clear();
    }
  });

  test('2^64+5 read over gRPC (a double) and over REST (exact) verifies: equal numbers are not a mismatch', async (t) => {
    if (!h.testServer?.grpcPort) return t.skip('needs the test server with gRPC');
    const big = 2n ** 64n + 5n;
    const points = [1, 2, 3].map((id) => ({ id, vector: vector4(id), payload: { big, neg: -(2n ** 63n), nested: { big } } }));
    const c = seedPoints('big_numbers', { vectors: { size: 4, distance: 'Dot' } }, points);
    const grpc = ['--source-grpc', '--source-grpc-port', String(h.testServer.grpcPort)];
    const migrated = await cli(h, dataDir, ['migrate', '--yes', ...grpc, '--collections', c, '--verify-sample', '10']);
    assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
    assert.doesNotMatch(migrated.stdout, /mismatch/);
    const verified = await cli(h, dataDir, ['verify', ...grpc, '--collections', c, '--sample', '10']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /3 points compared, 0 mismatches/);
  });
});

describe('memory stays bounded whatever --page-size says (defect 9)', () => {
  test('--page-size 10000 on 16 KiB rows reads pages of at most 8 MiB', async (t) => {
    if (!h.testServer) return t.skip('needs the test server');
    const dim = 4096;
    const count = 2500;
    const row = Array.from({ length: dim }, (_, i) => (i % 7) / 7);
    const points = Array.from({ length: count }, (_, i) => ({ id: i + 1, vector: row, payload: { i } }));
    const c = seedPoints('wide_rows', { vectors: { size: dim, distance: 'Dot' } }, points);
    const scrolls = countScrolls(h, c);
    try {
      // Planning scrolls too (id kinds are probed): count its reads apart, as `plan` makes them.
      const planned = await cli(h, dataDir, ['plan', '--source-rest', '--collections', c]);
      assert.equal(planned.code, 0, planned.stderr);
      const planning = scrolls();
      const run = await cli(h, dataDir, ['migrate', '--yes', '--source-rest', '--collections', c, '--page-size', '10000']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      // 8 MiB / ~16.9 KB estimated per row = 496 points a page: 6 reads for 2,500 points
      // (unbounded, one read of up to 10,000 would take them all).
      const reads = scrolls() - 2 * planning;
      console.log(`# scroll requests: planning ${planning}, copy ${reads}`);
      assert.ok(reads >= 3, `${reads} scroll requests to copy ${count} points`);
      assert.equal((await targetIds(h, c)).length, count);
    } finally {
      h.testServer.faults.clear();
    }
  });
});
