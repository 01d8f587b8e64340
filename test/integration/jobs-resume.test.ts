/**
 * Kill and resume (issue 4, item 3): the job process dies by SIGKILL (QDRANT2MILVUS_CRASH_AT, see
 * src/jobs/crash-hook.ts) during create, mid-collection, between collections and during
 * index/load. `jobs list` then shows it FAILED (JOB_INTERRUPTED); `jobs resume` continues from
 * the checkpoints (not from the start) and ends SUCCESSFUL with exactly the source's ids, each
 * once, and `verify --sample` agrees.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  cli, cliJson, countScrolls, freshDataDir, removeDataDir, jobIdOf, richUnsupportedReason, sourceIds, targetIds,
  type LogsJson, type ReportJson, type Run,
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

interface ShownJob {
  status: string;
  error: { code: string } | null;
  collections: Array<{ source: string; status: string; phase: string | null; checkpoints: Array<{ cursor: string | null; done: boolean; written: number; rejected: number }> }>;
}

/** Runs migrate with the crash point set; asserts it died by SIGKILL and `jobs list` shows it interrupted. */
async function migrateAndCrash(collections: string[], crashAt: string, extra: string[] = []): Promise<string> {
  const run: Run = await cli(h, dataDir, ['migrate', '--collections', collections.join(','), '--yes', '--json', ...extra], { QDRANT2MILVUS_CRASH_AT: crashAt });
  assert.equal(run.signal, 'SIGKILL', `expected a SIGKILL at ${crashAt}; exit ${run.code}\n${run.stderr}`);
  const id = jobIdOf(run.stderr);
  const listed = await cliJson<Array<{ id: string; status: string; error: { code: string } | null }>>(h, dataDir, ['jobs', 'list']);
  const job = listed.find((j) => j.id === id);
  assert.deepEqual([job?.status, job?.error?.code], ['FAILED', 'JOB_INTERRUPTED']);
  return id;
}

async function resume(id: string): Promise<ReportJson> {
  const report = await cliJson<ReportJson>(h, dataDir, ['jobs', 'resume', id]);
  assert.equal(report.ok, true, JSON.stringify(report));
  const listed = await cliJson<Array<{ id: string; status: string }>>(h, dataDir, ['jobs', 'list', '--status', 'SUCCESSFUL']);
  assert.ok(listed.some((j) => j.id === id), 'the job is listed SUCCESSFUL');
  return report;
}

/** Exactly the source's ids, none twice, and a content sample matches. */
async function assertComplete(collection: string): Promise<void> {
  assert.deepEqual(await targetIds(h, collection), sourceIds(h, collection));
  const verified = await cliJson<{ ok: boolean; collections: Array<{ sampled: number }> }>(h, dataDir, ['verify', '--collections', collection, '--sample', '40']);
  assert.equal(verified.ok, true);
  assert.equal(verified.collections[0]!.sampled, 40);
}

describe('a job killed with SIGKILL resumes to exactly the source', () => {
  it('during create', async () => {
    const c = await h.seed('basic', 200, { collection: h.name('kill_create') });
    const id = await migrateAndCrash([c], `create:${c}`);
    const shown = await cliJson<ShownJob>(h, dataDir, ['jobs', 'show', id]);
    assert.deepEqual([shown.collections[0]!.phase, shown.collections[0]!.checkpoints], ['create', []]);
    await resume(id);
    await assertComplete(c);
  });

  it('mid-collection, continuing from the last checkpoint', async () => {
    const c = await h.seed('basic', 300, { collection: h.name('kill_mid') });
    const id = await migrateAndCrash([c], `checkpoint:${c}:3`, ['--page-size', '20']);
    const shown = await cliJson<ShownJob>(h, dataDir, ['jobs', 'show', id]);
    const saved = shown.collections[0]!.checkpoints;
    // At least the three acked pages of 20 are behind the saved cursors (the id space may be cut
    // into ranges read in parallel: then each range has its own cursor).
    const written = saved.reduce((n, cp) => n + cp.written, 0);
    assert.ok(written >= 60 && written < 300, `checkpoints cover ${written} rows`);
    assert.ok(saved.some((cp) => cp.cursor !== null && !cp.done), 'a range stopped mid-way');
    const scrolls = countScrolls(h, c);
    await resume(id);
    h.testServer!.faults.clear();
    // Only what the checkpoints do not cover is read again (a page may be cut short at a range's
    // end): starting over would read all 15 pages.
    const expected = (300 - written) / 20;
    assert.ok(scrolls() <= expected + 1 && scrolls() < 15, `resume read ${scrolls()} pages, ${expected} left`);
    await assertComplete(c);
  });

  it('mid-collection with rejected points: the rejections of the first run still count', async (t) => {
    const refused = await richUnsupportedReason(h);
    if (refused) return t.skip(refused);
    const c = await h.seed('rich', 120, { collection: h.name('kill_rejects') });
    const id = await migrateAndCrash([c], `checkpoint:${c}:2`, ['--page-size', '25', '--missing-vector', 'skip']);
    const shown = await cliJson<ShownJob>(h, dataDir, ['jobs', 'show', id]);
    assert.ok(shown.collections[0]!.checkpoints[0]!.rejected > 0, 'the first two pages rejected points');
    const report = await resume(id);
    assert.equal(report.collections[0]!.verified, true);
    const logs = await cliJson<LogsJson>(h, dataDir, ['jobs', 'logs', id, '--limit', '1000']);
    const rejected = new Set(logs.entries.filter((e) => e.pointId !== null).map((e) => e.pointId!));
    assert.equal(rejected.size, report.collections[0]!.rejectedCount);
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c).filter((x) => !rejected.has(x)));
  });

  it('between collections: the finished one is not redone', async () => {
    const a = await h.seed('basic', 100, { collection: h.name('kill_between_a') });
    const b = await h.seed('ref768', 60, { collection: h.name('kill_between_b') });
    const id = await migrateAndCrash([a, b], `create:${b}`);
    const shown = await cliJson<ShownJob>(h, dataDir, ['jobs', 'show', id]);
    assert.deepEqual(shown.collections.map((x) => x.status), ['SUCCESSFUL', 'IN_PROGRESS']);
    const report = await resume(id);
    assert.deepEqual(report.collections.map((x) => x.source), [b]);
    await assertComplete(a);
    await assertComplete(b);
  });

  it('during index/load: nothing is read again', async () => {
    const c = await h.seed('basic', 150, { collection: h.name('kill_load') });
    const id = await migrateAndCrash([c], `load:${c}`, ['--page-size', '50']);
    const shown = await cliJson<ShownJob>(h, dataDir, ['jobs', 'show', id]);
    const saved = shown.collections[0]!.checkpoints;
    assert.ok(saved.length > 0 && saved.every((cp) => cp.done), 'every range copied');
    const scrolls = countScrolls(h, c);
    await resume(id);
    h.testServer!.faults.clear();
    assert.equal(scrolls(), 0);
    await assertComplete(c);
  });
});
