#!/usr/bin/env node
/**
 * `npm test`: everything a fresh clone needs, in order, with timing per phase.
 *
 *   deps → venv → lint → typecheck → cli-build → unit → integration → e2e (builds the console first)
 *
 * Stops at the first failing phase and exits non-zero. Each child runs in its own process group,
 * and the whole group is killed when the phase ends and on SIGINT/SIGTERM, so a server a test
 * started (Milvus Lite, the Qdrant test server) cannot outlive the run, even on failure.
 *
 * Phase names select a subset (deps and venv always run): `node scripts/test.mjs unit`;
 * `--no-<phase>` leaves one out (e.g. --no-e2e). e2e needs /usr/bin/chromium: skipped with a
 * message without it, except in CI (CI set), where that is a failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestCli } from './test-cli-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const selected = args.filter((a) => !a.startsWith('--'));
const wanted = (name) => selected.includes(name) || (selected.length === 0 && !args.includes(`--no-${name}`));
/** Every REST response of every Qdrant test server is checked against Qdrant's OpenAPI spec. */
process.env.QDRANT_TESTKIT_AUDIT ??= '1';
const chromium = '/usr/bin/chromium';
/** 2 cores: two test files at once keeps both busy without starving the servers they start. */
const testConcurrency = '2';
/** A hung test must fail the run well inside CI's budget rather than eat it. */
const testTimeoutMs = String(10 * 60_000);

const timings = [];
const totals = { passed: 0, failed: 0 };
let current; // the running child, so a signal can kill its group

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\n[test] ${signal}: stopping`);
    killGroup(current, 'SIGTERM');
    setTimeout(() => {
      killGroup(current, 'SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    }, 3000).unref();
  });
}

await phase('deps', async () => {
  // npm writes node_modules/.package-lock.json on every install; without it the tree is incomplete.
  if (existsSync(join(root, 'node_modules', '.package-lock.json'))) return 'present';
  await run('npm', ['ci', '--no-audit', '--no-fund']);
});
await phase('venv', async () => {
  // testkit/python.ts is the one implementation; tsx exists now that deps are installed.
  const { tsImport } = await import('tsx/esm/api');
  const { ensureVenv } = await tsImport('../testkit/python.ts', import.meta.url);
  return (await ensureVenv()).python;
});
if (wanted('lint')) await phase('lint', () => run(bin('eslint'), ['.']));
if (wanted('typecheck')) await phase('typecheck', () => run(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']));
// The CLI the tests spawn, compiled once (scripts/test-cli-build.mjs): ~1 s less per start than tsx.
if (['unit', 'integration', 'e2e'].some(wanted)) {
  await phase('cli-build', () => {
    process.env.Q2M_TEST_CLI_BIN = buildTestCli(root);
    return '.tmp/cli-build';
  });
}
for (const kind of ['unit', 'integration']) {
  if (wanted(kind)) await phase(kind, () => nodeTests(kind));
}
if (wanted('e2e')) {
  await phase('e2e', async () => {
    // Browser tests need Debian's chromium (.ci/run installs it). Outside CI a machine without it
    // skips them, saying so; in CI its absence is a failure.
    if (!existsSync(chromium)) {
      if (process.env.CI) throw new Error(`${chromium} is missing: apt-get install -y chromium`);
      console.warn(`[test] e2e skipped: ${chromium} is missing (apt-get install -y chromium, then npm test again)`);
      return 'skipped: no chromium';
    }
    if (existsSync(join(root, 'web', 'package.json')) || existsSync(join(root, 'web', 'index.html'))) await run('npm', ['run', 'build:web']);
    return nodeTests('e2e');
  });
}
finish(0);

async function nodeTests(kind) {
  const dir = join(root, 'test', kind);
  // Node 20's --test does not expand globs, so list test/<kind>/**/*.test.ts here.
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => relative(root, join(dir, f)))
        .sort()
    : [];
  if (files.length === 0) return 'no test files';
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const tap = join(root, '.tmp', `test-${kind}.tap`);
  rmSync(tap, { force: true }); // an interrupted run must not count the previous run's results
  const code = await run(process.execPath, [
    '--import', 'tsx', '--test',
    `--test-concurrency=${testConcurrency}`, `--test-timeout=${testTimeoutMs}`,
    // Readable output for people; a TAP copy on disk so the run can add up counts across phases.
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ], { allowFailure: true });
  const counts = readTapCounts(tap);
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  if (code !== 0) throw new Error(`${kind} tests failed (exit ${code})`);
  return `${counts.passed} passed, ${counts.failed} failed`;
}

function readTapCounts(file) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const last = (key) => Number([...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return { passed: last('pass'), failed: last('fail') + last('cancelled') };
}

async function phase(name, body) {
  const started = Date.now();
  console.log(`\n[test] ── ${name}`);
  try {
    const note = await body();
    timings.push([name, Date.now() - started, typeof note === 'string' ? note : 'ok']);
  } catch (err) {
    timings.push([name, Date.now() - started, 'FAILED']);
    console.error(`[test] ${name} failed: ${err instanceof Error ? err.message : err}`);
    finish(1);
  }
}

/** Runs a command in its own process group; kills the whole group when it ends. */
function run(cmd, args, { allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', detached: true });
    current = child;
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      // Anything the command left behind in its group (a server a test forgot to stop) dies here.
      killGroup(child, 'SIGKILL');
      current = undefined;
      const status = code ?? 128;
      if (status === 0 || allowFailure) resolve(status);
      else reject(new Error(`${basename(cmd)} ${args.join(' ')} → ${signal ?? `exit ${code}`}`));
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

function finish(code) {
  console.log('\n[test] phase          time');
  for (const [name, ms, note] of timings) {
    console.log(`[test] ${name.padEnd(12)} ${(ms / 1000).toFixed(1).padStart(6)} s  ${note}`);
  }
  // The plain closing line CI reads, summed over every test phase.
  console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`);
  process.exit(code);
}
