/**
 * Issue 13, defect 13: one writer per target collection across data dirs. Two `migrate --if-exists
 * drop` runs with different QDRANT2MILVUS_HOME once both wrote one collection (one dropped it under
 * the other) and both said SUCCESSFUL. Now the target holds a lease (src/milvus/lease.ts):
 * - a second job, from another data dir, is refused with TARGET_BUSY and exit code 2, before it
 *   drops anything, and the first ends SUCCESSFUL with exactly the source's ids;
 * - after a crash (SIGKILL) the same job resumes at once (it retakes its own lease);
 * - another job takes over only once the dead job's lease expired (QDRANT2MILVUS_LEASE_SECONDS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  cli, cliJson, freshDataDir, jobIdOf, readJob, removeDataDir, sourceIds, spawnCli, targetIds, waitFor, type ReportJson,
} from '../helpers/jobs.ts';

/** Short, so that the expiry test waits seconds, not a minute; renewals run every third of it. */
const LEASE_SECONDS = 20;
const env = { QDRANT2MILVUS_LEASE_SECONDS: String(LEASE_SECONDS) };

let h: Harness;
const dirs: string[] = [];
const home = () => {
  const d = freshDataDir();
  dirs.push(d);
  return d;
};

before(async () => {
  // Slowed with the test server's fault injection: the source is pinned to it (any target).
  h = await startHarness({ source: 'test-server' });
  console.log(`# ${h.describe()}`);
});
after(async () => {
  await h?.stop();
  for (const d of dirs) removeDataDir(d);
});

/** Slows every scroll of `collection` so that the copy is still running when the other job tries;
 *  cleared as soon as that is checked. */
function slowScrolls(collection: string, latencyMs = 2000): void {
  h.testServer!.faults.configure({ rules: [{ route: `POST /collections/${collection}/points/scroll`, latencyMs }] });
}

const migrateArgs = (collection: string) => ['migrate', '--collections', collection, '--yes', '--if-exists', 'drop', '--source-rest', '--page-size', '20'];

describe('a target collection has one writer, whatever the data dir', () => {
  it('a second migrate from another data dir is refused with TARGET_BUSY (exit 2); the first ends exact', async () => {
    const c = await h.seed('basic', 1000, { collection: h.name('lease_two') });
    slowScrolls(c);
    const [homeA, homeB] = [home(), home()];
    const a = spawnCli(h, homeA, [...migrateArgs(c), '--json'], env);
    try {
      // A is copying (it holds the lease, and it dropped and created the collection already).
      const idA = await waitFor('job A to copy', () => (/\bj_[a-z2-7]{10}\b/.test(a.stderr()) ? jobIdOf(a.stderr()) : undefined), 60_000);
      await waitFor('job A to write rows', () => ((readJob(homeA, idA).collections[0]?.written ?? 0) > 0 ? true : undefined), 60_000);
      const b = await cli(h, homeB, migrateArgs(c), env);
      assert.equal(a.child.exitCode, null, 'A was still running when B was refused');
      assert.equal(b.code, 2, `B must be refused:\n${b.stderr}`);
      assert.match(b.stderr, new RegExp(`TARGET_BUSY.*Job ${idA} .*is writing into target collection ${c}`));
      assert.match(b.stderr, /fix: Wait for job/);
      const idB = jobIdOf(b.stderr);
      assert.equal(readJob(homeB, idB).collections[0]?.written ?? 0, 0, 'B wrote nothing');
    } finally {
      h.testServer!.faults.clear();
    }
    const runA = await a.done;
    assert.equal(runA.code, 0, runA.stderr);
    const report = JSON.parse(runA.stdout) as ReportJson;
    assert.equal(readJob(homeA, report.jobId).status, 'SUCCESSFUL');
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c), 'A\'s collection was never dropped under it');
  });

  it('a job that finds its lease taken stops with TARGET_LEASE_LOST instead of writing on', async () => {
    const c = await h.seed('basic', 1000, { collection: h.name('lease_lost') });
    slowScrolls(c);
    const homeA = home();
    const a = spawnCli(h, homeA, migrateArgs(c), env);
    let idA: string;
    try {
      idA = await waitFor('job A to start', () => (/\bj_[a-z2-7]{10}\b/.test(a.stderr()) ? jobIdOf(a.stderr()) : undefined), 60_000);
      await waitFor('job A to write rows', () => ((readJob(homeA, idA).collections[0]?.written ?? 0) > 0 ? true : undefined), 60_000);
      // What another job's takeover looks like in the target (as if A's lease had expired).
      await h.milvus.upsert({
        collection_name: '_q2m_leases',
        data: [{ target: c, owner: 'j_intruder00', token: 'someone-else', expires_ms: Date.now() + 600_000, holder: 'the test', unused_vector: [0, 0] }],
      });
    } catch (e) {
      h.testServer!.faults.clear();
      throw e;
    }
    // Still slowed: A must stop at its next renewal (a third of the lease time), not finish the copy.
    const run = await a.done;
    h.testServer!.faults.clear();
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /TARGET_LEASE_LOST.*lost its lease on target collection .*job j_intruder00 \(the test\) holds it now/);
    const job = readJob(homeA, idA);
    assert.equal(job.status, 'FAILED');
    assert.equal(job.error?.code, 'TARGET_LEASE_LOST');
    const written = (await targetIds(h, c)).length;
    assert.ok(written < 1000, `A stopped before copying everything (${written})`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await targetIds(h, c)).length, written, 'and wrote nothing after');
  });

  it('after SIGKILL the same job resumes at once; another job is refused until the lease expired', async () => {
    const c = await h.seed('basic', 300, { collection: h.name('lease_crash') });
    const [homeA, homeB] = [home(), home()];
    // A dies mid-copy, holding its lease.
    const crashed = await cli(h, homeA, migrateArgs(c), { ...env, QDRANT2MILVUS_CRASH_AT: `checkpoint:${c}:2` });
    assert.equal(crashed.signal, 'SIGKILL');
    const idA = jobIdOf(crashed.stderr);
    const killedAt = Date.now();

    const b = await cli(h, homeB, migrateArgs(c), env);
    assert.equal(b.code, 2, `B must be refused while A's lease holds:\n${b.stderr}`);
    assert.match(b.stderr, new RegExp(`TARGET_BUSY.*Job ${idA} `));
    const idB = jobIdOf(b.stderr);

    // The same job retakes its own lease without waiting for it to expire.
    const resumedAt = Date.now();
    assert.ok(resumedAt - killedAt < LEASE_SECONDS * 1000, 'resumed while the dead run\'s lease still held');
    const resumed = await cliJson<ReportJson>(h, homeA, ['jobs', 'resume', idA], env);
    assert.equal(resumed.ok, true);
    assert.equal(readJob(homeA, idA).status, 'SUCCESSFUL');
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c));

    // A released its lease at the end: B (resumed, it still says drop) now runs, to an exact result.
    const again = await cliJson<ReportJson>(h, homeB, ['jobs', 'resume', idB], env);
    assert.equal(again.ok, true);
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c));
  });

  it('a job whose owner died is taken over only after its lease expired', async () => {
    const c = await h.seed('basic', 200, { collection: h.name('lease_expiry') });
    const [homeA, homeB] = [home(), home()];
    const crashed = await cli(h, homeA, migrateArgs(c), { ...env, QDRANT2MILVUS_CRASH_AT: `checkpoint:${c}:1` });
    assert.equal(crashed.signal, 'SIGKILL');
    const killedAt = Date.now();
    const early = await cli(h, homeB, migrateArgs(c), env);
    assert.equal(early.code, 2, early.stderr);
    assert.match(early.stderr, /TARGET_BUSY/);
    // Wait out the lease (it was last renewed at most when A died).
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + LEASE_SECONDS * 1000 + 500 - Date.now())));
    const late = await cliJson<ReportJson>(h, homeB, ['jobs', 'resume', jobIdOf(early.stderr)], env);
    assert.equal(late.ok, true);
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c));
  });
});
