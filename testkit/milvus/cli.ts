/**
 * Runs one Milvus Lite server in the foreground for manual testing and demos:
 *
 *   npm run testkit:milvus -- --port 19530 --data-dir ./.tmp/milvus
 *
 * Prints the URI (alone on stdout) once the server answers; stops it cleanly on Ctrl-C / SIGTERM.
 * Without --data-dir the data lives in a temp dir that is removed on stop.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startMilvusLite } from './launcher.ts';

const program = new Command('testkit:milvus')
  .description('Start Milvus Lite on 127.0.0.1 from the test kit venv')
  .option('-p, --port <port>', 'port (0 = a free one)', parsePort, 19530)
  .option('-d, --data-dir <dir>', 'data directory (kept); default: a temp dir removed on stop')
  .parse();
const opts = program.opts<{ port: number; dataDir?: string }>();

const started = Date.now();
const milvus = await startMilvusLite({ port: opts.port, dataDir: opts.dataDir });
process.stderr.write(
  `Milvus Lite ready in ${Date.now() - started} ms (pid ${milvus.pid}, data ${milvus.dataDir}); Ctrl-C stops it\n`,
);
process.stdout.write(`${milvus.uri}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    milvus.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
// The launcher unrefs the server process; this keeps the CLI alive until a signal arrives.
setInterval(() => undefined, 1 << 30);

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('not a port');
  return port;
}
