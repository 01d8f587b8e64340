/**
 * No gRPC keepalive noise: a process that starts Milvus Lite (the demo, the tests, testkit:milvus)
 * and holds the sink's connection open must not print grpc-js's "rejected by server because of
 * excess pings" (Milvus Lite answers the SDK's default 10 s pings with GOAWAY too_many_pings after
 * about 30 s, and grpc-js logs that on stderr). Runs in a child process to see its whole stderr.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { repoRoot } from '../../testkit/python.ts';

const IDLE_MS = 45_000;

const script = `
import { startMilvusLite } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'testkit', 'milvus', 'launcher.ts')).href)};
import { createMilvusSink } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src', 'milvus', 'index.ts')).href)};
const milvus = await startMilvusLite();
try {
  const sink = await createMilvusSink({ uri: milvus.uri });
  await sink.listCollections();
  // A console left open: the connection idles; then it is used again.
  await new Promise((r) => setTimeout(r, ${IDLE_MS}));
  await sink.listCollections();
  await sink.close();
} finally {
  await milvus.stop();
}
console.log('done');
`;

it('a process holding Milvus Lite and a sink connection idle for 45 s prints no keepalive complaints', { timeout: 240_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stdout, /done/);
  assert.doesNotMatch(stderr, /excess pings|too_many_pings|GOAWAY/i);
});
