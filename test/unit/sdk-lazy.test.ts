/**
 * The CLI defers the Milvus SDK's BulkWriter (src/milvus/sdk-lazy.ts): a command that never uses it
 * does not load it (nor parquetjs, thrift, the AWS S3 client), and code that does use it gets the
 * real classes. Each check runs in a fresh process: the module cache is what is being tested.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** Runs an ES module body in a fresh node (with tsx) from the repository root; its stdout as JSON. */
function inFreshProcess(body: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(out.toString()) as Record<string, unknown>;
}

const loaded = `(await import('node:module')).createRequire(import.meta.url).cache`;
const has = (what: string) => `Object.keys(${loaded}).some((k) => k.includes(${JSON.stringify(what)}))`;

describe('the SDK BulkWriter, deferred', () => {
  it('is not loaded by the SDK, and its stand-ins reach the real classes on first use', () => {
    const r = inFreshProcess(`
      await import('./src/cli/start-up.ts');
      const sdk = await import('@zilliz/milvus2-sdk-node');
      const { SDK_BULKWRITER_MODULE, SDK_BULKWRITER_EXPORTS } = await import('./src/milvus/sdk-lazy.ts');
      const client = typeof sdk.MilvusClient;
      const before = { parquet: ${has('/@shanghaikid/parquetjs/')}, s3: ${has('/@aws-sdk/client-s3/')} };
      const name = sdk.BulkWriter.name;
      const after = { parquet: ${has('/@shanghaikid/parquetjs/')} };
      const real = (await import('node:module')).createRequire(import.meta.url)(SDK_BULKWRITER_MODULE);
      const same = SDK_BULKWRITER_EXPORTS.map((n) => typeof real[n] === 'function' && sdk[n].prototype === real[n].prototype && Object.create(real[n].prototype) instanceof sdk[n]);
      class Mine extends sdk.ColumnBuffer {}
      console.log(JSON.stringify({ client, before, name, after, realNames: Object.keys(real), names: SDK_BULKWRITER_EXPORTS, same, extendsReal: Mine.prototype instanceof real.ColumnBuffer }));
    `);
    assert.equal(r.client, 'function');
    assert.deepEqual(r.before, { parquet: false, s3: false }, 'loading the SDK loaded its BulkWriter anyway');
    // First use: the real module, with exactly the names the stand-in offers (an SDK upgrade that
    // changes them fails here).
    assert.equal(r.name, 'BulkWriter');
    assert.deepEqual(r.after, { parquet: true });
    assert.deepEqual(r.realNames, r.names);
    assert.deepEqual(r.same, (r.names as string[]).map(() => true));
    assert.equal(r.extendsReal, true);
  });

  it('is not loaded by a CLI command', () => {
    // The CLI's entry (bin) runs start-up.ts before main.ts; --help loads every command's module.
    const dir = mkdtempSync(join(tmpdir(), 'q2m-sdk-lazy-'));
    const report = join(dir, 'report.cjs');
    writeFileSync(report, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify(Object.keys(require.cache))));`);
    try {
      execFileSync(process.execPath, ['-r', report, join(root, 'bin', 'qdrant2milvus.js'), '--help'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, stdio: 'ignore' });
      const files = JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[];
      assert.ok(files.some((f) => f.includes('/@zilliz/milvus2-sdk-node/')), 'the CLI did not load the SDK at all: this test checks nothing');
      assert.deepEqual(files.filter((f) => /\/(@shanghaikid\/parquetjs|@aws-sdk\/client-s3|thrift)\//.test(f)), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shares the gRPC service classes between clients, each service its own', () => {
    const r = inFreshProcess(`
      const { shareSdkServiceClasses } = await import('./src/milvus/sdk-lazy.ts');
      const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
      // Nothing listens on port 9: the clients are only constructed (their connect attempt fails quietly).
      const make = () => {
        const c = new MilvusClient({ address: '127.0.0.1:9', logLevel: 'error', telemetry: { enabled: false } });
        c.connectPromise.catch(() => undefined);
        return c;
      };
      const before = [make(), make()];
      shareSdkServiceClasses();
      const after = [make(), make()];
      const services = (c) => [c._MilvusService, c._ClientTelemetryService];
      const out = {
        unsharedBefore: before[0]._MilvusService !== before[1]._MilvusService,
        shared: services(after[0]).every((s, i) => s === services(after[1])[i]),
        distinct: after[0]._MilvusService !== after[0]._ClientTelemetryService,
        upsert: typeof after[1]._MilvusService.service.Upsert?.path,
        channels: after[0].channelPool !== after[1].channelPool,
      };
      await Promise.all([...before, ...after].map((c) => c.closeConnection().catch(() => undefined)));
      console.log(JSON.stringify(out));
      process.exit(0);
    `);
    // The SDK made a class per client (so the memo is what shares them), and with it one class per
    // service, while every client keeps a channel pool of its own.
    assert.deepEqual(r, { unsharedBefore: true, shared: true, distinct: true, upsert: 'string', channels: true });
  });
});
