/**
 * `npm run demo`: a real migration on this machine, nothing to set up.
 * Starts the bundled Qdrant-compatible test server with the `rich` and `basic` datasets, a
 * Milvus Lite server and the web console (on a temporary data directory), runs
 * `qdrant2milvus migrate --yes` between them as a job of that directory (so it shows on the
 * console's Jobs page, live), prints the report, and stops everything (also on Ctrl-C).
 *
 * The console keeps serving after the migration while someone can press Ctrl-C (stdin is a
 * terminal), or for DEMO_KEEP_SECONDS seconds; otherwise the demo ends with the migration.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/api/server.ts';
import { isMigrationError } from '../src/core/errors.ts';
import { startMilvusLite } from '../testkit/milvus/launcher.ts';
import { startQdrantTestServer } from '../testkit/qdrant/server.ts';
import { repoRoot } from '../testkit/python.ts';

const say = (text: string) => process.stdout.write(`\n== ${text}\n`);

say('Starting the Qdrant test server (datasets rich, basic) and Milvus Lite...');
const [qdrant, milvus] = await Promise.all([
  startQdrantTestServer({ datasets: [{ name: 'rich' }, { name: 'basic' }] }),
  startMilvusLite(),
]);
const dataDir = mkdtempSync(join(tmpdir(), 'qdrant2milvus-demo-'));
const consoleServer = await startConsole(dataDir);
let stopping = false;
const stopAll = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([consoleServer.stop(), qdrant.stop(), milvus.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
};
let exitCode = 1;
let finished = false;
// Ctrl-C while the console is all that is left ends the demo normally.
process.on('SIGINT', () => void stopAll().then(() => process.exit(finished ? exitCode : 130)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(finished ? exitCode : 143)));

try {
  say(`Source: Qdrant test server at ${qdrant.restUrl} (gRPC port ${qdrant.grpcPort})   Target: Milvus Lite at ${milvus.uri}`);
  say(`Console: ${consoleServer.url}  (the demo job shows on its Jobs page)`);
  // The source is read over gRPC, the fast path, on the test server's own gRPC port (a free one,
  // not Qdrant's usual 6334, so the CLI is told which).
  const grpc = ['--source-grpc', '--source-grpc-port', String(qdrant.grpcPort)];
  const cli = (args: string[]) => runCli(args, { QDRANT_URL: qdrant.restUrl, MILVUS_URI: milvus.uri, QDRANT2MILVUS_HOME: dataDir });
  say(`qdrant2milvus inspect ${grpc.join(' ')}`);
  await cli(['inspect', ...grpc]);
  // Milvus Lite cannot hold a null vector, and `rich` has points without its `image` vector:
  // the demo skips them, and the report lists each one by id.
  const migrate = ['migrate', ...grpc, '--yes', '--missing-vector', 'skip', '--verify-sample', '200'];
  say(`qdrant2milvus ${migrate.join(' ')}`);
  exitCode = await cli(migrate);
  say(exitCode === 0 ? 'Demo finished: every collection verified.' : `Demo finished with exit code ${exitCode}.`);
  finished = true;
  await keepServing(consoleServer.url);
} finally {
  await stopAll();
}
process.exit(exitCode);

/** The console on port 7700 (DEMO_PORT), or any free port when that one is taken. */
async function startConsole(dir: string): Promise<RunningServer> {
  const port = Number(process.env.DEMO_PORT ?? 7700);
  try {
    return await startServer({ port, dataDir: dir });
  } catch (e) {
    if (!(isMigrationError(e) && e.code === 'PORT_IN_USE')) throw e;
    return startServer({ port: 0, dataDir: dir });
  }
}

async function keepServing(url: string): Promise<void> {
  const seconds = Number(process.env.DEMO_KEEP_SECONDS ?? (process.stdin.isTTY ? Infinity : 0));
  if (!(seconds > 0)) return;
  say(`The console stays at ${url}${Number.isFinite(seconds) ? ` for ${seconds} s` : ''}: press Ctrl-C to stop.`);
  await new Promise((resolve) => {
    if (Number.isFinite(seconds)) setTimeout(resolve, seconds * 1000);
  });
}

function runCli(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'qdrant2milvus.js'), ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
