/**
 * The live hub follows jobs that another process runs (a CLI `migrate --detach`, the demo): it
 * sees them only through the shared store, and must still turn their progress and their end into
 * events, with a rate.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveHub } from '../../src/api/hub.ts';
import type { JobEvent } from '../../src/api/schemas/responses.ts';
import type { MigrationPlan } from '../../src/core/types.ts';
import { JobEngine } from '../../src/jobs/engine.ts';
import { JobStore } from '../../src/jobs/store.ts';

const store = JobStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'q2m-hub-')) });
const hub = new LiveHub(new JobEngine(store), store, { pollMs: 20 });
after(() => {
  hub.close();
  store.close();
});

const plan: MigrationPlan = {
  version: 1,
  source: { url: 'http://qdrant:6333' },
  target: { uri: 'http://milvus:19530', database: 'default' },
  collections: [{
    source: 'books', target: 'books', description: '', primaryKey: { field: 'id', type: 'Int64', autoId: false }, vectors: [],
    dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'fail', sourceCount: 1000,
  }],
};

const until = async (what: string, check: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`no ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

it("turns another process's store updates into progress and status events", async () => {
  const events: JobEvent[] = [];
  const off = hub.subscribe((e) => events.push(e));
  const { id } = store.create({ source: { url: plan.source.url }, target: plan.target, plan });
  // Not run by this hub's engine: to the hub it is someone else's job.
  store.transition(id, 'IN_PROGRESS');
  store.updateCollection(id, 'books', { status: 'IN_PROGRESS', total: 1000, written: 100 });
  await until('first progress', () => events.some((e) => e.type === 'progress' && e.written === 100));
  await new Promise((r) => setTimeout(r, 50));
  store.updateCollection(id, 'books', { written: 400 });
  await until('second progress', () => events.some((e) => e.type === 'progress' && e.written === 400));
  const rate = hub.rate(id, 'books');
  assert.ok(rate && rate.pointsPerSecond > 0 && rate.etaSeconds !== null, JSON.stringify(rate));
  store.updateCollection(id, 'books', { written: 1000, status: 'SUCCESSFUL' });
  store.transition(id, 'SUCCESSFUL');
  await until('the end', () => events.some((e) => e.type === 'status' && e.status === 'SUCCESSFUL'));
  assert.equal(hub.rate(id, 'books'), undefined, 'a finished job has no rate');
  off();
});
