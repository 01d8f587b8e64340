/**
 * The CLI refuses bad input before it connects anywhere (issue 13, defects 3, 4, 8 and the
 * cosmetic items about jobs.db and --home). No servers: every case here must fail (or succeed)
 * without a source or a target, as a user would see it: exit code, one clear message, no stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JobStore } from '../../src/jobs/store.ts';
import { runCli, type CliResult } from '../helpers/harness.ts';

// Nothing listens here: a command that got past its flags would fail differently (unreachable).
const NOWHERE = { QDRANT_URL: 'http://127.0.0.1:9', QDRANT_API_KEY: undefined, MILVUS_URI: 'http://127.0.0.1:9', MILVUS_TOKEN: undefined };

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'q2m-cli-flags-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { ...NOWHERE, QDRANT2MILVUS_HOME: home, ...env });
}

/** One clear message: exit 2, no JavaScript stack trace. */
function assertRefused(r: CliResult, ...expected: RegExp[]): void {
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}\nstderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, `no stack trace expected:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /UNEXPECTED/, r.stderr);
  for (const e of expected) assert.match(r.stderr, e);
}

describe('numeric and enum flags are checked when the command line is parsed (defect 8)', () => {
  const cases: Array<{ args: string[]; flag: string; range: RegExp }> = [
    { args: ['migrate', '--yes', '--verify-sample', 'abc'], flag: '--verify-sample', range: /0 to 100,000/ },
    { args: ['migrate', '--yes', '--verify-sample', '-5'], flag: '--verify-sample', range: /0 to 100,000/ },
    { args: ['migrate', '--yes', '--page-size', '1e9'], flag: '--page-size', range: /1 to 10,000/ },
    { args: ['migrate', '--yes', '--page-size', '0'], flag: '--page-size', range: /1 to 10,000/ },
    { args: ['migrate', '--yes', '--retry-budget', 'soon'], flag: '--retry-budget', range: /0 to 86400/ },
    { args: ['migrate', '--yes', '--max-vector-fields', '11'], flag: '--max-vector-fields', range: /1 to 10/ },
    { args: ['inspect', '--source-grpc-port', 'abc'], flag: '--source-grpc-port', range: /1 to 65,535/ },
    { args: ['inspect', '--source-grpc-port', '99999'], flag: '--source-grpc-port', range: /1 to 65,535/ },
    { args: ['inspect', '--source-transport', 'bogus'], flag: '--source-transport', range: /auto, grpc, rest/ },
    { args: ['plan', '--if-exists', 'overwrite'], flag: '--if-exists', range: /fail, append, drop/ },
    { args: ['plan', '--missing-vector', 'maybe'], flag: '--missing-vector', range: /fail, skip/ },
    { args: ['verify', '--sample', '1.5'], flag: '--sample', range: /0 to 100,000/ },
    { args: ['jobs', 'logs', 'j_x', '--limit', 'abc'], flag: '--limit', range: /1 to 100,000/ },
    { args: ['jobs', 'logs', 'j_x', '--limit', '-1'], flag: '--limit', range: /1 to 100,000/ },
    { args: ['jobs', 'logs', 'j_x', '--offset', '-3'], flag: '--offset', range: /whole number 0 or more/ },
    { args: ['jobs', 'list', '--status', 'bogus'], flag: '--status', range: /one of: (?=.*PENDING)(?=.*IN_PROGRESS)(?=.*SUCCESSFUL)(?=.*FAILED)(?=.*CANCELLED)/ },
    { args: ['serve', '--port', '70000'], flag: '--port', range: /0 to 65,535/ },
    { args: ['serve', '--auth-token', ' '], flag: '--auth-token', range: /blank/ },
  ];
  for (const c of cases) {
    test(`${c.args.join(' ')}`, async () => {
      const r = await cli(c.args);
      assertRefused(r, new RegExp(c.flag.replace(/-/g, '\\-')), c.range);
      // Refused while parsing: nothing was tried against the (unreachable) servers.
      assert.doesNotMatch(r.stderr, /UNREACHABLE|Cannot reach/);
    });
  }

  test('QDRANT_GRPC_PORT stands in for --source-grpc-port and is checked like it', async () => {
    const r = await cli(['inspect'], { QDRANT_GRPC_PORT: '99999' });
    assertRefused(r, /SOURCE_GRPC_PORT_INVALID/, /QDRANT_GRPC_PORT="99999"/, /1 to 65,535/);
    assert.doesNotMatch(r.stderr, /UNREACHABLE|Cannot reach/);
  });

  test('good values pass the parser (and then fail only where the servers are)', async () => {
    const r = await cli(['inspect', '--source-grpc-port', '6334', '--source-transport', 'rest']);
    assert.match(r.stderr, /SOURCE_UNREACHABLE/);
    const listed = await cli(['jobs', 'list', '--status', 'failed']);
    assert.equal(listed.code, 0, listed.stderr);
  });
});

describe('no stack traces, ever (defect 4)', () => {
  test('inspect without QDRANT_URL, as in the README\'s first command', async () => {
    assertRefused(await cli(['inspect'], { QDRANT_URL: undefined }), /SOURCE_URL_MISSING/, /--source-url/);
  });
  test('--source-grpc with --source-rest', async () => {
    assertRefused(await cli(['inspect', '--source-grpc', '--source-rest']), /SOURCE_TRANSPORT_INVALID/, /grpc and rest/);
  });
  test('a source URL that cannot be a URL', async () => {
    assertRefused(await cli(['inspect', '--source-url', 'http://']), /SOURCE_URL_INVALID/, /http:\/\/localhost:6333/);
    assertRefused(await cli(['inspect', '--source-url', 'ftp://qdrant:6333']), /SOURCE_URL_INVALID/, /scheme is ftp/);
  });
  test('a URL with credentials is not echoed in the refusal', async () => {
    const r = await cli(['inspect', '--source-url', 'ftp://admin:s3cret-pw@qdrant:6333']);
    assertRefused(r, /SOURCE_URL_INVALID/);
    assert.doesNotMatch(r.stderr, /s3cret-pw/);
  });
});

describe('empty collection selections are refused (defect 2, flag side)', () => {
  for (const value of ['', ',', ' , ']) {
    test(`--collections ${JSON.stringify(value)}`, async () => {
      assertRefused(await cli(['migrate', '--yes', '--collections', value]), /--collections/, /names no collection/);
      assertRefused(await cli(['plan', '--collections', value]), /--collections/);
      assertRefused(await cli(['inspect', '--collections', value]), /--collections/);
    });
  }
});

describe('large --json output arrives whole through a pipe (defect 3)', () => {
  test('jobs logs --json with ~2 MB of error entries', async () => {
    const store = JobStore.open({ dataDir: home });
    let id: string;
    try {
      id = store.create({
        source: { url: 'http://127.0.0.1:6333' },
        target: { uri: 'http://127.0.0.1:19530', database: 'default' },
        plan: { version: 1, source: { url: 'http://127.0.0.1:6333' }, target: { uri: 'http://127.0.0.1:19530', database: 'default' }, collections: [] },
      }).id;
      const entries = Array.from({ length: 10_000 }, (_, i) => ({ pointId: String(i), code: 'PAYLOAD_TOO_LARGE', message: `point ${i}: its payload is ${70_000 + i} bytes of JSON, above Milvus's 65,536` }));
      store.appendErrors(id, entries);
    } finally {
      store.close();
    }
    const r = await cli(['jobs', 'logs', id, '--json', '--limit', '100000']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 1_048_576, `expected more than 1 MiB of JSON, got ${r.stdout.length} bytes`);
    const parsed = JSON.parse(r.stdout) as { entries: Array<{ pointId: string }>; total: number };
    assert.equal(parsed.entries.length, 10_000);
    assert.equal(parsed.entries.at(-1)?.pointId, '9999');
  });
});

describe('the job database', () => {
  test('a damaged jobs.db is named, with the way out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'q2m-cli-baddb-'));
    try {
      writeFileSync(join(dir, 'jobs.db'), 'this is not a database, it is a text file that got in the way\n'.repeat(100));
      const r = await cli(['jobs', 'list', '--data-dir', dir]);
      assertRefused(r, /JOBS_DB_DAMAGED/, new RegExp(`${join(dir, 'jobs.db').replace(/[/.]/g, '\\$&')}`), /mv /, /--data-dir/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fix texts name flags that exist (--data-dir, not --home)', async () => {
    const r = await cli(['jobs', 'show', 'j_nosuchjob']);
    assertRefused(r, /JOB_NOT_FOUND/, /--data-dir/);
    assert.doesNotMatch(r.stderr, /--home/);
    const help = await cli(['jobs', 'show', '--help']);
    assert.match(help.stdout, /--data-dir/);
  });
});
