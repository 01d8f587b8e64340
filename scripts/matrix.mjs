#!/usr/bin/env node
/**
 * `npm run test:matrix`: the integration tests against every real server build (issue 9).
 *
 *   sources  test   the Qdrant test server (testkit/qdrant; one per test file, with fault injection)
 *            real   the real Qdrant 1.19 binary (testkit/qdrant/real.ts), with an API key
 *   targets  lite3 | lite25 | standalone23   (testkit/milvus; standalone23 with authorization on)
 *
 * For each leg the servers are started ONCE here through the test kit's launchers, and the leg's test
 * files run against them as "the user's servers" (QDRANT_URL/QDRANT_API_KEY, MILVUS_URI/MILVUS_TOKEN,
 * Q2M_TARGET_ENGINE): prefixed collection names, everything dropped afterwards. A last step,
 * `own-servers`, runs test/matrix/*.test.ts: files that pin their own leg and start (and may kill)
 * their own servers, e.g. the Milvus 2.3.5 kill/restart test; they run one at a time with no leg's
 * server up. `npm test` does not run test/matrix/.
 *
 *   node scripts/matrix.mjs                     every leg
 *   node scripts/matrix.mjs real/lite25 own-servers   only those legs (`--list` shows them)
 *
 * Without the real Qdrant binary (QDRANT_BIN, or ../shared/qdrant beside the clone) the real legs are
 * skipped, saying so; in CI (CI set) that is a failure. Each test phase runs in its own process group,
 * killed when the phase ends and on SIGINT/SIGTERM; the servers die with this process. Ends with the
 * plain line `matrix: N passed, N failed` and exits non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestCli } from './test-cli-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const it = (name) => `test/integration/${name}.test.ts`;
/** Every leg proves the datasets; the job, fault and API tests run on the real legs chosen below
 *  (faults need the test server as source; the real-Qdrant legs carry the job and API tests). */
const datasets = [it('cli-datasets')];
const legs = [
  { name: 'test/lite3', source: 'test', target: 'lite3', files: datasets },
  {
    name: 'test/lite25', source: 'test', target: 'lite25',
    files: [...datasets, it('milvus-sink'), it('target-capabilities'), it('verify-policy'), it('sparse-missing'), it('verify-full'), it('aliases'), it('payload-fields')],
  },
  {
    name: 'test/standalone23', source: 'test', target: 'standalone23',
    files: [
      ...datasets, it('milvus-sink'), it('target-capabilities'), it('target-lease'), it('aliases'), it('verify-full'), it('payload-fields'),
      it('jobs-faults'), it('jobs-resume'), it('jobs-cancel'), it('jobs-engine'), it('sink-delete'), it('sync'),
    ],
  },
  { name: 'real/lite3', source: 'real', target: 'lite3', files: [...datasets, it('payload-discovery')] },
  { name: 'real/lite25', source: 'real', target: 'lite25', files: [...datasets, it('jobs-cli'), it('api')] },
  { name: 'real/standalone23', source: 'real', target: 'standalone23', files: [...datasets, it('jobs-cli'), it('api')] },
  // Files that start their own servers (startHarness({ targetEngine })): one at a time, no leg's server up.
  { name: 'own-servers', source: 'test', target: undefined, files: ownServerFiles() },
];
const testTimeoutMs = String(10 * 60_000);

function ownServerFiles() {
  const dir = join(root, 'test', 'matrix');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/matrix/${f}`) : [];
}

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const leg of legs) console.log(`${leg.name.padEnd(18)} ${leg.files.join(' ')}`);
  process.exit(0);
}
const chosen = args.filter((a) => !a.startsWith('--'));
for (const name of chosen) {
  if (!legs.some((l) => l.name === name)) {
    console.error(`[matrix] unknown leg "${name}": one of ${legs.map((l) => l.name).join(', ')}`);
    process.exit(2);
  }
}

const { tsImport } = await import('tsx/esm/api');
const { startMilvus } = await tsImport('../testkit/milvus/launcher.ts', import.meta.url);
const { realQdrantBinary, startRealQdrant, REAL_QDRANT_ABSENT } = await tsImport('../testkit/qdrant/real.ts', import.meta.url);

const results = [];
let current; // the running test phase, so a signal can kill its group
let servers = []; // what the current leg started
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\n[matrix] ${signal}: stopping`);
    killGroup(current, 'SIGTERM');
    setTimeout(() => {
      killGroup(current, 'SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    }, 3000).unref();
    void Promise.allSettled(servers.map((s) => s.stop()));
  });
}

const started = Date.now();
// The CLI the tests spawn, compiled once for every leg (scripts/test-cli-build.mjs).
process.env.Q2M_TEST_CLI_BIN = buildTestCli(root);
const qdrantBin = await realQdrantBinary().catch((err) => {
  console.error(`[matrix] real Qdrant unusable: ${err.message}`);
  return undefined;
});
for (const leg of legs) {
  if (chosen.length > 0 && !chosen.includes(leg.name)) continue;
  if (leg.source === 'real' && !qdrantBin) {
    const why = `skipped: ${REAL_QDRANT_ABSENT}`;
    console.warn(`\n[matrix] ── ${leg.name} ${why}`);
    results.push({ leg: leg.name, ms: 0, passed: 0, failed: process.env.CI ? 1 : 0, note: process.env.CI ? `FAILED (${why})` : why });
    continue;
  }
  results.push(await runLeg(leg));
}

console.log('\n[matrix] leg                 time   result');
for (const r of results) {
  console.log(`[matrix] ${r.leg.padEnd(18)} ${(r.ms / 1000).toFixed(0).padStart(5)} s  ${r.note}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`[matrix] total ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`matrix: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

async function runLeg(leg) {
  const t0 = Date.now();
  console.log(`\n[matrix] ── ${leg.name}: ${leg.files.join(' ')}`);
  const env = { ...process.env, QDRANT_TESTKIT_AUDIT: process.env.QDRANT_TESTKIT_AUDIT ?? '1' };
  for (const k of ['QDRANT_URL', 'QDRANT_API_KEY', 'QDRANT_GRPC_PORT', 'MILVUS_URI', 'MILVUS_TOKEN', 'MILVUS_DB', 'Q2M_SOURCE', 'Q2M_TARGET_ENGINE']) delete env[k];
  try {
    if (leg.target) {
      const s0 = Date.now();
      const milvus = await startMilvus({ engine: leg.target, auth: leg.target === 'standalone23' });
      servers.push(milvus);
      console.log(`[matrix] ${leg.target} ready in ${Date.now() - s0} ms at ${milvus.uri}`);
      Object.assign(env, { MILVUS_URI: milvus.uri, Q2M_TARGET_ENGINE: leg.target });
      if (milvus.token) env.MILVUS_TOKEN = milvus.token;
    }
    if (leg.source === 'real') {
      const apiKey = randomBytes(12).toString('hex');
      const qdrant = await startRealQdrant({ apiKey });
      servers.push(qdrant);
      // QDRANT_GRPC_PORT: the CLI reads the real server over gRPC (the default transport) since its
      // gRPC port is not REST+1 here.
      Object.assign(env, { QDRANT_URL: qdrant.restUrl, QDRANT_API_KEY: apiKey, QDRANT_GRPC_PORT: String(qdrant.grpcPort) });
    }
    const { code, passed, failed } = await nodeTests(leg, env);
    const note = `${passed} passed, ${failed} failed${code !== 0 && failed === 0 ? ` (exit ${code})` : ''}`;
    return { leg: leg.name, ms: Date.now() - t0, passed, failed: failed || (code !== 0 ? 1 : 0), note };
  } catch (err) {
    console.error(`[matrix] ${leg.name} could not run: ${err instanceof Error ? err.message : err}`);
    return { leg: leg.name, ms: Date.now() - t0, passed: 0, failed: 1, note: 'FAILED to start its servers' };
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
    servers = [];
  }
}

async function nodeTests(leg, env) {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const tap = join(root, '.tmp', `matrix-${leg.name.replace('/', '-')}.tap`);
  rmSync(tap, { force: true }); // an interrupted run must not count the previous run's results
  const code = await run(process.execPath, [
    '--import', 'tsx', '--test',
    // Servers are shared within a leg; Milvus 2.3.5 alone wants most of the 2 cores.
    `--test-concurrency=${leg.target === 'standalone23' || !leg.target ? 1 : 2}`, `--test-timeout=${testTimeoutMs}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...leg.files,
  ], env);
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const last = (key) => Number([...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return { code, passed: last('pass'), failed: last('fail') + last('cancelled') };
}

/** Runs a command in its own process group; kills the whole group when it ends. */
function run(cmd, cmdArgs, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, env, stdio: 'inherit', detached: true });
    current = child;
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code) => {
      killGroup(child, 'SIGKILL');
      current = undefined;
      resolve(code ?? 128);
    });
  });
}

function killGroup(child, signal) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}
