/**
 * Cancel (issue 4, item 4): `jobs cancel` stops a detached job within 2 seconds and it ends
 * CANCELLED; what was written stays consistent (only source ids, none twice); the job resumes to
 * exactly the source. In the foreground, Ctrl-C (SIGINT) cancels the same way (exit 130), and the
 * collection can be dropped and migrated again with `--if-exists drop`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPidAlive } from '../../src/jobs/lifecycle.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  cliJson, freshDataDir, removeDataDir, jobIdOf, readJob, sourceIds, spawnCli, targetIds, waitFor, waitForStatus, writtenSoFar,
  type ReportJson,
} from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;

before(async () => {
  h = await startHarness();
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
});
after(async () => {
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

/**
 * Slows every scroll by `ms`. The detached test then holds every later scroll far longer than any
 * CLI start-up on a loaded machine: up to ~12 pages of 20 are read ahead of the writers (4 readers,
 * 6 queued, 2 writing), so with 1 s scrolls a cancel command that took 4 s to start found the
 * 400-point job already verified and SUCCESSFUL. A held scroll keeps it surely mid-copy, and the
 * cancel must then abort a read in flight, as it must for a user whose source is slow.
 */
function slowScrolls(ms: number): void {
  h.testServer!.faults.configure({ rules: [{ route: 'POST /collections/*/points/scroll', latencyMs: ms }] });
}

/** Only ids the source has, each once (Milvus Lite overwrites duplicates, so this checks the id list as returned). */
async function assertConsistent(collection: string): Promise<string[]> {
  const ids = await targetIds(h, collection);
  const source = new Set(sourceIds(h, collection));
  assert.equal(new Set(ids).size, ids.length, 'no id twice');
  assert.deepEqual(ids.filter((id) => !source.has(id)), [], 'only source ids');
  return ids;
}

describe('cancel', () => {
  it('jobs cancel stops a detached job within 2 s; it resumes to exactly the source', async () => {
    const c = await h.seed('basic', 400, { collection: h.name('cancel_detached') });
    slowScrolls(100);
    const started = await cliJson<{ jobId: string }>(h, dataDir, ['migrate', '--collections', c, '--yes', '--detach', '--page-size', '20']);
    const id = started.jobId;
    await waitFor('the first acked page', () => (writtenSoFar(dataDir, id, c) > 0 ? true : undefined));
    slowScrolls(20_000);
    const owner = readJob(dataDir, id).ownerPid!;

    const t0 = Date.now();
    const cancel = spawnCli(h, dataDir, ['jobs', 'cancel', id, '--json']);
    let flaggedAt = 0;
    // Any end, not only CANCELLED: a job that ends otherwise fails here with its status, not with
    // a wait for a status that can no longer come. The wait covers the command's start-up (4 s
    // seen at load 10 through tsx) and the job's stop (the 2 s asserted below).
    const ended = await waitFor('the job to end', () => {
      const job = readJob(dataDir, id);
      if (!flaggedAt && job.cancelRequested) flaggedAt = Date.now();
      return job.status === 'IN_PROGRESS' ? undefined : job;
    }, 30_000, 10);
    const total = Date.now() - t0;
    const engine = Date.now() - (flaggedAt || t0);
    assert.equal(ended.status, 'CANCELLED', `the job ended ${ended.status} ${total} ms after \`jobs cancel\` started (request seen after ${flaggedAt ? flaggedAt - t0 : '-'} ms)`);
    console.log(`# cancel latency: ${engine} ms from the cancel request reaching the job store to CANCELLED; ${total} ms from starting \`jobs cancel\` (the rest is the CLI process starting up)`);
    // The promise is the job's: stopped within 2 s of the request. The command's own start-up
    // (node + tsx + modules, ~1.2 s idle, several seconds on a loaded 2-core runner) is not the job's.
    assert.ok(flaggedAt > 0, 'the cancel request was seen in the store before CANCELLED');
    assert.ok(engine < 2000, `the job took ${engine} ms to stop after the request`);

    const answer = await cancel.done;
    assert.equal(answer.code, 0, answer.stderr);
    assert.deepEqual(JSON.parse(answer.stdout), { id, outcome: 'requested', status: 'CANCELLED' });
    // The job process is gone: nothing reads or writes any more.
    await waitFor('the job process to exit', () => (isPidAlive(owner) ? undefined : true), 5000);
    const partial = await assertConsistent(c);
    assert.ok(partial.length > 0 && partial.length < 400, `cancelled mid-copy, ${partial.length} written`);

    h.testServer!.faults.clear();
    const report = await cliJson<ReportJson>(h, dataDir, ['jobs', 'resume', id]);
    assert.equal(report.ok, true);
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c));
    assert.equal(readJob(dataDir, id).status, 'SUCCESSFUL');
  });

  it('Ctrl-C in the foreground cancels (exit 130); --if-exists drop then re-runs cleanly', async () => {
    const c = await h.seed('basic', 300, { collection: h.name('cancel_sigint') });
    slowScrolls(100);
    const run = spawnCli(h, dataDir, ['migrate', '--collections', c, '--yes', '--page-size', '20']);
    const id = await waitFor('the job id on stderr', () => (/j_[a-z2-7]{10}/.test(run.stderr()) ? jobIdOf(run.stderr()) : undefined));
    await waitFor('the first acked page', () => (writtenSoFar(dataDir, id, c) > 0 ? true : undefined));
    slowScrolls(1000);
    run.child.kill('SIGINT');
    const ended = await run.done;
    h.testServer!.faults.clear();
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stderr, /cancelling job/);
    assert.equal((await waitForStatus(dataDir, id, ['CANCELLED', 'FAILED', 'SUCCESSFUL'], 5000)).status, 'CANCELLED');
    await assertConsistent(c);

    const again = await cliJson<ReportJson>(h, dataDir, ['migrate', '--collections', c, '--yes', '--if-exists', 'drop']);
    assert.equal(again.ok, true);
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c));
  });
});
