/**
 * Aliases through the real CLI (issue 11 item 3): the source's aliases are created on the target
 * after the data is verified; an alias that already points at another target collection stops the
 * job before any data moves (and `--alias-conflict move` repoints it); `--switch-alias` repoints an
 * existing alias at the new collection as the last step; `--no-aliases` creates none.
 *
 * What each engine does with aliases was probed by hand (SDK 3.0.6) and is restated here,
 * independently of the product: Milvus Lite 3.2.2 and Milvus 2.3.5 have the alias RPCs; Milvus
 * Lite 2.5.1 answers UNIMPLEMENTED to all of them. On that engine the test checks that the plan
 * says so (a warning; an error for --switch-alias) instead of pretending.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, promisify } from '@zilliz/milvus2-sdk-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/api/app.ts';
import type { PlanView } from '../../src/api/schemas/responses.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { startHarness, type CliResult, type Harness } from '../helpers/harness.ts';

const targetEngine = process.env.Q2M_TARGET_ENGINE ?? (process.env.MILVUS_URI ? undefined : 'lite3');
const hasAliases = targetEngine !== 'lite25';

let h: Harness;
before(async () => {
  h = await startHarness();
  console.log(`# ${h.describe()}`);
});
after(async () => h?.stop());

/** Qdrant's REST alias API works the same on the test server and on a real Qdrant. */
async function qdrantAlias(alias: string, collection: string): Promise<void> {
  const res = await fetch(`${h.qdrantUrl}/collections/aliases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(h.qdrantApiKey ? { 'api-key': h.qdrantApiKey } : {}) },
    body: JSON.stringify({ actions: [{ create_alias: { alias_name: alias, collection_name: collection } }] }),
  });
  assert.equal(res.status, 200, `creating Qdrant alias ${alias}: ${await res.text()}`);
}

/** The collection a target alias points at, read with the raw RPC; undefined when there is none. */
async function targetAlias(alias: string): Promise<string | undefined> {
  const res = (await promisify(h.milvus.channelPool, 'DescribeAlias', { db_name: h.milvusDb, alias }, 30_000)) as {
    status?: { code?: number; error_code?: string };
    collection?: string;
  };
  const failed = res.status?.code !== 0 || res.status?.error_code !== 'Success';
  return failed ? undefined : res.collection || undefined;
}

/** An existing target collection with an alias on it: what applications query today. */
async function oldTargetWithAlias(collection: string, alias: string): Promise<void> {
  await h.milvus.createCollection({
    collection_name: collection,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 4 },
    ],
  });
  const res = await h.milvus.createAlias({ collection_name: collection, alias });
  assert.equal(res.error_code, 'Success', JSON.stringify(res));
  assert.equal(await targetAlias(alias), collection);
}

async function targetCollections(): Promise<string[]> {
  return (await h.milvus.showCollections()).data.map((c) => c.name);
}

function json(result: CliResult): { ok: boolean; collections: Array<{ target: string; aliases?: Array<{ name: string; action: string; from?: string }> }>; switched?: Array<{ name: string; action: string; from?: string }> } {
  assert.ok(result.stdout.trim().startsWith('{'), `expected a JSON report, got:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe('aliases', { concurrency: false }, () => {
  it("creates the source collection's aliases on the target after the data verified", async () => {
    const source = await h.seed('basic', 40, { collection: 'al_docs' });
    await qdrantAlias('docs-live', source);
    await qdrantAlias('docs_v1', source);
    const res = await h.cli(['migrate', '--collections', source, '--yes', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const report = json(res);
    const target = report.collections[0]!.target;
    assert.match(res.stderr, /ALIAS_RENAMED.*"docs-live" becomes Milvus alias "docs_live"/);
    if (!hasAliases) {
      assert.match(res.stderr, /ALIASES_UNSUPPORTED/);
      assert.deepEqual(report.collections[0]!.aliases ?? [], []);
      return;
    }
    assert.deepEqual(report.collections[0]!.aliases, [{ name: 'docs_live', action: 'created' }, { name: 'docs_v1', action: 'created' }]);
    assert.equal(await targetAlias('docs_live'), target);
    assert.equal(await targetAlias('docs_v1'), target);
    // Queries through the alias reach the migrated data.
    const counted = await h.milvus.count({ collection_name: 'docs_v1' });
    assert.equal(counted.data, 40);
  });

  it('refuses an alias that points at another target collection before any data moves; --alias-conflict move repoints it', async (t) => {
    if (!hasAliases) return t.skip(`${targetEngine} has no aliases: no alias can exist on it`);
    await oldTargetWithAlias('al_other', 'shared');
    const source = await h.seed('basic', 30, { collection: 'al_conflict' });
    await qdrantAlias('shared', source);
    const refused = await h.cli(['migrate', '--collections', source, '--yes', '--json']);
    assert.notEqual(refused.code, 0, 'the conflict must stop the job');
    assert.match(refused.stderr, /ALIAS_EXISTS.*Alias "shared" already points at target collection "al_other"/);
    assert.match(refused.stderr, /--alias-conflict move/);
    assert.ok(!(await targetCollections()).includes(source), 'nothing was created, no data moved');
    assert.equal(await targetAlias('shared'), 'al_other', 'the alias was left alone');

    const moved = await h.cli(['migrate', '--collections', source, '--yes', '--json', '--alias-conflict', 'move']);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(json(moved).collections[0]!.aliases, [{ name: 'shared', action: 'moved', from: 'al_other' }]);
    assert.equal(await targetAlias('shared'), source);
  });

  it('--switch-alias repoints an existing alias from the old collection to the new one as the last step', async (t) => {
    const source = await h.seed('basic', 30, { collection: 'al_v2' });
    if (!hasAliases) {
      const res = await h.cli(['migrate', '--collections', source, '--yes', '--json', '--switch-alias', 'prod']);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /SWITCH_ALIAS_UNSUPPORTED/);
      assert.ok(!(await targetCollections()).includes(source), 'refused before any data moved');
      t.diagnostic(`${targetEngine} has no aliases: checked that --switch-alias is refused at plan time`);
      return;
    }
    await oldTargetWithAlias('al_v1', 'prod');
    const missing = await h.cli(['migrate', '--collections', source, '--yes', '--json', '--switch-alias', 'no_such_alias']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /SWITCH_ALIAS_NOT_FOUND.*no_such_alias/);
    assert.ok(!(await targetCollections()).includes(source), 'refused before any data moved');

    const res = await h.cli(['migrate', '--collections', source, '--yes', '--json', '--switch-alias', `prod=${source}`]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /ALIAS_SWITCH.*"prod" will be repointed from "al_v1" to "al_v2"/);
    assert.deepEqual(json(res).switched, [{ name: 'prod', action: 'moved', from: 'al_v1' }]);
    assert.equal(await targetAlias('prod'), source, 'describeAlias shows the new collection');
    assert.equal((await h.milvus.count({ collection_name: 'prod' })).data, 30);
  });

  it('a re-run with --if-exists drop brings the aliases of the dropped collection back once verified', async (t) => {
    if (!hasAliases) return t.skip(`${targetEngine} has no aliases`);
    const res = await h.cli(['migrate', '--collections', 'al_docs', '--yes', '--json', '--if-exists', 'drop', '--no-aliases']);
    assert.match(res.stderr, /ALIASES_ON_DROPPED.*"docs_live", "docs_v1"/);
    assert.match(res.stderr, /--no-aliases: they are not recreated/);
    assert.equal(res.code, 0, res.stderr);
    // Milvus 2.3.5 and Lite 3.2.2 drop a collection's aliases with it (probed).
    assert.equal(await targetAlias('docs_live'), undefined);
    // On Milvus 2.3.5 this name is still bound to the dropped collection (CreateAlias answers 1602);
    // AlterAlias rebinds it, as the product does.
    const relinked = await h.milvus.createAlias({ collection_name: 'al_docs', alias: 'docs_live' });
    if (relinked.error_code !== 'Success') assert.equal((await h.milvus.alterAlias({ collection_name: 'al_docs', alias: 'docs_live' })).error_code, 'Success');
    assert.equal(await targetAlias('docs_live'), 'al_docs');
    const again = await h.cli(['migrate', '--collections', 'al_docs', '--yes', '--json', '--if-exists', 'drop']);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stderr, /ALIASES_ON_DROPPED/);
    assert.equal(await targetAlias('docs_live'), 'al_docs');
    assert.equal(await targetAlias('docs_v1'), 'al_docs');
  });

  it('--no-aliases creates none', async () => {
    const source = await h.seed('basic', 20, { collection: 'al_plain' });
    await qdrantAlias('plain_alias', source);
    const res = await h.cli(['migrate', '--collections', source, '--yes', '--json', '--no-aliases']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(json(res).collections[0]!.aliases ?? [], []);
    assert.doesNotMatch(res.stderr, /ALIAS/);
    assert.equal(await targetAlias('plain_alias'), undefined);
  });
});

describe('aliases through the API and the job engine', { concurrency: false }, () => {
  let store: JobStore;
  let engine: JobEngine;
  let api: ApiClient;
  before(() => {
    store = JobStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'q2m-aliases-')) });
    engine = new JobEngine(store, { syncEveryMs: 200 });
    api = new ApiClient(createApp({ engine, store, hub: { pollMs: 200, throttleMs: 50 } }));
  });
  after(() => store?.close());
  const source = () => ({ url: h.qdrantUrl, ...(h.qdrantApiKey !== undefined && { apiKey: h.qdrantApiKey }) });
  const target = () => ({ uri: h.milvusUri, ...(h.milvusToken !== undefined && { token: h.milvusToken }), database: h.milvusDb });

  it('POST /api/plan lists each collection\'s aliases (in the documented shape); aliases: false lists none', async () => {
    const name = await h.seed('basic', 10, { collection: 'al_api' });
    await qdrantAlias('api-alias', name);
    const plain = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [name] });
    assert.equal(plain.status, 200, plain.text);
    assert.deepEqual(plain.json.plan.collections[0]!.aliases, hasAliases ? [{ name: 'api_alias', source: 'api-alias', onConflict: 'fail' }] : []);
    const none = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [name], aliases: false });
    assert.deepEqual(none.json.plan.collections[0]!.aliases, []);
    const sw = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [name], switchAliases: [{ alias: 'nowhere' }] });
    assert.ok(sw.json.problems.some((p) => p.code === (hasAliases ? 'SWITCH_ALIAS_NOT_FOUND' : 'SWITCH_ALIAS_UNSUPPORTED')), JSON.stringify(sw.json.problems));
  });

  it('an alias step that fails fails the job with the reason, and a resume finishes it without copying twice', async (t) => {
    if (!hasAliases) return t.skip(`${targetEngine} has no aliases`);
    const name = await h.seed('basic', 30, { collection: 'al_resume' });
    await qdrantAlias('resume_alias', name);
    const preview = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [name] });
    assert.deepEqual(preview.json.problems.filter((p) => p.severity === 'error'), []);
    // After the plan was checked, someone points the alias elsewhere: only the alias step can notice.
    await oldTargetWithAlias('al_resume_other', 'resume_alias');
    const job = engine.create({ source: source(), target: target(), plan: preview.json.plan, options: { sourceTransport: 'rest' } });
    await engine.run(job.id);
    const failed = store.get(job.id);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error?.code, 'ALIAS_EXISTS');
    assert.match(failed.error!.message, /Alias "resume_alias" points at "al_resume_other"/);
    assert.equal((await h.milvus.count({ collection_name: name })).data, 30, 'the data itself is in place');

    await h.milvus.dropAlias({ alias: 'resume_alias' });
    await engine.run(job.id);
    assert.equal(store.get(job.id).status, 'SUCCESSFUL', JSON.stringify(store.get(job.id).error));
    assert.equal(await targetAlias('resume_alias'), name);
    assert.equal((await h.milvus.count({ collection_name: name })).data, 30, 'nothing written twice');
    const ids = await h.milvus.query({ collection_name: name, filter: 'id >= 0', output_fields: ['id'], limit: 100 });
    assert.equal(new Set(ids.data.map((r) => String(r.id))).size, 30);
  });

  it('a switch that fails as the last step fails the job after every collection verified; a resume only switches', async (t) => {
    if (!hasAliases) return t.skip(`${targetEngine} has no aliases`);
    const name = await h.seed('basic', 25, { collection: 'al_cutover' });
    await oldTargetWithAlias('al_cutover_old', 'cutover');
    const preview = await api.post<PlanView>('/api/plan', { source: source(), target: target(), collections: [name], switchAliases: [{ alias: 'cutover' }] });
    assert.deepEqual(preview.json.problems.filter((p) => p.severity === 'error'), []);
    // The alias disappears after the plan was checked: the switch, and only the switch, fails.
    await h.milvus.dropAlias({ alias: 'cutover' });
    const job = engine.create({ source: source(), target: target(), plan: preview.json.plan, options: { sourceTransport: 'rest' } });
    await engine.run(job.id);
    const failed = store.get(job.id);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error?.code, 'ALIAS_NOT_FOUND');
    assert.equal(failed.collections[0]!.status, 'SUCCESSFUL', 'the data was verified before the switch');

    await h.milvus.createAlias({ collection_name: 'al_cutover_old', alias: 'cutover' });
    const report = await engine.run(job.id);
    assert.equal(store.get(job.id).status, 'SUCCESSFUL', JSON.stringify(store.get(job.id).error));
    assert.deepEqual(report.collections, [], 'nothing copied again');
    assert.deepEqual(report.switched, [{ name: 'cutover', action: 'moved', from: 'al_cutover_old' }]);
    assert.equal(await targetAlias('cutover'), name);
  });
});
