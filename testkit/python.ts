/**
 * The Python side of the test kit: git-ignored venvs, one per Milvus engine, each holding the pinned
 * packages of its own requirements file in `testkit/python/`:
 *
 *   lite3         `.venv`               requirements.txt              Milvus Lite 3.2.2, pymilvus, qdrant-client
 *   lite25        `.venv-lite25`        requirements-lite25.txt       Milvus Lite 2.5.1 (C++ engine binary)
 *   standalone23  `.venv-standalone23`  requirements-standalone23.txt Milvus 2.3.5 standalone (embedded)
 *   s3            `.venv-s3`            ../s3/requirements.txt        moto[server] (S3 for bulk import)
 *
 * Each is built on first use only (the matrix needs the last two; `npm test` only lite3). This is the
 * only implementation: `scripts/test.mjs` loads it through tsx, and
 * `node --import tsx testkit/python.ts [lite3|lite25|standalone23]` (npm run testkit:venv) runs it
 * by hand and prints the venv's python path.
 *
 * - Reused when complete: `<venv>/.q2m-stamp` holds the sha256 of the requirements file and is
 *   written last, so an interrupted install, a changed pin or a deleted binary all rebuild.
 * - Rebuilt from scratch rather than upgraded in place, so a removed pin leaves nothing behind.
 * - Safe when several processes call it at once (test files run in parallel): a lock file created
 *   with O_EXCL serialises the build; a lock whose owner pid is gone is taken over.
 * - The base interpreter is `$Q2M_PYTHON`, else `python3` on PATH.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The default (lite3) venv, kept at its historical place. */
export const venvDir = join(repoRoot, '.venv');
export type VenvName = 'lite3' | 'lite25' | 'standalone23' | 's3';
interface VenvSpec {
  dir: string;
  requirements: string;
  /** Console scripts that must exist for the venv to count as complete. */
  bins: string[];
}
const specs: Record<VenvName, VenvSpec> = {
  lite3: { dir: venvDir, requirements: 'requirements.txt', bins: ['python', 'milvus-lite'] },
  lite25: { dir: join(repoRoot, '.venv-lite25'), requirements: 'requirements-lite25.txt', bins: ['python'] },
  standalone23: {
    dir: join(repoRoot, '.venv-standalone23'), requirements: 'requirements-standalone23.txt',
    bins: ['python', 'milvus-server'],
  },
  // moto's S3 server for the bulk-import tests (testkit/s3/); its pins live beside its launcher.
  s3: { dir: join(repoRoot, '.venv-s3'), requirements: '../s3/requirements.txt', bins: ['python', 'moto_server'] },
};
/** A cold install downloads ~100 MB; a waiter gives up after this long. */
const lockTimeoutMs = 15 * 60_000;

export interface Venv {
  /** The venv's directory. */
  dir: string;
  /** Absolute path of the venv's python. */
  python: string;
  /** Absolute path of a console script installed in the venv, e.g. bin('milvus-lite'). */
  bin(name: string): string;
  /** Absolute path of the venv's site-packages directory. */
  sitePackages(): string;
}

function venv(name: VenvName): Venv {
  const { dir } = specs[name];
  const bin = (b: string) => join(dir, 'bin', b);
  const sitePackages = () => {
    // lib/python3.X: the X is whatever base interpreter built the venv.
    const lib = join(dir, 'lib');
    const py = readdirSync(lib).find((d) => /^python3\.\d+$/.test(d));
    if (!py) throw new Error(`${lib} holds no python3.X directory: delete ${dir} to rebuild it`);
    return join(lib, py, 'site-packages');
  };
  return { dir, python: bin('python'), bin, sitePackages };
}

async function requirementsHash(spec: VenvSpec): Promise<string> {
  const file = join(repoRoot, 'testkit', 'python', spec.requirements);
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function isComplete(name: VenvName, hash: string): Promise<boolean> {
  const stamp = await readFile(join(specs[name].dir, '.q2m-stamp'), 'utf8').catch(() => '');
  // existsSync follows symlinks, so a venv whose base python moved away counts as broken.
  return stamp.trim() === hash && specs[name].bins.every((b) => existsSync(venv(name).bin(b)));
}

/** Creates (or reuses) the named venv (default lite3); resolves once every pinned package is installed. */
export async function ensureVenv(name: VenvName = 'lite3'): Promise<Venv> {
  const spec = specs[name];
  if (!spec) throw new Error(`unknown venv "${String(name)}": use one of ${Object.keys(specs).join(', ')}`);
  const hash = await requirementsHash(spec);
  if (await isComplete(name, hash)) return venv(name);
  const release = await acquireLock(join(repoRoot, '.tmp', name === 'lite3' ? 'venv.lock' : `venv-${name}.lock`));
  try {
    // Another process may have finished the build while this one waited for the lock.
    if (!(await isComplete(name, hash))) await build(name, hash);
  } finally {
    await release();
  }
  return venv(name);
}

async function build(name: VenvName, hash: string): Promise<void> {
  const { dir, requirements } = specs[name];
  const base = process.env.Q2M_PYTHON ?? 'python3';
  process.stderr.write(`[venv] creating ${dir} with ${base} (${requirements} ${hash.slice(0, 12)})\n`);
  await rm(dir, { recursive: true, force: true });
  await run(base, ['-m', 'venv', dir]);
  await run(venv(name).python, [
    '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off',
    '-r', join(repoRoot, 'testkit', 'python', requirements),
  ]);
  await writeFile(join(dir, '.q2m-stamp'), `${hash}\n`);
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

async function acquireLock(lockFile: string): Promise<() => Promise<void>> {
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
  const { python } = await ensureVenv((process.argv[2] as VenvName | undefined) ?? 'lite3');
  process.stdout.write(`${python}\n`);
}
