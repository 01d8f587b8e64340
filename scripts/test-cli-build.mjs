/**
 * The CLI the test runners spawn: src/ compiled once per run into .tmp/cli-build/, laid out like the
 * installed package (bin/ beside dist/, web/ linked), so tests run the JavaScript users install.
 *
 * Why: a clone's bin/qdrant2milvus.js runs src/ through tsx, which costs ~1 s and ~1.2 CPU s at every
 * start (measured: `plan` up to its first request 1.1-1.6 s through tsx, 0.33 s compiled). The test
 * suites start the CLI several hundred times (each job, each `jobs resume`, each detached child).
 *
 * Not dist/ itself: install.test.ts runs `npm pack`, which rebuilds dist/ while other test files run.
 * The copied bin finds no src/ beside it, so it runs dist/; a job it detaches (src/cli/run-job.ts
 * spawns ../../bin/qdrant2milvus.js from its own module) runs the same build. Test helpers spawn
 * `process.env.Q2M_TEST_CLI_BIN` when set (test/helpers/cli-bin.ts), the clone's bin otherwise, so a
 * single test file run by hand still runs src/ as it is on disk.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Builds .tmp/cli-build and returns the path of its bin (the value for Q2M_TEST_CLI_BIN). */
export function buildTestCli(root) {
  const out = join(root, '.tmp', 'cli-build');
  rmSync(out, { recursive: true, force: true });
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const res = spawnSync(tsc, ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(out, 'dist')], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`tsc -p tsconfig.build.json → exit ${res.status ?? res.signal}: the CLI for the tests did not build`);
  mkdirSync(join(out, 'bin'));
  copyFileSync(join(root, 'bin', 'qdrant2milvus.js'), join(out, 'bin', 'qdrant2milvus.js'));
  // The console's files (src/api/static.ts looks in ../../web/dist from its module).
  symlinkSync(join(root, 'web'), join(out, 'web'));
  return join(out, 'bin', 'qdrant2milvus.js');
}
