import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';

describe('npm run testkit:qdrant', () => {
  it('serves the requested datasets over REST and gRPC, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [
      '--import', 'tsx', 'testkit/qdrant/cli.ts', '--port', '0', '--grpc-port', '0', '--dataset', 'basic:25', '--api-key', 'k',
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const restUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/gRPC http:\/\/127\.0\.0\.1:\d+/.test(out)) resolve(/REST (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    try {
      const res = await fetch(`${restUrl}/collections/basic/points/count`, {
        method: 'POST', headers: { 'api-key': 'k', 'content-type': 'application/json' }, body: '{}',
      });
      assert.deepEqual(((await res.json()) as { result: unknown }).result, { count: 25 });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
});
