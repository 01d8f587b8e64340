/**
 * Choosing the source transport: gRPC by default when its port answers, REST with one warning
 * when it does not, no fallback when the user picked gRPC, and the CLI flags that pick.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { resolveSource } from '../../src/cli/connections.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';

let qdrant: QdrantTestServer;
let closedPort: number;

before(async () => {
  qdrant = await startQdrantTestServer({ grpcPort: 0, datasets: [{ name: 'basic', count: 30 }] });
  const probe = net.createServer();
  closedPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)));
  await new Promise((r) => probe.close(r));
});

after(() => qdrant?.stop());

async function readAllIds(reader: ReturnType<typeof createQdrantReader>): Promise<number> {
  let n = 0;
  for await (const page of reader.read({ collection: 'basic', pageSize: 7 })) n += page.points.length;
  return n;
}

/** REST scrolls fail while this runs: a read that succeeds went over gRPC. */
async function withRestScrollBroken<T>(fn: () => Promise<T>): Promise<T> {
  qdrant.faults.configure({ rules: [{ route: 'POST /collections/*/points/scroll', errorRate: 1, errorStatus: 400 }] });
  try {
    return await fn();
  } finally {
    qdrant.faults.clear();
  }
}

test('by default the reader uses gRPC when the gRPC port answers, without a warning', async () => {
  const warnings: string[] = [];
  const reader = createQdrantReader({ url: qdrant.restUrl, grpcPort: qdrant.grpcPort!, onWarning: (m) => warnings.push(m) });
  assert.equal(await withRestScrollBroken(() => readAllIds(reader)), 30);
  assert.deepEqual(warnings, []);
  await reader.close();
});

test('by default the reader falls back to REST when nothing answers on the gRPC port, and says so once', async () => {
  const warnings: string[] = [];
  const reader = createQdrantReader({ url: qdrant.restUrl, grpcPort: closedPort, onWarning: (m) => warnings.push(m) });
  await reader.check();
  assert.equal(await readAllIds(reader), 30);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`gRPC does not answer at 127\\.0\\.0\\.1:${closedPort}.*REST.*--source-rest`));
  const again = createQdrantReader({ url: qdrant.restUrl, grpcPort: closedPort, onWarning: (m) => warnings.push(m) });
  await again.check();
  assert.equal(warnings.length, 1, 'one probe and one warning per address and process');
});

test('a REST URL off port 6333 without a gRPC port reads over REST and says how to use gRPC', async () => {
  const warnings: string[] = [];
  const reader = createQdrantReader({ url: qdrant.restUrl, onWarning: (m) => warnings.push(m) });
  assert.equal(await readAllIds(reader), 30);
  assert.match(warnings.join('\n'), /gRPC port is unknown.*--source-grpc-port/);
});

test('an explicit gRPC choice does not fall back', async () => {
  const reader = createQdrantReader({ url: qdrant.restUrl, transport: 'grpc', grpcPort: closedPort, timeoutMs: 2000 });
  await assert.rejects(reader.check(), { code: 'SOURCE_UNREACHABLE' });
});

test('--source-grpc / --source-rest / --source-transport choose the transport; conflicting ones are refused', () => {
  const url = { sourceUrl: 'http://q:6333' };
  assert.equal(resolveSource(url).transport, 'auto');
  assert.equal(resolveSource({ ...url, sourceGrpc: true }).transport, 'grpc');
  assert.equal(resolveSource({ ...url, sourceRest: true }).transport, 'rest');
  assert.equal(resolveSource({ ...url, sourceTransport: 'rest' }).transport, 'rest');
  assert.equal(resolveSource({ ...url, sourceTransport: 'rest', sourceRest: true }).transport, 'rest');
  assert.throws(() => resolveSource({ ...url, sourceGrpc: true, sourceRest: true }), { code: 'SOURCE_TRANSPORT_INVALID' });
  assert.throws(() => resolveSource({ ...url, sourceTransport: 'soap' as never }), { code: 'SOURCE_TRANSPORT_INVALID' });
});
