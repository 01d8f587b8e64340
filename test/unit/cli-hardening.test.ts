/**
 * Issue 13 hardening, the pure parts: flag parsers, endpoint checks, the page-size bound, exact
 * big numbers in verify, progress read from checkpoints after a crash, and the exit code of a run
 * that wrote nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { intIn, nameList, oneOf, secondsIn } from '../../src/cli/flags.ts';
import { finish, nothingWritten } from '../../src/cli/report.ts';
import { boundedPageSize, MAX_PAGE_BYTES, estimateRowBytes, pageSizeFor } from '../../src/core/defaults.ts';
import { checkEndpoint, SOURCE_ENDPOINT, TARGET_ENDPOINT } from '../../src/core/endpoints.ts';
import { isMigrationError } from '../../src/core/errors.ts';
import type { CollectionReport, MigrationReport } from '../../src/core/migrate.ts';
import type { CollectionPlan } from '../../src/core/types.ts';
import { diffJson } from '../../src/core/verify.ts';
import { JobStore } from '../../src/jobs/store.ts';

const root = mkdtempSync(join(tmpdir(), 'q2m-cli-hardening-'));
after(() => rmSync(root, { recursive: true, force: true }));

function refuses(parse: (v: string) => unknown, value: string, message: RegExp): void {
  assert.throws(() => parse(value), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
}

describe('flag parsers', () => {
  it('whole numbers within a range, in plain digits only', () => {
    const port = intIn(1, 65535);
    assert.equal(port('6334'), 6334);
    for (const bad of ['abc', '', '1e3', '0x10', '1.5', '0', '65536', '-1']) refuses(port, bad, /whole number from 1 to 65,535/);
  });
  it('seconds may be fractional but not negative', () => {
    assert.equal(secondsIn(0, 60)('2.5'), 2.5);
    refuses(secondsIn(0, 60), '-1', /from 0 to 60/);
    refuses(secondsIn(0, 60), '', /from 0 to 60/);
  });
  it('one of a closed set, listing it', () => {
    assert.equal(oneOf(['a', 'b'])('b'), 'b');
    refuses(oneOf(['a', 'b']), 'c', /one of: a, b/);
  });
  it('a name list never comes back empty', () => {
    assert.deepEqual(nameList(' a, b ,,c'), ['a', 'b', 'c']);
    for (const empty of ['', ',', ' , ,']) refuses(nameList, empty, /names no collection/);
  });
});

describe('endpoints', () => {
  it('host:port becomes http://host:port, with a notice', () => {
    for (const [raw, url] of [['127.0.0.1:6333', 'http://127.0.0.1:6333'], ['localhost:6333', 'http://localhost:6333'], ['qdrant.internal', 'http://qdrant.internal']]) {
      const e = checkEndpoint(raw!, SOURCE_ENDPOINT);
      assert.equal(e.url, url);
      assert.match(e.notice ?? '', /has no scheme/);
    }
  });
  it('http(s) URLs pass as they are', () => {
    assert.deepEqual(checkEndpoint('https://x.zillizcloud.com:443', TARGET_ENDPOINT), { url: 'https://x.zillizcloud.com:443' });
  });
  it('anything else is refused with the reason and an example, credentials hidden', () => {
    for (const [raw, reason] of [['ftp://h:1', /scheme is ftp/], ['http://', /not a URL/], ['a b:1', /not a URL/]] as const) {
      assert.throws(() => checkEndpoint(raw, TARGET_ENDPOINT), (e: unknown) => isMigrationError(e) && e.code === 'TARGET_URI_INVALID' && reason.test(e.message) && /localhost:19530/.test(e.fix ?? ''));
    }
    assert.throws(() => checkEndpoint('tcp://root:pw-s3cret@h:1', TARGET_ENDPOINT), (e: Error) => !e.message.includes('pw-s3cret') && e.message.includes('***@'));
  });
});

function planWithDim(dim: number): CollectionPlan {
  return {
    source: 's', target: 's', description: '', primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim, metric: 'COSINE', index: { type: 'AUTOINDEX', params: {} } }],
    dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'fail', sourceCount: 0,
  } as unknown as CollectionPlan;
}

describe('page size', () => {
  it('a requested page is held under MAX_PAGE_BYTES of estimated rows', () => {
    const wide = planWithDim(32_768);
    const size = boundedPageSize(wide, 10_000);
    assert.ok(size * estimateRowBytes(wide) <= MAX_PAGE_BYTES, `${size} points`);
    assert.ok(size < 200);
    assert.equal(boundedPageSize(wide, 1e9), size);
  });
  it('small requests and small rows are left alone; no request means the default', () => {
    assert.equal(boundedPageSize(planWithDim(16), 10_000), 10_000);
    assert.equal(boundedPageSize(planWithDim(32_768), 10), 10);
    assert.equal(boundedPageSize(planWithDim(768), undefined), pageSizeFor(planWithDim(768)));
  });
});

describe('verify: big numbers', () => {
  it('the double 2^64 and the text 18446744073709552000 are the same number', () => {
    assert.equal(diffJson({ big: 2 ** 64 + 5 }, { big: 18446744073709552000n }, '$'), null);
    assert.equal(diffJson({ big: 2n ** 64n + 5n }, { big: 2n ** 64n + 5n }, '$'), null);
  });
  it('different big numbers are a mismatch, printed exactly', () => {
    assert.equal(diffJson(2n ** 64n + 5n, 2n ** 64n + 6n, '$'), '$: expected 18446744073709551621, found 18446744073709551622');
    assert.equal(diffJson(2 ** 64, 2n ** 64n + 8192n, '$'), '$: expected 18446744073709551616, found 18446744073709559808');
  });
  it('a bigint against a fraction is a mismatch, not a crash', () => {
    assert.match(diffJson(2n ** 64n, 1.5, '$') ?? '', /expected 18446744073709551616, found 1\.5/);
  });
});

describe('progress after a crash', () => {
  it('a job shows the checkpointed count, not the last (older) progress row', () => {
    const store = JobStore.open({ dataDir: join(root, 'crash'), env: { QDRANT2MILVUS_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } });
    try {
      const plan = { ...planWithDim(4), source: 'books', target: 'books', sourceCount: 30_000 };
      const { id } = store.create({ source: { url: 'http://q:6333' }, target: { uri: 'http://m:19530', database: 'default' }, plan: { version: 1, source: { url: 'http://q:6333' }, target: { uri: 'http://m:19530', database: 'default' }, collections: [plan] } });
      store.transition(id, 'IN_PROGRESS');
      // Progress rows are saved about once a second; checkpoints after every acked page. kill -9 here:
      store.updateCollection(id, 'books', { status: 'IN_PROGRESS', total: 30_000, written: 18_000, rejected: 1 });
      store.saveCheckpoint(id, 'books', 0, { from: null, to: '15001', cursor: '10001', done: false, written: 10_000, rejected: 2 });
      store.saveCheckpoint(id, 'books', 1, { from: '15001', to: null, cursor: '24207', done: false, written: 9_206, rejected: 0 });
      const books = store.get(id).collections[0]!;
      assert.equal(books.written, 19_206);
      assert.equal(books.rejected, 2);
    } finally {
      store.close();
    }
  });
});

describe('a run that wrote nothing', () => {
  const collection = (extra: Partial<CollectionReport>): CollectionReport => ({
    source: 'a', target: 'a', status: 'SUCCESSFUL', sourceCount: 12, targetCount: 0, written: 0, rejected: [], rejectedCount: 12,
    nullsDropped: 0, mismatchNulled: 0, renamedKeys: {}, durationMs: 1, verified: true, ...extra,
  });
  const report = (c: CollectionReport): MigrationReport & { jobId: string } => ({ jobId: 'j_x', ok: true, cancelled: false, collections: [c] });

  it('every point rejected: exit 1 and a plain sentence, unless --allow-empty', () => {
    const said: string[] = [];
    assert.equal(finish(report(collection({})), {}, (t) => said.push(t)), 1);
    assert.match(said.join('\n'), /NOTHING WAS WRITTEN to "a"/);
    assert.doesNotMatch(said.join('\n'), /Migration complete/);
    assert.equal(finish(report(collection({})), { allowEmpty: true }, () => undefined), 0);
  });
  it('an empty source collection, or some points written, is a normal success', () => {
    assert.deepEqual(nothingWritten(report(collection({ sourceCount: 0, rejectedCount: 0 }))), []);
    assert.equal(finish(report(collection({ written: 1, rejectedCount: 11, targetCount: 1 })), {}, () => undefined), 0);
  });
});
