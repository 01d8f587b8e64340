/**
 * Runs one Milvus server in the foreground for manual testing, demos and the test matrix:
 *
 *   npm run testkit:milvus -- [--engine lite3|lite25|standalone23] [--port 19530] [--data-dir DIR] [--auth]
 *
 * Prints the URI (alone on stdout) once the server answers; stops it cleanly on Ctrl-C / SIGTERM.
 * Without --data-dir the data lives in a temp dir that is removed on stop. --auth (standalone23
 * only) turns authorization on; the token is then root:Milvus (printed to stderr: it is the
 * server's well-known default, not a secret of the user's).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { milvusEngines, startMilvus, type MilvusEngine } from './launcher.ts';

const program = new Command('testkit:milvus')
  .description('Start a Milvus server (Lite 3.2.2, Lite 2.5.1 or 2.3.5 standalone) on 127.0.0.1 from the test kit venvs')
  .addOption(new Option('-e, --engine <engine>', 'which Milvus').choices(milvusEngines).default('lite3'))
  .option('-p, --port <port>', 'port (0 = a free one)', parsePort, 19530)
  .option('-d, --data-dir <dir>', 'data directory (kept); default: a temp dir removed on stop')
  .option('--auth', 'standalone23 only: enable authorization (token root:Milvus)', false)
  .parse();
const opts = program.opts<{ engine: MilvusEngine; port: number; dataDir?: string; auth: boolean }>();
if (opts.auth && opts.engine !== 'standalone23') program.error('--auth needs --engine standalone23 (the lites have no authorization)');

const started = Date.now();
const milvus = await startMilvus({ engine: opts.engine, port: opts.port, dataDir: opts.dataDir, auth: opts.auth });
process.stderr.write(
  `Milvus ${milvus.engine} ready in ${Date.now() - started} ms (pid ${milvus.pid}, data ${milvus.dataDir}` +
    `${milvus.token ? `, token ${milvus.token}` : ''}); Ctrl-C stops it\n`,
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
