/**
 * `verify --full` as a user runs it after `migrate` (issue 11 item 1): an untouched copy verifies
 * (exit 0); a target changed behind the tool's back (a row deleted, a vector altered, a payload key
 * altered, a row added) reports exactly those ids, by kind, with what differs (exit 1). Int64 keys
 * (the ordered merge) and VarChar keys (fetch by page + id scan) both. Runs on the default target
 * (Milvus Lite 3.2.2) and on the leg named by Q2M_TARGET_ENGINE / MILVUS_URI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ConsistencyLevelEnum } from '@zilliz/milvus2-sdk-node';
import { cliBin } from '../helpers/cli-bin.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
  console.log(`# ${h.describe()}`);
});
after(async () => h?.stop());

interface Kinds {
  compared: number;
  missing: number;
  extra: number;
  different: number;
  first: Record<'missing' | 'extra' | 'different', Array<{ id: string; what: string; detail: string }>>;
}
interface VerifyJson {
  ok: boolean;
  collections: Array<{ countsMatch: boolean; full: Kinds }>;
}

async function verifyFull(name: string): Promise<{ code: number; full: Kinds; ok: boolean; stderr: string }> {
  const r = await h.cli(['verify', '--collections', name, '--full', '--json']);
  assert.ok(r.code === 0 || r.code === 1, `verify --full exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  assert.ok(r.stdout.trim(), `verify --full printed no report (exit ${r.code}):\n${r.stderr}`);
  const v = JSON.parse(r.stdout) as VerifyJson;
  return { code: r.code, full: v.collections[0]!.full, ok: v.ok, stderr: r.stderr };
}

async function rowsOf(collection: string, filter: string): Promise<Array<Record<string, unknown>>> {
  const res = await h.milvus.query({ collection_name: collection, filter, output_fields: ['*'], consistency_level: ConsistencyLevelEnum.Strong });
  return res.data as Array<Record<string, unknown>>;
}

describe('verify --full', () => {
  it('Int64 keys: exit 0 on an untouched copy; then exactly the deleted, altered and added rows', async () => {
    const name = await h.seed('basic', 1200, { collection: h.name('vfull_int') });
    const migrated = await h.cli(['migrate', '--collections', name, '--yes', '--json']);
    assert.equal(migrated.code, 0, migrated.stderr);

    const clean = await verifyFull(name);
    assert.equal(clean.code, 0, JSON.stringify(clean.full));
    assert.deepEqual([clean.full.compared, clean.full.missing, clean.full.extra, clean.full.different], [1200, 0, 0, 0]);

    // Behind the tool's back: delete 7, alter 11's vector, alter 13's payload, add -3 (below the
    // first source id: the first target range has no lower bound) and 5000 (past the last).
    const [r11, r13] = await rowsOf(name, 'id in [11, 13]');
    assert.ok(r11 && r13);
    const v11 = [...(r11.vector as number[])];
    v11[3] = v11[3]! + 0.25;
    await h.milvus.upsert({ collection_name: name, data: [{ ...r11, vector: v11 }, { ...r13, category: 'changed-by-test' }] });
    await h.milvus.insert({ collection_name: name, data: [{ ...r13, id: -3 }, { ...r13, id: 5000 }] });
    await h.milvus.delete({ collection_name: name, filter: 'id in [7]' });

    const changed = await verifyFull(name);
    assert.equal(changed.code, 1);
    assert.equal(changed.ok, false);
    const f = changed.full;
    assert.deepEqual([f.compared, f.missing, f.extra, f.different], [1200, 1, 2, 2]);
    assert.deepEqual(f.first.missing.map((m) => m.id), ['7']);
    assert.deepEqual(f.first.extra.map((m) => [m.id, m.detail]), [['-3', 'not in the source'], ['5000', 'not in the source']]);
    assert.deepEqual(f.first.different.map((m) => [m.id, m.what]), [['11', 'vector:vector'], ['13', 'payload']]);
    assert.match(f.first.different[0]!.detail, /value \[3\]/);
    assert.match(f.first.different[1]!.detail, /\$\.category: expected .* found "changed-by-test"/);

    const human = await h.cli(['verify', '--collections', name, '--full']);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /1200 points compared .*: 1 missing, 2 extra, 2 different/);
    assert.match(human.stdout, /7 missing: not found/);
  });

  it('VarChar keys (ids above 2^63): an untouched copy verifies; a deleted row and an added one are found', async () => {
    const name = await h.seed('overflow-ids', 300, { collection: h.name('vfull_str') });
    const migrated = await h.cli(['migrate', '--collections', name, '--yes', '--json']);
    assert.equal(migrated.code, 0, migrated.stderr);
    const clean = await verifyFull(name);
    assert.equal(clean.code, 0, JSON.stringify(clean.full));
    assert.deepEqual([clean.full.compared, clean.full.missing, clean.full.extra, clean.full.different], [300, 0, 0, 0]);

    const [victim] = await rowsOf(name, 'id != "x"');
    assert.ok(victim);
    const id = String(victim.id);
    await h.milvus.delete({ collection_name: name, filter: `id in ["${id}"]` });
    await h.milvus.insert({ collection_name: name, data: [{ ...victim, id: 'not-a-qdrant-id' }, { ...victim, id: '12' }] });

    const changed = await verifyFull(name);
    assert.equal(changed.code, 1);
    assert.deepEqual([changed.full.missing, changed.full.extra, changed.full.different], [1, 2, 0]);
    assert.deepEqual(changed.full.first.missing.map((m) => m.id), [id]);
    assert.deepEqual(changed.full.first.extra.map((m) => m.id).sort(), ['12', 'not-a-qdrant-id']);
  });

  it('Ctrl-C stops it: exit 130, says nothing was changed, prints no verdict', async () => {
    const name = await h.seed('basic', 6000, { collection: h.name('vfull_cancel') });
    const migrated = await h.cli(['migrate', '--collections', name, '--yes', '--json']);
    assert.equal(migrated.code, 0, migrated.stderr);
    const env: NodeJS.ProcessEnv = { ...process.env, QDRANT_URL: h.qdrantUrl, MILVUS_URI: h.milvusUri, MILVUS_DB: h.milvusDb };
    if (h.qdrantApiKey) env.QDRANT_API_KEY = h.qdrantApiKey;
    if (h.milvusToken) env.MILVUS_TOKEN = h.milvusToken;
    const child = spawn(process.execPath, [cliBin, 'verify', '--collections', name, '--full'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Interrupt once, as soon as the comparison has started (a second Ctrl-C would quit at once).
      if (!interrupted && /comparing 6,000 points/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 130, `stdout:\n${stdout}\nstderr:\n${stderr}`);
    assert.match(stderr, /SIGINT: stopping verify --full/);
    assert.match(stderr, /cancelled by SIGINT: nothing was changed/);
    assert.doesNotMatch(stdout, /Verified|FAILED/);
  });
});
