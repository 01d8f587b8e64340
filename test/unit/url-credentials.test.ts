/**
 * Credentials in URLs (`http://user:password@host`): split off, put back, masked in any text, and
 * kept by the job store sealed apart from the URL, also for rows written before migration 003.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { redact } from '../../src/core/errors.ts';
import type { MigrationPlan } from '../../src/core/types.ts';
import { basicAuthorization, maskUrlUserinfo, splitUserinfo, withUserinfo } from '../../src/core/url-credentials.ts';
import { JobStore } from '../../src/jobs/store.ts';

describe('URL credentials', () => {
  it('splits them off as written and puts them back encoded', () => {
    assert.deepEqual(splitUserinfo('http://alice:p%40ss@qdrant:6333'), { url: 'http://qdrant:6333', userinfo: 'alice:p@ss' });
    // An unencoded @ in the password: the last @ of the authority ends the userinfo, as in new URL().
    assert.deepEqual(splitUserinfo('https://alice:p@ss@qdrant/x?y=1'), { url: 'https://qdrant/x?y=1', userinfo: 'alice:p@ss' });
    assert.deepEqual(splitUserinfo('http://qdrant:6333'), { url: 'http://qdrant:6333' });
    assert.deepEqual(splitUserinfo('not a url'), { url: 'not a url' });
    assert.equal(withUserinfo('http://qdrant:6333', 'alice:p@ss'), 'http://alice:p%40ss@qdrant:6333');
    assert.equal(new URL(withUserinfo('http://qdrant:6333', 'alice:p@ss')).password, 'p%40ss');
    assert.equal(basicAuthorization('alice:p@ss'), `Basic ${Buffer.from('alice:p@ss').toString('base64')}`);
  });

  it('masks them in any text, so an error quoting a URL cannot leak them', () => {
    const text = 'fetch http://alice:s3cret@qdrant:6333/collections failed; target https://root:Milvus@zilliz:443';
    assert.equal(maskUrlUserinfo(text), 'fetch http://***@qdrant:6333/collections failed; target https://***@zilliz:443');
    assert.equal(redact(text, []), maskUrlUserinfo(text));
  });
});

describe('the job store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'q2m-urlcreds-'));
  const store = JobStore.open({ dataDir });
  after(() => store.close());
  const plan = (url: string, uri: string): MigrationPlan => ({
    version: 1,
    source: { url },
    target: { uri, database: 'default' },
    collections: [{
      source: 'books', target: 'books', description: '', primaryKey: { field: 'id', type: 'Int64', autoId: false }, vectors: [],
      dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'fail', sourceCount: 1,
    }],
  });
  const SRC = 'http://alice:Src-pw-91@qdrant:6333';
  const TGT = 'http://root:Tgt-pw-37@milvus:19530';

  it('seals them apart: the row, the plan and every read show the URL without them; secretsFor has them', () => {
    const { id } = store.create({ source: { url: SRC }, target: { uri: TGT, database: 'default' }, plan: plan(SRC, TGT) });
    const job = store.get(id);
    assert.equal(job.source.url, 'http://qdrant:6333');
    assert.equal(job.target.uri, 'http://milvus:19530');
    assert.equal(job.plan.source.url, 'http://qdrant:6333');
    assert.equal(job.plan.target.uri, 'http://milvus:19530');
    const secrets = store.secretsFor(id);
    assert.deepEqual([secrets.sourceUserinfo, secrets.targetUserinfo], ['alice:Src-pw-91', 'root:Tgt-pw-37']);
    for (const file of ['jobs.db', 'jobs.db-wal']) {
      const bytes = readFileSync(join(dataDir, file)).toString('latin1');
      assert.ok(!bytes.includes('Src-pw-91') && !bytes.includes('Tgt-pw-37'), `${file} holds a password`);
    }
    // Error text recorded for the job is scrubbed of them (the store knows them once unsealed).
    store.transition(id, 'IN_PROGRESS');
    store.transition(id, 'FAILED', { error: { code: 'X', message: 'reading Src-pw-91 at qdrant failed' } });
    assert.ok(!store.get(id).error!.message.includes('Src-pw-91'));
  });

  it('reads rows written before migration 003 without showing their credentials, and resumes with them', () => {
    const { id } = store.create({ source: { url: 'http://qdrant:6333' }, target: { uri: 'http://milvus:19530', database: 'default' }, plan: plan('http://qdrant:6333', 'http://milvus:19530') });
    const db = new Database(join(dataDir, 'jobs.db'));
    db.prepare("UPDATE jobs SET source_url = ?, target_uri = ?, plan_json = ?, status = 'FAILED', error_code = 'X', error_message = ? WHERE id = ?")
      .run(SRC, TGT, JSON.stringify(plan(SRC, TGT)), `cannot reach ${SRC}`, id);
    db.close();
    const text = JSON.stringify([store.get(id), store.list()]);
    assert.ok(!text.includes('Src-pw-91') && !text.includes('Tgt-pw-37'), text);
    const secrets = store.secretsFor(id);
    assert.deepEqual([secrets.sourceUserinfo, secrets.targetUserinfo], ['alice:Src-pw-91', 'root:Tgt-pw-37']);
  });
});
