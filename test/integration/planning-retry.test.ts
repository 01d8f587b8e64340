/**
 * Issue 13, defect 7: planning gets the same retry budget as the copy. A burst of 429s with
 * Retry-After at the very start (the connection check, listings, describe, counts, id-kind probes,
 * missing-vector counts) is ridden out, and `migrate` ends SUCCESSFUL with exactly the source's
 * ids. Before the fix the connection check was not retried at all (over REST a 429 on `GET /` even
 * read as "not a Qdrant server") and the other planning calls gave up after 3 retries, so the same
 * burst failed `migrate` with no job to resume, while mid-copy it was ridden out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { cli, freshDataDir, readJob, removeDataDir, sourceIds, targetIds, type ReportJson } from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;

before(async () => {
  // The test server's fault injection is the point: the source is pinned to it.
  h = await startHarness({ source: 'test-server' });
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
});
after(async () => {
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

/** Requests answered 429 + `Retry-After: 1` before the server answers normally again. */
const BURST = 12;

describe('a 429 burst at the start of migrate', () => {
  for (const transport of ['rest', 'grpc'] as const) {
    it(`over ${transport}: is ridden out, and the job ends SUCCESSFUL with the exact id set`, async () => {
      const collection = await h.seed('basic', 120, { collection: h.name(`plan429_${transport}`) });
      // Every request from the first one on (the connection check included): planning takes the burst.
      h.testServer!.faults.configure({ seed: 3, rules: [{ route: '*', rateLimitRate: 1, retryAfterSeconds: 1, maxFaults: BURST }] });
      const flags = transport === 'rest' ? ['--source-rest'] : ['--source-grpc', '--source-grpc-port', String(h.testServer!.grpcPort)];
      const started = Date.now();
      let run;
      try {
        run = await cli(h, dataDir, ['migrate', '--collections', collection, '--yes', '--json', ...flags]);
      } finally {
        console.log(`# ${transport}: faults ${JSON.stringify(h.testServer!.faults.stats())}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      const stats = h.testServer!.faults.stats();
      h.testServer!.faults.clear();
      assert.equal(run.code, 0, `migrate must succeed:\n${run.stderr}`);
      assert.equal(stats.rateLimited, BURST, 'the whole burst was answered 429');
      const report = JSON.parse(run.stdout) as ReportJson;
      assert.equal(readJob(dataDir, report.jobId).status, 'SUCCESSFUL');
      assert.deepEqual(await targetIds(h, collection), sourceIds(h, collection));
      assert.equal(report.collections[0]!.verified, true);
    });
  }
});
