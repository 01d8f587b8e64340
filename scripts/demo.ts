/**
 * `npm run demo`: a real migration on this machine, nothing to set up.
 * Starts the bundled Qdrant-compatible test server with the `rich` and `basic` datasets and a
 * Milvus Lite server, runs `qdrant2milvus migrate --yes` between them, prints the report, and
 * stops both servers (also on Ctrl-C).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startMilvusLite } from '../testkit/milvus/launcher.ts';
import { startQdrantTestServer } from '../testkit/qdrant/server.ts';
import { repoRoot } from '../testkit/python.ts';

const say = (text: string) => process.stdout.write(`\n== ${text}\n`);

say('Starting the Qdrant test server (datasets rich, basic) and Milvus Lite...');
const [qdrant, milvus] = await Promise.all([
  startQdrantTestServer({ datasets: [{ name: 'rich' }, { name: 'basic' }] }),
  startMilvusLite(),
]);
let stopping = false;
const stopAll = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([qdrant.stop(), milvus.stop()]);
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)));

let exitCode = 1;
try {
  say(`Source: Qdrant test server at ${qdrant.restUrl}   Target: Milvus Lite at ${milvus.uri}`);
  const cli = (args: string[]) => runCli(args, { QDRANT_URL: qdrant.restUrl, MILVUS_URI: milvus.uri });
  say('qdrant2milvus inspect');
  await cli(['inspect']);
  // Milvus Lite cannot hold a null vector, and `rich` has points without its `image` vector:
  // the demo skips them, and the report lists each one by id.
  say('qdrant2milvus migrate --yes --missing-vector skip --verify-sample 200');
  exitCode = await cli(['migrate', '--yes', '--missing-vector', 'skip', '--verify-sample', '200']);
  say(exitCode === 0 ? 'Demo finished: every collection verified.' : `Demo finished with exit code ${exitCode}.`);
} finally {
  await stopAll();
}
process.exit(exitCode);

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
