/**
 * Promoted payload keys through the CLI a user runs, checked by `verify --full`: `plan -o`, the
 * plan file edited to promote keys of every type the target holds (one with the `null` policy, so
 * misfit values go to `<key>__raw`; keys that are absent or null on some points), `migrate --plan`,
 * then `verify --plan --full` compares every point (typed fields and the `$meta` the byte path
 * wrote, src/mapping/rows.ts) and must find no difference. Then a typed value changed behind the
 * tool's back is found. Source: the `payload` dataset (testkit/datasets/payload.ts) on the test
 * server, or real Qdrant 1.19 with Q2M_SOURCE=real; target per Q2M_TARGET_ENGINE (Lite 3 default).
 * Targets without nullable scalar fields promote nothing (plan refuses it: payload-fields.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsistencyLevelEnum } from '@zilliz/milvus2-sdk-node';
import type { JsonObject } from '../../src/core/types.ts';
import { dataset } from '../../testkit/datasets/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const POINTS = 1500;

let h: Harness;
before(async () => {
  h = await startHarness();
  console.log(`# ${h.describe()}`);
});
after(async () => h?.stop());

/** Read over gRPC, where the transcoder writes `$meta` (a real Qdrant's port reaches the CLI through the harness's environment). */
const grpc = () => (h.testServer?.grpcPort ? ['--source-grpc-port', String(h.testServer.grpcPort)] : []);

interface Kinds { compared: number; missing: number; extra: number; different: number; first: Record<string, Array<{ id: string; what: string; detail: string }>> }
interface PlanFile { collections: Array<{ target: string; payload?: Array<{ key: string; mode: string; field?: Record<string, unknown> }> }> }

async function verifyFull(file: string): Promise<{ code: number; full: Kinds }> {
  const r = await h.cli(['verify', '--plan', file, '--full', '--json', ...grpc()]);
  assert.ok(r.code === 0 || r.code === 1, `verify --full exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return { code: r.code, full: (JSON.parse(r.stdout) as { collections: Array<{ full: Kinds }> }).collections[0]!.full };
}

/** Keys promoted, with the field edits a user would make (types are the plan's proposal). */
const PROMOTE: Record<string, Record<string, unknown>> = {
  count: {}, price: {}, in_stock: {}, created_at: {}, location: {}, tags: {}, ranks: {},
  // An integer, but a string or a float on some points: those go to mixed__raw.
  mixed: { type: 'Int64', onMismatch: 'null' },
  // On even points only, and null on every 4th: absent and null keys both give a null field.
  half: {}, maybe_null: { type: 'VarChar', maxLength: 64 },
};

describe('promoted payload keys, verified in full', () => {
  it('migrate --plan with keys promoted; verify --full finds 0 differences, then a changed typed value', async (t) => {
    const caps = await h.capabilities();
    if (!caps.scalar?.nullable) return t.skip(`${h.targetEngine ?? 'the target'} has no nullable scalar fields: plan refuses promotion there (payload-fields.test.ts)`);
    const name = await h.seed('payload', POINTS, { collection: h.name('pf_full') });
    const dir = await mkdtemp(join(tmpdir(), 'q2m-plan-'));
    const file = join(dir, 'plan.json');
    const planned = await h.cli(['plan', '--collections', name, '--payload-sample', String(POINTS), '-o', file]);
    assert.equal(planned.code, 0, planned.stderr);
    const plan = JSON.parse(await readFile(file, 'utf8')) as PlanFile;
    const c = plan.collections[0]!;
    for (const [key, edit] of Object.entries(PROMOTE)) {
      const k = c.payload?.find((p) => p.key === key);
      assert.ok(k, `the plan lists payload key ${key}`);
      k.mode = 'field';
      k.field = { ...k.field, ...edit };
    }
    await writeFile(file, JSON.stringify(plan));
    const migrated = await h.cli(['migrate', '--plan', file, '--yes', '--json', ...grpc()]);
    assert.equal(migrated.code, 0, `${migrated.stdout}\n${migrated.stderr}`);
    const report = (JSON.parse(migrated.stdout) as { collections: Array<{ targetCount: number; rejectedCount: number; mismatchNulled: number }> }).collections[0]!;
    const payloads = new Map<number, JsonObject>();
    for (const p of dataset('payload', POINTS).points()) payloads.set(Number(p.id), (p.payload ?? {}) as JsonObject);
    const misfits = [...payloads].filter(([, p]) => 'mixed' in p && !Number.isInteger(p.mixed)).map(([id]) => id);
    assert.deepEqual([report.targetCount, report.rejectedCount, report.mismatchNulled], [POINTS, 0, misfits.length]);

    // The same file, as `plan -o` wrote it: its `"ifExists": "fail"` is for migrate, and verify
    // (which never creates or drops) must not refuse the target it checks as existing.
    assert.equal((c as { ifExists?: string }).ifExists, 'fail');
    const clean = await verifyFull(file);
    assert.equal(clean.code, 0, JSON.stringify(clean.full.first));
    assert.deepEqual([clean.full.compared, clean.full.missing, clean.full.extra, clean.full.different], [POINTS, 0, 0, 0]);

    // What the target holds: typed values, promoted keys out of $meta, misfits as mixed__raw.
    const [misfit] = misfits;
    const res = await h.milvus.query({ collection_name: c.target, filter: `id in [2, ${misfit}]`, output_fields: ['$meta', 'count', 'half', 'mixed'], consistency_level: ConsistencyLevelEnum.Strong });
    const byId = new Map(res.data.map((r) => [Number(r.id), r as Record<string, unknown>]));
    const two = byId.get(2)!;
    assert.equal(Number(two.count), payloads.get(2)!.count);
    assert.equal(two.half, null, 'point 2 (i = 1) has no `half`');
    const meta = two.$meta as Record<string, unknown>;
    for (const key of Object.keys(PROMOTE)) assert.equal(key in meta, false, `${key} left $meta`);
    assert.equal(meta.category, payloads.get(2)!.category, 'the other keys stay');
    assert.equal(byId.get(misfit!)!.mixed, null);
    assert.equal((byId.get(misfit!)!.$meta as Record<string, unknown>).mixed__raw, payloads.get(misfit!)!.mixed);

    // A typed value changed behind the tool's back is found (the compare reads the typed fields).
    const [whole] = (await h.milvus.query({ collection_name: c.target, filter: 'id in [2]', output_fields: ['*'], consistency_level: ConsistencyLevelEnum.Strong })).data as Array<Record<string, unknown>>;
    await h.milvus.upsert({ collection_name: c.target, data: [{ ...whole, count: Number(whole!.count) + 1 }] });
    const changed = await verifyFull(file);
    assert.equal(changed.code, 1);
    assert.deepEqual([changed.full.missing, changed.full.extra, changed.full.different], [0, 0, 1]);
    assert.equal(changed.full.first.different![0]!.id, '2');
  });
});
