/**
 * What a user of the CLI notices beyond single datasets: several collections in one run,
 * --if-exists, re-running without duplicates, empty collections, an API-key protected source,
 * edited plans, and clear errors that never print a secret.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsistencyLevelEnum } from '@zilliz/milvus2-sdk-node';
import { startHarness, type Harness } from '../helpers/harness.ts';

const API_KEY = 'secret-source-key-7f3a9c';
let h: Harness;

before(async () => {
  h = await startHarness({ apiKey: API_KEY });
  console.log(`# ${h.describe()}`);
});
after(async () => h?.stop());

async function targetIds(collection: string): Promise<string[]> {
  await h.milvus.loadCollection({ collection_name: collection }).catch(() => undefined);
  const res = await h.milvus.query({ collection_name: collection, filter: '', output_fields: ['id'], limit: 16384, consistency_level: ConsistencyLevelEnum.Strong });
  return res.data.map((r) => String(r.id)).sort();
}

describe('migrate', () => {
  it('moves several collections in one run, each verified', async () => {
    const a = await h.seed('basic', 120, { collection: h.name('multi_a') });
    const b = await h.seed('ref768', 80, { collection: h.name('multi_b') });
    const res = await h.cli(['migrate', '--collections', `${a},${b}`, '--yes', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout) as { ok: boolean; collections: Array<{ source: string; targetCount: number; verified: boolean }> };
    assert.deepEqual(report.collections.map((c) => [c.source, c.targetCount, c.verified]), [[a, 120, true], [b, 80, true]]);
  });

  it('refuses an existing target unless --if-exists says append or drop; a re-run never duplicates', async () => {
    const name = await h.seed('basic', 150, { collection: h.name('rerun') });
    const first = await h.cli(['migrate', '--collections', name, '--yes', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const idsBefore = await targetIds(name);
    assert.equal(idsBefore.length, 150);

    const refused = await h.cli(['migrate', '--collections', name, '--yes']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /TARGET_EXISTS/);
    assert.match(refused.stderr, /--if-exists/);

    const appended = await h.cli(['migrate', '--collections', name, '--yes', '--json', '--if-exists', 'append']);
    assert.equal(appended.code, 0, appended.stderr);
    assert.deepEqual(await targetIds(name), idsBefore, 'the same ids, none twice');

    const dropped = await h.cli(['migrate', '--collections', name, '--yes', '--json', '--if-exists', 'drop']);
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.deepEqual(await targetIds(name), idsBefore);
  });

  it('migrates an empty collection to an empty target', async () => {
    const name = await h.seed('basic', 0, { collection: h.name('empty') });
    const res = await h.cli(['migrate', '--collections', name, '--yes', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const c = (JSON.parse(res.stdout) as { collections: Array<{ sourceCount: number; targetCount: number; verified: boolean }> }).collections[0]!;
    assert.deepEqual([c.sourceCount, c.targetCount, c.verified], [0, 0, true]);
  });

  it('applies an edited plan: target name, description and field names', async () => {
    const name = await h.seed('basic', 50, { collection: h.name('edited') });
    const dir = await mkdtemp(join(tmpdir(), 'q2m-plan-'));
    const file = join(dir, 'plan.json');
    const planned = await h.cli(['plan', '--collections', name, '-o', file]);
    assert.equal(planned.code, 0, planned.stderr);
    // Both write modes are estimated before anything moves (issue 14): 50 points, upsert recommended.
    assert.match(planned.stdout, new RegExp(`${name}: 50 points; upsert ~\\d+ s; bulk ~[\\d.]+ MB in 1 import file`));
    const plan = JSON.parse(await readFile(file, 'utf8')) as {
      collections: Array<{ target: string; description: string; primaryKey: { field: string }; vectors: Array<{ field: string }> }>;
    };
    const c = plan.collections[0]!;
    c.target = h.name('renamed_target');
    c.description = 'migrated from Qdrant';
    c.primaryKey.field = 'pk';
    c.vectors[0]!.field = 'embedding';
    await writeFile(file, JSON.stringify(plan));
    const res = await h.cli(['migrate', '--plan', file, '--yes', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const described = await h.milvus.describeCollection({ collection_name: c.target });
    assert.deepEqual(described.schema.fields.map((f) => f.name).sort(), ['embedding', 'pk']);
  });

  it('re-validates an edited plan: an invalid field name is refused before any data moves', async () => {
    const name = await h.seed('basic', 10, { collection: h.name('badedit') });
    const dir = await mkdtemp(join(tmpdir(), 'q2m-plan-'));
    const file = join(dir, 'plan.json');
    await h.cli(['plan', '--collections', name, '-o', file]);
    const plan = JSON.parse(await readFile(file, 'utf8')) as { collections: Array<{ vectors: Array<{ field: string }> }> };
    plan.collections[0]!.vectors[0]!.field = '9 bad-name';
    await writeFile(file, JSON.stringify(plan));
    const res = await h.cli(['migrate', '--plan', file, '--yes']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /INVALID_NAME/);
    const { data } = await h.milvus.listCollections();
    assert.equal(data.some((x) => x.name === name), false);
  });
});

describe('connections and secrets', () => {
  it('inspect lists collections with counts, vectors and id kinds', async () => {
    const name = await h.seed('overflow-ids', 30, { collection: h.name('inspect_ids') });
    const res = await h.cli(['inspect', '--collections', name, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { collections: Array<{ name: string; pointsCount: number; idKinds: { intAbove63: boolean }; migratable: boolean }> };
    assert.deepEqual(out.collections.map((c) => [c.name, c.pointsCount, c.idKinds.intAbove63, c.migratable]), [[name, 30, true, true]]);
  });

  it('a wrong API key is a clear 401 config error that does not print the key', async () => {
    const res = await h.cli(['inspect'], { QDRANT_API_KEY: 'wrong-key-123456' });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /401|API key/i);
    assert.doesNotMatch(res.stderr + res.stdout, /wrong-key-123456/);
  });

  it('a missing API key is refused the same way', async () => {
    const res = await h.cli(['inspect'], { QDRANT_API_KEY: undefined });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /API key/i);
  });

  it('an unreachable source names the URL and the fix', async () => {
    const res = await h.cli(['inspect', '--source-url', 'http://127.0.0.1:1']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /127\.0\.0\.1:1/);
    assert.match(res.stderr, /fix:/);
  });

  it('an unreachable target fails before any data moves', async () => {
    const name = await h.seed('basic', 10, { collection: h.name('notarget') });
    const res = await h.cli(['migrate', '--collections', name, '--yes', '--target-uri', 'http://127.0.0.1:1']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /127\.0\.0\.1:1/);
  });

  it('never prints the source API key, whatever the command', async () => {
    const name = await h.seed('basic', 20, { collection: h.name('secrets') });
    for (const args of [['inspect'], ['plan', '--collections', name], ['migrate', '--collections', name, '--yes'], ['verify', '--collections', name]]) {
      const res = await h.cli(args);
      assert.doesNotMatch(res.stdout + res.stderr, new RegExp(API_KEY), `${args[0]} printed the key`);
    }
  });

  it('an unknown collection is refused, listing the available ones', async () => {
    const res = await h.cli(['plan', '--collections', 'no_such_collection']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /no_such_collection/);
    assert.match(res.stderr, /Pick from/);
  });
});
