/**
 * `npm run testkit:qdrant -- --port 6333 --grpc-port 6334 [--api-key KEY] [--read-only-api-key KEY2]
 *  [--dataset NAME[:COUNT] ...] [--no-grpc]`: runs the Qdrant test server until SIGINT / SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DATASET_NAMES } from '../datasets/index.ts';
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
  .option('--api-key <key>', 'require this API key')
  .option('--read-only-api-key <key>', 'also accept this key for reads only')
  .option('--dataset <name[:count]>', `load a dataset (repeatable): ${DATASET_NAMES.join(', ')}`, datasetSpec, []);

program.parse();
const opts = program.opts<{
  host: string;
  port: number;
  grpcPort: number;
  grpc: boolean;
  apiKey?: string;
  readOnlyApiKey?: string;
  dataset: Array<{ name: string; count?: number }>;
}>();

const server = await startQdrantTestServer({
  host: opts.host,
  port: opts.port,
  grpcPort: opts.grpc ? opts.grpcPort : null,
  apiKey: opts.apiKey,
  readOnlyApiKey: opts.readOnlyApiKey,
  datasets: opts.dataset,
});
for (const name of server.store.listCollections()) {
  console.log(`collection ${name}: ${server.store.count(name).count} points`);
}
console.log(`Qdrant test server REST ${server.restUrl}`);
if (server.grpcUrl) console.log(`Qdrant test server gRPC ${server.grpcUrl}`);

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
