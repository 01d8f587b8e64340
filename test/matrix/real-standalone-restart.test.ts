/**
 * Milvus 2.3.5 standalone (the real Go server) dies by SIGKILL in the middle of a copy and comes
 * back on the same port and data: the running job rides through the outage on its target retries
 * (the server answers "connection refused", then DEADLINE_EXCEEDED / not ready for a while after the
 * restart) and ends SUCCESSFUL with exactly the source's ids, each once, with nothing lost
 * that was acknowledged before the crash.
 *
 * This file owns its server (it kills it), so it pins the standalone23 leg itself and must not share
 * the machine with another Milvus 2.3.5: the launcher's machine-wide lock makes it wait for one.
 * It lives in test/matrix/, which the test matrix (scripts/matrix.mjs, step own-servers) runs and
 * `npm test` does not (it needs the standalone23 venv, ~20 s of start-up twice and ~800 MB).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMilvus, type MilvusServer } from '../../testkit/milvus/launcher.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  cliJson, freshDataDir, jobIdOf, readJob, removeDataDir, sourceIds, spawnCli, targetIds, waitFor, waitForStatus,
  writtenSoFar, type ReportJson,
} from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;
let restarted: MilvusServer | undefined;

before(async () => {
  h = await startHarness({ source: 'test-server', targetEngine: 'standalone23' });
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
});
after(async () => {
  // The restarted server first: the harness's (dead) one removes the shared data dir on stop.
  await restarted?.stop();
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

it('a SIGKILL and restart of Milvus 2.3.5 mid-copy: the job ends SUCCESSFUL with exactly the source ids', async () => {
  const c = await h.seed('basic', 2000, { collection: h.name('restart_mid_copy') });
  // Slow pages keep the copy running across the kill; 2000 points in pages of 50 take > 8 s.
  h.testServer!.faults.configure({ rules: [{ route: `POST /collections/${c}/points/scroll`, latencyMs: 200 }] });
  const run = spawnCli(h, dataDir, ['migrate', '--collections', c, '--yes', '--json', '--page-size', '50', '--source-rest']);
  const id = await waitFor('the job id on stderr', () => (/j_[a-z2-7]{10}/.test(run.stderr()) ? jobIdOf(run.stderr()) : undefined), 120_000);
  await waitFor('some acknowledged pages', () => (writtenSoFar(dataDir, id, c) >= 200 ? true : undefined), 120_000, 50);

  const server = h.milvusServer!;
  const before = writtenSoFar(dataDir, id, c);
  await server.kill();
  const down = Date.now();
  restarted = await startMilvus({ engine: 'standalone23', port: server.port, dataDir: server.dataDir, auth: true });
  console.log(`# killed at ${before} acknowledged rows; back after ${Date.now() - down} ms`);
  h.testServer!.faults.clear();

  const ended = await run.done;
  assert.equal(ended.code, 0, `the job did not ride through the restart:\n${ended.stderr}\n${ended.stdout}`);
  const report = JSON.parse(ended.stdout) as ReportJson;
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal((await waitForStatus(dataDir, id, ['SUCCESSFUL', 'FAILED', 'CANCELLED'], 5000)).status, 'SUCCESSFUL');
  assert.ok(readJob(dataDir, id).status === 'SUCCESSFUL');
  // Exactly the source's ids, none twice (2.3.5 keeps duplicates of a re-sent primary key, so a
  // page written twice across the crash would show here).
  assert.deepEqual(await targetIds(h, c), sourceIds(h, c));
  const verified = await cliJson<{ ok: boolean }>(h, dataDir, ['verify', '--collections', c, '--sample', '100']);
  assert.equal(verified.ok, true);
});
