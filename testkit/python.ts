/**
 * The Python side of the test kit: a git-ignored venv at `<repo>/.venv` holding the pinned packages
 * of `testkit/python/requirements.txt` (Milvus Lite, pymilvus, qdrant-client).
 *
 * This is the only implementation: `scripts/test.mjs` loads it through tsx, and
 * `node --import tsx testkit/python.ts` (npm run testkit:venv) runs it by hand and prints the
 * venv's python path.
 *
 * - Reused when complete: `.venv/.q2m-stamp` holds the sha256 of the requirements file and is
 *   written last, so an interrupted install, a changed pin or a deleted binary all rebuild.
 * - Rebuilt from scratch rather than upgraded in place, so a removed pin leaves nothing behind.
 * - Safe when several processes call it at once (test files run in parallel): a lock file created
 *   with O_EXCL serialises the build; a lock whose owner pid is gone is taken over.
 * - The base interpreter is `$Q2M_PYTHON`, else `python3` on PATH.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const venvDir = join(repoRoot, '.venv');
const requirementsFile = join(repoRoot, 'testkit', 'python', 'requirements.txt');
const stampFile = join(venvDir, '.q2m-stamp');
const lockFile = join(repoRoot, '.tmp', 'venv.lock');
/** Console scripts that must exist for the venv to count as complete. */
const requiredBins = ['python', 'milvus-lite'];
/** A cold install downloads ~100 MB; a waiter gives up after this long. */
const lockTimeoutMs = 15 * 60_000;

export interface Venv {
  /** Absolute path of the venv's python. */
  python: string;
  /** Absolute path of a console script installed in the venv, e.g. bin('milvus-lite'). */
  bin(name: string): string;
}

function venv(): Venv {
  const bin = (name: string) => join(venvDir, 'bin', name);
  return { python: bin('python'), bin };
}

async function requirementsHash(): Promise<string> {
  return createHash('sha256').update(await readFile(requirementsFile)).digest('hex');
}

async function isComplete(hash: string): Promise<boolean> {
  const stamp = await readFile(stampFile, 'utf8').catch(() => '');
  // existsSync follows symlinks, so a venv whose base python moved away counts as broken.
  return stamp.trim() === hash && requiredBins.every((b) => existsSync(venv().bin(b)));
}

/** Creates (or reuses) the venv; resolves once every pinned package is installed. */
export async function ensureVenv(): Promise<Venv> {
  const hash = await requirementsHash();
  if (await isComplete(hash)) return venv();
  const release = await acquireLock();
  try {
    // Another process may have finished the build while this one waited for the lock.
    if (!(await isComplete(hash))) await build(hash);
  } finally {
    await release();
  }
  return venv();
}

async function build(hash: string): Promise<void> {
  const base = process.env.Q2M_PYTHON ?? 'python3';
  process.stderr.write(`[venv] creating ${venvDir} with ${base} (requirements ${hash.slice(0, 12)})\n`);
  await rm(venvDir, { recursive: true, force: true });
  await run(base, ['-m', 'venv', venvDir]);
  await run(venv().python, [
    '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off',
    '-r', requirementsFile,
  ]);
  await writeFile(stampFile, `${hash}\n`);
}

/** Runs a command with its output on our stderr (so stdout stays clean for callers that parse it). */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 2, 2] });
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireLock(): Promise<() => Promise<void>> {
  await mkdir(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + lockTimeoutMs;
  for (;;) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    // An empty file means the owner is between open and write: wait rather than steal it.
    if (owner > 0 && !isAlive(owner)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${lockFile} (held by pid ${owner}); remove it if stale`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { python } = await ensureVenv();
  process.stdout.write(`${python}\n`);
}
