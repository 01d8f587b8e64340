/**
 * `sync` as a user runs it before a cutover (issue 11 §2, §4): migrate, the source keeps changing
 * (new points, deleted points, changed vectors, changed and removed payload keys, ids of the other
 * kind), `sync --job` repairs exactly that, `verify --full` then finds nothing and the target's ids
 * are the source's; a second pass changes nothing ("in sync at"). Also: a sync killed with SIGKILL
 * mid-pass resumes to the same end, and a sync while a writer changes the source ends, once the
 * writer stops, with a pass that changes nothing. Runs on the default target (Milvus Lite 3.2.2)
 * and on the leg named by Q2M_TARGET_ENGINE / MILVUS_URI; the source changes go through Qdrant's
 * REST API, so the test server and a real Qdrant alike.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realQdrantRequest } from '../../testkit/qdrant/real-seed.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { passSummaries } from '../../src/jobs/compare-job.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { allSourceIds, cli, freshDataDir, jobIdOf, readJob, removeDataDir, targetIds } from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;
/** One migration of every collection the tests sync (one CLI run instead of four). */
let jobId: string;
const c = { int: '', str: '', kill: '', live: '' };
before(async () => {
  h = await startHarness();
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
  c.int = await h.seed('basic', 300, { collection: h.name('sync_int') });
  c.str = await h.seed('overflow-ids', 120, { collection: h.name('sync_str') });
  c.kill = await h.seed('basic', 400, { collection: h.name('sync_kill') });
  c.live = await h.seed('basic', 300, { collection: h.name('sync_live') });
  const run = await cli(h, dataDir, ['migrate', '--collections', Object.values(c).join(','), '--yes', '--json']);
  assert.equal(run.code, 0, run.stderr);
  jobId = jobIdOf(run.stderr);
});
after(async () => {
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

interface PassCounts { compared: number; upserted: number; deleted: number; unchanged: number; rejected: number; missing: number; different: number }
interface SyncJson {
  jobId: string;
  kind: string;
  ok: boolean;
  inSyncAt: string | null;
  passes: Array<{ pass: number; clean: boolean; done: boolean; collections: Array<{ source: string; counts: PassCounts }> }>;
}
interface RestPoint { id: number | string | bigint; vector: number[]; payload: Record<string, unknown> }

const q = (collection: string, method: string, path: string, body?: unknown) =>
  realQdrantRequest(h.qdrantUrl, h.qdrantApiKey, method, `/collections/${encodeURIComponent(collection)}${path}`, body);
const upsert = (c: string, points: RestPoint[]) => q(c, 'PUT', '/points?wait=true', { points });
const remove = (c: string, ids: Array<number | string>) => q(c, 'POST', '/points/delete?wait=true', { points: ids });
async function points(c: string, ids: Array<number | string>): Promise<RestPoint[]> {
  const answer = (await q(c, 'POST', '/points', { ids, with_payload: true, with_vector: true })) as { result: RestPoint[] };
  return answer.result;
}
const vectorOf = (seed: number, dim: number) => Array.from({ length: dim }, (_, i) => Math.sin(seed * 31 + i) / Math.sqrt(dim));

/** `sync --job ID --json`: the exit code and the report. */
async function sync(extra: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; report: SyncJson; stderr: string }> {
  // Without --collections: the migration's job; with it, a plan from the flags (the other way in).
  const which = extra.includes('--collections') ? [] : ['--job', jobId];
  const run = await cli(h, dataDir, ['sync', ...which, '--json', ...extra], env);
  assert.ok(run.stdout.trim(), `sync printed no report (exit ${run.code ?? run.signal}):\n${run.stderr}`);
  return { code: run.code, report: JSON.parse(run.stdout) as SyncJson, stderr: run.stderr };
}

/** The counts of the last pass over one collection. */
const lastCounts = (r: SyncJson, source: string) => r.passes.at(-1)!.collections.find((x) => x.source === source)!.counts;

/**
 * verify --full (a verify-full job with the migration's plan) finds nothing in any collection, and
 * these collections hold exactly the source's ids (but those the plan rejects, listed).
 */
async function assertEqual(collections: Record<string, string[]>): Promise<void> {
  const v = await cli(h, dataDir, ['verify', '--full', '--job', jobId, '--json']);
  assert.equal(v.code, 0, `${v.stdout}\n${v.stderr}`);
  const report = JSON.parse(v.stdout) as { kind: string; passes: Array<{ collections: Array<{ source: string; counts: { compared: number; missing: number; extra: number; different: number } }> }> };
  assert.equal(report.kind, 'verify-full');
  for (const x of report.passes[0]!.collections) assert.deepEqual([x.source, x.counts.missing, x.counts.extra, x.counts.different], [x.source, 0, 0, 0]);
  for (const [c, rejected] of Object.entries(collections)) {
    assert.deepEqual(await targetIds(h, c), (await allSourceIds(h, c)).filter((id) => !rejected.includes(id)));
  }
}

describe('sync', () => {
  it('repairs new, deleted and changed points, Int64 and VarChar keys; the next pass changes nothing: in sync', async () => {
    const [p10, p11, p12] = await points(c.int, [10, 11, 12]);
    // A UUID in a collection planned with Int64 keys: the plan cannot hold it (rejected, logged by id).
    const uuid = '3f2b8c1e-0d4a-4c55-9a7e-1b2c3d4e5f60';
    await upsert(c.int, [
      { ...p10!, vector: vectorOf(10, 128) },
      { ...p11!, payload: { ...p11!.payload, category: 'changed-by-test' } },
      { ...p12!, payload: Object.fromEntries(Object.entries(p12!.payload).filter(([k]) => k !== 'category')) },
      ...[1001, 1002, 1003, 1004].map((id) => ({ id, vector: vectorOf(id, 128), payload: { name: `new-${id}` } })),
      { id: uuid, vector: vectorOf(7, 128), payload: {} },
    ]);
    await remove(c.int, [5, 6, 7]);
    // VarChar keys (ids above 2^63): an integer id and a UUID join, one point leaves.
    const scrolled = (await q(c.str, 'POST', '/points/scroll', { limit: 1, with_payload: false })) as { result: { points: Array<{ id: string }> } };
    await remove(c.str, [scrolled.result.points[0]!.id]);
    await upsert(c.str, [
      { id: 42, vector: vectorOf(42, 8), payload: { n: 'int id in a VarChar collection' } },
      { id: '00000000-0000-4000-8000-000000000042', vector: vectorOf(43, 8), payload: { n: 'uuid' } },
    ]);

    const first = await sync();
    assert.equal(first.code, 3, `a pass that changed the target exits 3:\n${first.stderr}`);
    assert.deepEqual(lastCounts(first.report, c.int), { compared: 301, upserted: 7, missing: 4, different: 3, deleted: 3, unchanged: 294, rejected: 1 });
    const store = JobStore.open({ dataDir });
    try {
      assert.deepEqual(store.errors(first.report.jobId).entries.map((e) => [e.pointId, e.code]), [[uuid, 'ID_UNFIT']]);
    } finally {
      store.close();
    }
    const str = lastCounts(first.report, c.str);
    assert.deepEqual([str.missing, str.deleted, str.different, str.unchanged], [2, 1, 0, 119]);
    await assertEqual({ [c.int]: [uuid], [c.str]: [] });

    const second = await sync();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.report.ok, true);
    assert.deepEqual(lastCounts(second.report, c.int), { compared: 301, upserted: 0, missing: 0, different: 0, deleted: 0, unchanged: 301, rejected: 1 });
    assert.ok(second.report.inSyncAt, 'the clean pass records when');
    // The migration's page shows it too, and `jobs show` lists the sync job's passes.
    assert.equal(readJob(dataDir, jobId).inSyncAt, second.report.inSyncAt);
    const shown = await cli(h, dataDir, ['jobs', 'show', second.report.jobId]);
    assert.match(shown.stdout, /sync of job j_\w+/);
    assert.match(shown.stdout, /in sync at \d{4}-/);
    assert.match(shown.stdout, /pass 1 .*no change/);
  });

  it('killed with SIGKILL mid-pass, `jobs resume` finishes the pass from its checkpoint', async () => {
    const changed = await points(c.kill, Array.from({ length: 40 }, (_, i) => 100 + i * 5));
    await upsert(c.kill, [
      ...changed.map((p) => ({ ...p, payload: { ...p.payload, rank: -1 } })),
      ...Array.from({ length: 30 }, (_, i) => ({ id: 2000 + i, vector: vectorOf(i, 128), payload: {} })),
    ]);
    await remove(c.kill, Array.from({ length: 20 }, (_, i) => 301 + i));

    const killed = await cli(h, dataDir, ['sync', '--job', jobId, '--page-size', '25', '--json'], { QDRANT2MILVUS_CRASH_AT: `checkpoint:${c.kill}:4` });
    assert.equal(killed.signal, 'SIGKILL', `exit ${killed.code}\n${killed.stderr}`);
    const syncId = jobIdOf(killed.stderr);
    const store = JobStore.open({ dataDir });
    try {
      store.recoverOrphans();
      assert.equal(store.get(syncId).status, 'FAILED');
      const pass = passSummaries(store, syncId)[0]!;
      assert.equal(pass.done, false);
      // Repairs of several steps go out together and the checkpoint follows their ack: mid-pass, on a step's end.
      const saved = (pass.collections.find((x) => x.source === c.kill)!.counts as PassCounts).compared;
      assert.ok(saved > 75 && saved < 410 && saved % 25 === 0, `the checkpoint was saved after repairs, mid-pass, on a step's end (${saved} compared)`);
    } finally {
      store.close();
    }
    const resumed = await cli(h, dataDir, ['jobs', 'resume', syncId, '--json']);
    assert.equal(resumed.code, 3, resumed.stderr);
    // Every change counted once: the steps before the checkpoint are not redone, none after it skipped.
    assert.deepEqual(lastCounts(JSON.parse(resumed.stdout) as SyncJson, c.kill), { compared: 410, upserted: 70, missing: 30, different: 40, deleted: 20, unchanged: 340, rejected: 0 });
    // Content is proved with every other collection by the last test's verify --full.
    assert.deepEqual(await targetIds(h, c.kill), await allSourceIds(h, c.kill));
  });

  it('while a writer changes the source, passes keep up; once it stops, a pass changes nothing', async () => {
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const id = 1 + ((i * 37) % 400);
        if (i % 3 === 2) await remove(c.live, [id]);
        else await upsert(c.live, [{ id, vector: vectorOf(i, 128), payload: { name: `live-${i}` } }]);
        writes++;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    try {
      const during = await sync();
      assert.ok(during.code === 0 || during.code === 3, during.stderr);
      assert.ok(writes > 0, 'the writer wrote during the pass');
    } finally {
      stop = true;
      await writer;
    }
    const quiet = await sync(['--collections', c.live, '--max-passes', '3']);
    assert.equal(quiet.code, 0, quiet.stderr);
    const last = quiet.report.passes.at(-1)!;
    assert.deepEqual([last.clean, lastCounts(quiet.report, c.live).upserted, lastCounts(quiet.report, c.live).deleted], [true, 0, 0]);
    await assertEqual({ [c.live]: [] });
  });
});
