/**
 * The benchmark's servers, each in a process of its own so that their CPU is not counted as ours:
 * the Qdrant test server (`testkit/qdrant/cli.ts`, loaded with one dataset) and Milvus Lite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startMilvus as startMilvusEngine, type MilvusEngine, type MilvusServer } from '../testkit/milvus/launcher.ts';
import { repoRoot } from '../testkit/python.ts';

export interface QdrantProcess {
  restUrl: string;
  grpcPort: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the test server with `dataset:count` loaded; resolves once it prints its URLs. */
export function startQdrantProcess(dataset: string, count: number): Promise<QdrantProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'testkit', 'qdrant', 'cli.ts'), '--port', '0', '--grpc-port', '0', '--dataset', `${dataset}:${count}`],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const early = (code: number | null) => reject(new Error(`the Qdrant test server exited (${code}) before it was ready:\n${out}`));
    child.once('exit', early);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const rest = /REST (http:\/\/\S+)/.exec(out)?.[1];
      const grpc = /gRPC http:\/\/\S+:(\d+)/.exec(out)?.[1];
      if (rest && grpc) {
        child.off('exit', early);
        resolve({
          restUrl: rest,
          grpcPort: Number(grpc),
          pid: child.pid!,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
  });
}

/** The bench's target: Milvus Lite 3.2.2 (lite3, the default), Milvus Lite 2.5.1 or Milvus 2.3.5 standalone. */
export async function startMilvus(engine: MilvusEngine = 'lite3'): Promise<MilvusServer> {
  return startMilvusEngine({ engine, startTimeoutMs: engine === 'standalone23' ? 300_000 : 120_000 });
}

/**
 * Drops the collections a measure left behind, so the next one starts on an empty server. Retried
 * with a fresh client: right after a big write a busy Milvus Lite may drop the connection (the
 * SDK's keepalive pings, "too many pings", come back as RESOURCE_EXHAUSTED); a leftover is then
 * reported, not fatal (the next measure drops and re-creates its own collection anyway).
 */
export async function dropBenchCollections(uri: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // The test kit's keepalive: Milvus Lite (gRPC core) answers the SDK's default idle pings with
    // GOAWAY "too_many_pings", which grpc-js prints as an "excess pings" error line.
    const channelOptions = { 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 };
    const client = new MilvusClient({ address: uri, timeout: 300_000, logLevel: 'error', telemetry: { enabled: false }, channelOptions } as ConstructorParameters<typeof MilvusClient>[0]);
    try {
      const { data } = await client.listCollections();
      for (const c of data) if (c.name.startsWith('bench_')) await client.dropCollection({ collection_name: c.name });
      return;
    } catch (error) {
      if (attempt >= 3) return void process.stderr.write(`[bench] could not drop the bench collections: ${(error as Error).message}\n`);
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      await client.closeConnection();
    }
  }
}
