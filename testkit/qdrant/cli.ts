/**
 * `npm run testkit:qdrant -- --port 6333 --grpc-port 6334 [--api-key KEY] [--read-only-api-key KEY2]
 *  [--dataset NAME[:COUNT] ...] [--no-grpc]`: runs the Qdrant test server until SIGINT / SIGTERM.
 * `npm run testkit:qdrant -- --real [--api-key KEY] [--dataset NAME[:COUNT] ...]`: starts the real
 *  Qdrant 1.19 binary (testkit/qdrant/real.ts) on free loopback ports instead, loads the datasets
 *  over its REST API, and runs until SIGINT / SIGTERM (exit 2 when the binary is absent).
 */
import { Command, InvalidArgumentError } from 'commander';
import { DATASET_NAMES, dataset } from '../datasets/index.ts';
import { startQdrantTestServer } from './server.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0 = any free port)');
  return n;
}

function datasetSpec(value: string, previous: Array<{ name: string; count?: number }>) {
  const [name, count] = value.split(':');
  if (!name || !(DATASET_NAMES as string[]).includes(name)) {
    throw new InvalidArgumentError(`unknown dataset; known: ${DATASET_NAMES.join(', ')}`);
  }
  if (count !== undefined && !/^\d+$/.test(count)) throw new InvalidArgumentError('COUNT must be a whole number');
  return [...previous, count === undefined ? { name } : { name, count: Number(count) }];
}

const program = new Command()
  .name('testkit:qdrant')
  .description('Qdrant-compatible test server (REST + gRPC) backed by memory')
  .option('--host <host>', 'interface to bind', '127.0.0.1')
  .option('--port <port>', 'REST port (0 = any free port)', port, 6333)
  .option('--grpc-port <port>', 'gRPC port (0 = any free port)', port, 6334)
  .option('--no-grpc', 'serve REST only')
  .option('--real', 'run the real Qdrant 1.19 binary (free ports; --port/--grpc-port/--no-grpc ignored)')
  .option('--api-key <key>', 'require this API key')
  .option('--read-only-api-key <key>', 'also accept this key for reads only')
  .option('--dataset <name[:count]>', `load a dataset (repeatable): ${DATASET_NAMES.join(', ')}`, datasetSpec, []);

program.parse();
const opts = program.opts<{
  host: string;
  port: number;
  grpcPort: number;
  grpc: boolean;
  real?: boolean;
  apiKey?: string;
  readOnlyApiKey?: string;
  dataset: Array<{ name: string; count?: number }>;
}>();

const server = opts.real ? await startReal() : await startQdrantTestServer({
  host: opts.host,
  port: opts.port,
  grpcPort: opts.grpc ? opts.grpcPort : null,
  apiKey: opts.apiKey,
  readOnlyApiKey: opts.readOnlyApiKey,
  datasets: opts.dataset,
});
if ('store' in server) {
  for (const name of server.store.listCollections()) {
    console.log(`collection ${name}: ${server.store.count(name).count} points`);
  }
  console.log(`Qdrant test server REST ${server.restUrl}`);
  if (server.grpcUrl) console.log(`Qdrant test server gRPC ${server.grpcUrl}`);
} else {
  console.log(`real Qdrant REST ${server.restUrl}`);
  console.log(`real Qdrant gRPC ${server.grpcUrl}`);
  console.log(`(pid ${server.pid}, storage ${server.storageDir}; removed on Ctrl-C)`);
  // The launcher unrefs the server process (so tests can exit); here it is all we wait for.
  setInterval(() => {}, 1 << 30);
}

async function startReal() {
  const { REAL_QDRANT_ABSENT, realQdrantBinary, seedRealQdrant, startRealQdrant } = await import('./real.ts');
  const bin = await realQdrantBinary().catch((err: Error) => {
    console.error(`testkit:qdrant --real: ${err.message}`);
    process.exit(2);
  });
  if (!bin) {
    console.error(`testkit:qdrant --real: ${REAL_QDRANT_ABSENT}`);
    process.exit(2);
  }
  const real = await startRealQdrant({ apiKey: opts.apiKey, readOnlyApiKey: opts.readOnlyApiKey });
  try {
    for (const d of opts.dataset) {
      const ds = dataset(d.name, d.count);
      await seedRealQdrant(real.restUrl, opts.apiKey, ds);
      console.log(`collection ${ds.collection}: ${ds.count} points`);
    }
  } catch (err) {
    await real.stop();
    throw err;
  }
  return real;
}

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
