/**
 * Issue 13: on a target without nullable vectors that takes empty sparse rows (Milvus Lite 2.5,
 * Milvus >= 2.4.12), a point lacking only its sparse vector is written with an empty one instead of
 * being skipped. Of the 500 `rich` points, 157 lack a vector: 100 lack the dense `image` (still
 * skipped with --missing-vector skip) and 57 lack only the sparse `keywords` (now kept). verify,
 * in the migration and standalone, treats the empty sparse vector as the absent one it stands for.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan } from '../../src/core/planning.ts';
import type { CollectionPlan } from '../../src/core/types.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { cli, cliJson, freshDataDir, removeDataDir, sourceIds, targetIds, type ReportJson } from '../helpers/jobs.ts';

let h: Harness;
let dataDir: string;

before(async () => {
  // Pinned: a target without nullable vectors that takes empty sparse rows, and the test server's store.
  h = await startHarness({ source: 'test-server', targetEngine: 'lite25' });
  dataDir = freshDataDir();
  console.log(`# ${h.describe()}`);
});
after(async () => {
  await h?.stop();
  if (dataDir) removeDataDir(dataDir);
});

/** Source ids of points lacking the named vector (the test server's store, read as REST would). */
function lacking(collection: string, vector: string): Set<string> {
  const { points } = h.testServer!.store.scroll(collection, { limit: 1_000_000, with_payload: false, with_vector: true });
  return new Set(points.filter((p) => (p.vector as Record<string, unknown> | null)?.[vector] === undefined).map((p) => String(p.id)));
}

describe('points lacking only a sparse vector, on a target without nullable vectors', () => {
  it('are written with an empty sparse vector: rich skips 100 points, not 157, and verifies', async () => {
    const c = await h.seed('rich', 500);
    const noImage = lacking(c, 'image');
    const onlySparse = [...lacking(c, 'keywords')].filter((id) => !noImage.has(id));
    assert.deepEqual([noImage.size, onlySparse.length], [100, 57], 'the dataset is what this test is about');

    const report = await cliJson<ReportJson>(h, dataDir, ['migrate', '--collections', c, '--yes', '--missing-vector', 'skip', '--verify-sample', '500', '--source-rest']);
    assert.equal(report.ok, true);
    assert.equal(report.collections[0]!.rejectedCount, 100);
    assert.deepEqual(await targetIds(h, c), sourceIds(h, c).filter((id) => !noImage.has(id)));

    // The kept points hold an empty sparse vector (the plan says so, and Milvus returns it).
    const reader = createQdrantReader({ url: h.qdrantUrl, transport: 'rest' });
    const sink = await createMilvusSink({ uri: h.milvusUri, token: h.milvusToken, database: h.milvusDb });
    try {
      const { plan, problems } = await buildPlan({ sourceUrl: h.qdrantUrl, target: { uri: h.milvusUri, database: h.milvusDb }, collections: [c], missingVector: 'skip', ifExists: 'append' }, reader, sink);
      const cp = plan.collections[0] as CollectionPlan;
      assert.equal(cp.vectors.find((v) => v.source === 'keywords')?.missingAsEmpty, true);
      assert.deepEqual(problems.filter((p) => p.code === 'MISSING_VECTOR').map((p) => p.path), ['vectors.image']);
      const rows = await sink.fetch(cp, onlySparse.map((id) => (cp.primaryKey.type === 'Int64' ? BigInt(id) : id)));
      assert.equal(rows.length, 57);
      for (const r of rows) assert.deepEqual(r.vectors.keywords, { indices: [], values: [] });
    } finally {
      await Promise.allSettled([reader.close(), sink.close()]);
    }

    // A standalone verify expects exactly the 100 skipped points to be absent, and compares all.
    const run = await cli(h, dataDir, ['verify', '--collections', c, '--missing-vector', 'skip', '--sample', '500', '--json', '--source-rest']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const out = JSON.parse(run.stdout) as { collections: Array<{ verified: boolean; skipped: number; sampled: number; mismatches: unknown[] }> };
    assert.deepEqual(out.collections.map((r) => [r.verified, r.skipped, r.mismatches.length]), [[true, 100, 0]]);
  });
});
