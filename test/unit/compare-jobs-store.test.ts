/**
 * The job store's side of verify-full and sync jobs (migration 004): job kinds and parents, pass
 * rows (cursor + counts, upserted per step), "in sync at" on the sync job and its parent, a
 * migration's alias outcomes, and the credentials a sync job inherits from the job it syncs.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionPlan } from '../../src/core/types.ts';
import { passSummaries } from '../../src/jobs/compare-job.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { SECRET_KEY_ENV } from '../../src/jobs/secrets.ts';
import { JobStore } from '../../src/jobs/store.ts';

const root = mkdtempSync(join(tmpdir(), 'q2m-compare-jobs-'));
after(() => rmSync(root, { recursive: true, force: true }));
const env = { [SECRET_KEY_ENV]: randomBytes(32).toString('base64') };

const plan = (source: string): CollectionPlan => ({
  source, target: `${source}_m`, description: '', primaryKey: { field: 'id', type: 'Int64', autoId: false }, vectors: [], dynamicField: true,
  partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'drop', sourceCount: 10,
});

function storeWithMigration() {
  const store = JobStore.open({ dataDir: join(root, `d${Math.random().toString(36).slice(2)}`), env });
  const parent = store.create({
    source: { url: 'http://user:pw@qdrant:6333', apiKey: 'qdrant-key-123456' },
    target: { uri: 'http://milvus:19530', token: 'root:Milvus-123456', database: 'default' },
    plan: { version: 1, source: { url: 'http://qdrant:6333' }, target: { uri: 'http://milvus:19530', database: 'default' }, collections: [plan('a'), plan('b')] },
  });
  store.transition(parent.id, 'IN_PROGRESS');
  store.transition(parent.id, 'SUCCESSFUL');
  return { store, parent };
}

describe('verify-full and sync jobs in the store', () => {
  it('a sync job started from a migration: its plan (appended into), kind, parent and credentials', () => {
    const { store, parent } = storeWithMigration();
    try {
      assert.equal(parent.kind, 'migrate');
      const sync = new JobEngine(store).createSync({ fromJob: parent.id, options: { maxPasses: 4 } });
      assert.deepEqual([sync.kind, sync.parentJobId, sync.status], ['sync', parent.id, 'PENDING']);
      assert.deepEqual(sync.plan.collections.map((c) => [c.source, c.ifExists]), [['a', 'append'], ['b', 'append']]);
      assert.equal((sync.options as { maxPasses?: number }).maxPasses, 4);
      assert.deepEqual(store.secretsFor(sync.id), store.secretsFor(parent.id));
      assert.ok(!JSON.stringify(store.get(sync.id)).includes('qdrant-key-123456'));
    } finally {
      store.close();
    }
  });

  it("a sync or verify-full job of a migration sizes its own compare pages: it keeps the parent's transport and retry budget, not its pageSize", () => {
    const store = JobStore.open({ dataDir: join(root, `d${Math.random().toString(36).slice(2)}`), env });
    try {
      const parent = store.create({
        source: { url: 'http://qdrant:6333' },
        target: { uri: 'http://milvus:19530', database: 'default' },
        plan: { version: 1, source: { url: 'http://qdrant:6333' }, target: { uri: 'http://milvus:19530', database: 'default' }, collections: [plan('a')] },
        options: { pageSize: 64, verifySample: 100, sourceTransport: 'grpc', sourceGrpcPort: 7334, retryBudgetSeconds: 5 },
      });
      store.transition(parent.id, 'IN_PROGRESS');
      store.transition(parent.id, 'SUCCESSFUL');
      const engine = new JobEngine(store);
      for (const job of [engine.createSync({ fromJob: parent.id }), engine.createVerifyFull({ fromJob: parent.id })]) {
        assert.deepEqual(store.get(job.id).options, { sourceTransport: 'grpc', sourceGrpcPort: 7334, retryBudgetSeconds: 5 });
      }
      // Its own page size, when given, is kept.
      const own = engine.createSync({ fromJob: parent.id, options: { pageSize: 300, retryBudgetSeconds: 9 } });
      assert.deepEqual(store.get(own.id).options, { sourceTransport: 'grpc', sourceGrpcPort: 7334, retryBudgetSeconds: 9, pageSize: 300 });
    } finally {
      store.close();
    }
  });

  it('refuses a job that has not ended', () => {
    const { store, parent } = storeWithMigration();
    try {
      const running = store.create({ source: { url: 'http://q:6333' }, target: { uri: 'http://m:19530', database: 'default' }, plan: store.get(parent.id).plan });
      assert.throws(() => new JobEngine(store).createVerifyFull({ fromJob: running.id }), /JOB_RUNNING|has not ended/);
    } finally {
      store.close();
    }
  });

  it('passes: upserted per step, summarised per pass; in sync at on the sync job and its parent', () => {
    const { store, parent } = storeWithMigration();
    try {
      const sync = new JobEngine(store).createSync({ fromJob: parent.id });
      const counts = (n: number) => ({ compared: n, upserted: 0, deleted: 0, unchanged: n, rejected: 0, missing: 0, different: 0 });
      store.savePass(sync.id, { collection: 'a', pass: 1, phase: 'merge', cursor: null, counts: counts(0) });
      store.savePass(sync.id, { collection: 'a', pass: 1, phase: 'merge', cursor: '512', counts: { ...counts(512), upserted: 3 } });
      let [p1] = passSummaries(store, sync.id);
      assert.deepEqual([p1!.done, p1!.collections[0]!.counts.compared, store.passes(sync.id)[0]!.cursor], [false, 512, '512']);
      store.savePass(sync.id, { collection: 'a', pass: 1, phase: 'done', cursor: null, counts: { ...counts(900), upserted: 3 } });
      store.savePass(sync.id, { collection: 'b', pass: 1, phase: 'done', cursor: null, counts: counts(10) });
      [p1] = passSummaries(store, sync.id);
      assert.deepEqual([p1!.done, p1!.clean], [true, false]);
      store.savePass(sync.id, { collection: 'b', pass: 2, phase: 'done', cursor: null, counts: counts(10) });
      store.savePass(sync.id, { collection: 'a', pass: 2, phase: 'done', cursor: null, counts: counts(900) });
      const p2 = passSummaries(store, sync.id)[1]!;
      // Collections in plan order, whatever order their rows were saved in.
      assert.deepEqual([p2.done, p2.clean, p2.collections.map((c) => c.source)], [true, true, ['a', 'b']]);
      store.markInSync(sync.id, '2026-12-06T07:00:00.000Z');
      assert.equal(store.get(sync.id).inSyncAt, '2026-12-06T07:00:00.000Z');
      assert.equal(store.get(parent.id).inSyncAt, '2026-12-06T07:00:00.000Z');
      assert.throws(() => store.savePass(sync.id, { collection: 'nope', pass: 1, phase: 'done', cursor: null, counts: {} }), /JOB_COLLECTION_NOT_FOUND|no collection/);
    } finally {
      store.close();
    }
  });

  it("a migration's alias outcomes are kept for `jobs show` and the console", () => {
    const { store, parent } = storeWithMigration();
    try {
      assert.equal(store.get(parent.id).aliases, null);
      store.setAliases(parent.id, [{ name: 'live', collection: 'a_m', action: 'moved', from: 'old' }]);
      assert.deepEqual(store.get(parent.id).aliases, [{ name: 'live', collection: 'a_m', action: 'moved', from: 'old' }]);
    } finally {
      store.close();
    }
  });
});
