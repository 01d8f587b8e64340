import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startMilvusLite, type MilvusLite } from '../../testkit/milvus/launcher.ts';

const started: MilvusLite[] = [];
after(() => Promise.all(started.map((m) => m.stop())));

async function start(dataDir?: string): Promise<MilvusLite> {
  const milvus = await startMilvusLite(dataDir ? { dataDir } : {});
  started.push(milvus);
  return milvus;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

test('the SDK sees Milvus Lite, a taken port is refused, and stop frees the process, port and temp dir', async () => {
  const milvus = await start();
  assert.equal(milvus.host, '127.0.0.1');
  assert.equal(milvus.uri, `http://127.0.0.1:${milvus.port}`);

  const client = new MilvusClient({ address: milvus.uri });
  const { version } = await client.getVersion();
  assert.match(version, /^milvus_lite-/);

  // A second server on a taken port must fail loudly, not share the port (grpc's SO_REUSEPORT).
  await assert.rejects(startMilvusLite({ port: milvus.port }), /did not start[\s\S]*Failed to bind/);
  assert.match((await client.getVersion()).version, /^milvus_lite-/);
  await client.closeConnection();

  await milvus.stop();
  assert.equal(isRunning(milvus.pid), false, 'server process still running after stop');
  assert.equal(await canListen(milvus.port), true, 'port still bound after stop');
  assert.equal(existsSync(milvus.dataDir), false, 'temp data dir left behind');
  await milvus.stop(); // idempotent
});

test('a restart on the same data dir keeps the collections', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'q2m-milvus-keep-'));
  after(() => rm(dataDir, { recursive: true, force: true }));

  const first = await start(dataDir);
  const client = new MilvusClient({ address: first.uri });
  await client.createCollection({
    collection_name: 'kept',
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
      { name: 'vector', data_type: DataType.FloatVector, dim: 4 },
    ],
  });
  await client.insert({ collection_name: 'kept', data: [{ id: 1, vector: [1, 2, 3, 4] }] });
  await client.flushSync({ collection_names: ['kept'] });
  await client.closeConnection();
  await first.stop();

  const second = await start(dataDir);
  assert.equal(second.dataDir, dataDir);
  const again = new MilvusClient({ address: second.uri });
  const { data } = await again.showCollections();
  assert.deepEqual(
    data.map((c) => c.name),
    ['kept'],
  );
  const count = await again.count({ collection_name: 'kept' });
  assert.equal(Number(count.data), 1);
  await again.closeConnection();
  await second.stop();
});
