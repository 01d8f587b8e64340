/**
 * The install path a user takes: `npm pack`, then `npm install -g` of the tarball (into a temp
 * prefix), then the installed command: `--version`, `inspect` against the Qdrant test server, and
 * `serve`, whose page must be the console (not "The console is not built") and whose API must
 * answer. The package runs compiled JavaScript: no src/, no TypeScript loader.
 *
 * Slow by nature (npm fetches the dependencies and may compile better-sqlite3): minutes, not
 * seconds. Needs the npm registry (or a warm npm cache).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../testkit/python.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';

const exec = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'q2m-install-'));
const prefix = join(work, 'prefix');
const home = join(work, 'home');
const bin = join(prefix, 'bin', 'qdrant2milvus');
const installed = join(prefix, 'lib', 'node_modules', 'qdrant2milvus');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
// npm's own chatter (update notices, audit, funding) is not what this test is about.
const npmEnv = {
  ...process.env,
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  // better-sqlite3's prebuilt binaries live on GitHub, which this machine cannot reach, so npm
  // would compile it from source again (~3 min). Hand prebuild-install the binary `npm ci` already
  // built from the same pinned version, as a local prebuild: the install path stays the user's.
  npm_config_better_sqlite3_local_prebuilds: join(work, 'prebuilds'),
};
const cliEnv = { ...process.env, QDRANT2MILVUS_HOME: home, QDRANT_URL: '', QDRANT_API_KEY: '' };

let qdrant: QdrantTestServer;
let serve: ChildProcess | undefined;

before(async () => {
  qdrant = await startQdrantTestServer({ port: 0, grpcPort: 0, datasets: [{ name: 'basic', count: 40 }] });
  packLocalSqlitePrebuild();
  // `npm pack` runs prepack (build:cli) and prepare (build:web), as a release would.
  await exec('npm', ['pack', '--pack-destination', work], { cwd: repoRoot, env: npmEnv, maxBuffer: 64 << 20 });
  const tarball = readdirSync(work).find((f) => /^qdrant2milvus-.*\.tgz$/.test(f));
  assert.ok(tarball, `npm pack made no tarball in ${work}`);
  await exec('npm', ['install', '-g', '--prefix', prefix, join(work, tarball)], { cwd: work, env: npmEnv, maxBuffer: 64 << 20 });
}, { timeout: 20 * 60_000 });

/** The tarball name prebuild-install looks for: {name}-v{version}-{runtime}-v{abi}-{platform}-{arch}.tar.gz. */
function packLocalSqlitePrebuild(): void {
  const pkgDir = join(repoRoot, 'node_modules', 'better-sqlite3');
  const built = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(built) || process.platform !== 'linux') return; // npm compiles it: slower, same result
  const pkgVersion = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const name = `better-sqlite3-v${pkgVersion}-node-v${process.versions.modules}-linux-${process.arch}.tar.gz`;
  mkdirSync(join(work, 'prebuilds'), { recursive: true });
  execFileSync('tar', ['-czf', join(work, 'prebuilds', name), '-C', pkgDir, 'build/Release/better_sqlite3.node']);
}

after(async () => {
  serve?.kill('SIGKILL');
  await qdrant?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack → npm install -g → the installed command', { timeout: 5 * 60_000 }, () => {
  it('installs compiled JavaScript and the built console, without the sources or a TypeScript loader', () => {
    assert.ok(existsSync(bin), `${bin} is missing`);
    assert.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')), 'dist/cli/main.js is missing');
    assert.ok(existsSync(join(installed, 'web', 'dist', 'index.html')), 'the console (web/dist) is missing');
    assert.equal(existsSync(join(installed, 'src')), false, 'the package ships src/');
    assert.equal(existsSync(join(installed, 'node_modules', 'tsx')), false, 'tsx was installed: the package should not need a loader');
  });

  it('prints its version', async () => {
    const { stdout } = await exec(bin, ['--version'], { env: cliEnv });
    assert.equal(stdout.trim(), version);
  });

  it('inspects the test server (REST and gRPC clients load from the installed dependencies)', async () => {
    const args = ['inspect', '--source-url', qdrant.restUrl, '--source-grpc', '--source-grpc-port', String(qdrant.grpcPort), '--json'];
    const { stdout } = await exec(bin, args, { env: cliEnv, maxBuffer: 16 << 20 });
    assert.match(stdout, /"basic"/);
    assert.match(stdout, /\b40\b/, 'the point count of "basic"');
  });

  it('serves the console and the API', async () => {
    serve = spawn(bin, ['serve', '--port', '0'], { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    serve.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /console: (http:\/\/\S+\/)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        }
      }, 100);
      serve!.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`serve exited ${code}: ${out}`));
      });
    });
    assert.doesNotMatch(out, /not built/);

    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /The console is not built/);
    assert.match(html, /<div id="root">/);
    const script = /src="(?:\.\/|\/)?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, `no script in the console page: ${html}`);
    const asset = await fetch(new URL(script, url));
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);

    const jobs = await fetch(new URL('api/jobs', url));
    assert.deepEqual(await jobs.json(), { jobs: [] });
    const check = await fetch(new URL('api/source/check', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: qdrant.restUrl }) });
    assert.equal(check.status, 200);
    assert.equal(((await check.json()) as { collections: number }).collections, 1);

    serve.kill('SIGTERM');
    const code = await new Promise((resolve) => serve!.once('exit', resolve));
    assert.equal(code, 0, out);
    serve = undefined;
  });
});
