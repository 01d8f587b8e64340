import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionPlan, MigrationPlan } from '../../src/core/types.ts';
import { isMigrationError, type MigrationError } from '../../src/core/errors.ts';
import { openDatabase, userVersion } from '../../src/jobs/db.ts';
import { resolveHome } from '../../src/jobs/home.ts';
import { MIGRATIONS } from '../../src/jobs/migrations/index.ts';
import { SECRET_KEY_ENV } from '../../src/jobs/secrets.ts';
import { JobStore, type JobStoreOptions } from '../../src/jobs/store.ts';
import type { JobSpec } from '../../src/jobs/types.ts';

const root = mkdtempSync(join(tmpdir(), 'q2m-jobstore-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
/** A fresh, not yet existing data dir per test. */
const freshDir = () => join(root, `home-${++dirs}`);

const KEY_ENV = { [SECRET_KEY_ENV]: randomBytes(32).toString('base64') };
const API_KEY = 'qdrant-api-key-7f3c9a1e5b';
const TOKEN = 'milvus-token-root:Milvus-d41d8cd9';

function collectionPlan(source: string, count: number): CollectionPlan {
  return {
    source,
    target: `${source}_m`,
    description: '',
    primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [],
    dynamicField: true,
    partitionKey: null,
    policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
    ifExists: 'fail',
    sourceCount: count,
  };
}

const plan: MigrationPlan = {
  version: 1,
  source: { url: 'http://qdrant:6333' },
  target: { uri: 'http://milvus:19530', database: 'default' },
  collections: [collectionPlan('books', 1000), collectionPlan('films', 20)],
};
const spec: JobSpec = {
  source: { url: 'http://qdrant:6333', apiKey: API_KEY },
  target: { uri: 'http://milvus:19530', token: TOKEN, database: 'default' },
  plan,
  options: { pageSize: 256, readers: 2 },
};

function openStore(options: JobStoreOptions = {}): JobStore {
  return JobStore.open({ env: KEY_ENV, ...options, dataDir: options.dataDir ?? freshDir() });
}

/** Asserts `fn` throws a MigrationError with this code and returns it. */
function throwsCode(fn: () => unknown, code: string): MigrationError {
  try {
    fn();
  } catch (e) {
    assert.ok(isMigrationError(e), `expected a MigrationError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(pid);
  return pid;
}

describe('data directory', () => {
  it('prefers the explicit option, then the env var, and creates it 0700', () => {
    const explicit = freshDir();
    const fromEnv = freshDir();
    assert.equal(resolveHome({ dataDir: explicit, env: { QDRANT2MILVUS_HOME: fromEnv } }), explicit);
    assert.equal(resolveHome({ env: { QDRANT2MILVUS_HOME: fromEnv } }), fromEnv);
    assert.equal(statSync(explicit).mode & 0o777, 0o700);
    assert.equal(statSync(fromEnv).mode & 0o777, 0o700);
  });
});

describe('database and migrations', () => {
  it('applies migrations once and reopens without re-running them', () => {
    const dir = freshDir();
    const store = openStore({ dataDir: dir });
    const id = store.create(spec).id;
    store.close();
    const db = openDatabase(dir);
    assert.equal(userVersion(db), MIGRATIONS.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('synchronous', { simple: true }), 2); // FULL
    assert.ok((db.pragma('busy_timeout', { simple: true }) as number) > 0);
    db.close();
    const again = openStore({ dataDir: dir });
    assert.equal(again.get(id).status, 'PENDING');
    again.close();
  });

  it('applies a new numbered migration on top, exactly once', () => {
    const dir = freshDir();
    resolveHome({ dataDir: dir });
    openDatabase(dir).close();
    // Not idempotent SQL on purpose: a second run would fail with "table extra already exists".
    const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER)' }];
    openDatabase(dir, next).close();
    const db = openDatabase(dir, next);
    assert.equal(userVersion(db), next.length);
    db.close();
    throwsCode(() => openDatabase(dir), 'JOBS_DB_TOO_NEW');
  });
});

describe('jobs and transitions', () => {
  it('creates a PENDING job with its collections, redacted', () => {
    const store = openStore();
    const job = store.create(spec);
    assert.match(job.id, /^j_[a-z2-7]{10}$/);
    assert.equal(job.status, 'PENDING');
    assert.deepEqual(job.source, { url: 'http://qdrant:6333', apiKey: '***' });
    assert.deepEqual(job.target, { uri: 'http://milvus:19530', token: '***', database: 'default' });
    assert.deepEqual(job.plan, plan);
    assert.deepEqual(job.options, { pageSize: 256, readers: 2 });
    assert.deepEqual(job.collections.map((c) => [c.source, c.target, c.status, c.total]), [
      ['books', 'books_m', 'PENDING', 1000],
      ['films', 'films_m', 'PENDING', 20],
    ]);
    assert.ok(!JSON.stringify(store.list()).includes(API_KEY));
    store.close();
  });

  it('allows the lifecycle, resume included, and refuses anything else clearly', () => {
    const store = openStore();
    const { id } = store.create(spec);
    throwsCode(() => store.transition(id, 'SUCCESSFUL'), 'JOB_TRANSITION_INVALID');
    const running = store.transition(id, 'IN_PROGRESS');
    assert.equal(running.ownerPid, process.pid);
    assert.ok(running.startedAt);
    const failed = store.transition(id, 'FAILED', { error: { code: 'TARGET_DOWN', message: 'Milvus went away.' } });
    assert.deepEqual(failed.error, { code: 'TARGET_DOWN', message: 'Milvus went away.' });
    assert.equal(failed.ownerPid, null);
    assert.ok(failed.endedAt);
    const resumed = store.transition(id, 'IN_PROGRESS');
    assert.equal(resumed.error, null);
    assert.equal(resumed.endedAt, null);
    assert.equal(resumed.startedAt, running.startedAt);
    assert.equal(store.transition(id, 'SUCCESSFUL').status, 'SUCCESSFUL');
    const refused = throwsCode(() => store.transition(id, 'IN_PROGRESS'), 'JOB_TRANSITION_INVALID');
    assert.equal(refused.kind, 'system');
    assert.match(refused.message, /from SUCCESSFUL to IN_PROGRESS/);
    throwsCode(() => store.transition('j_nosuchjob0', 'IN_PROGRESS'), 'JOB_NOT_FOUND');
    assert.deepEqual(store.list({ status: 'SUCCESSFUL' }).map((j) => j.id), [id]);
    assert.deepEqual(store.list({ status: ['PENDING', 'FAILED'] }), []);
    store.close();
  });

  it('lets exactly one of two processes resume a job', () => {
    const dir = freshDir();
    const a = openStore({ dataDir: dir });
    const b = openStore({ dataDir: dir });
    const { id } = a.create(spec);
    a.transition(id, 'IN_PROGRESS');
    a.transition(id, 'CANCELLED');
    a.transition(id, 'IN_PROGRESS');
    throwsCode(() => b.transition(id, 'IN_PROGRESS', { pid: 4242 }), 'JOB_TRANSITION_INVALID');
    assert.equal(b.get(id).ownerPid, process.pid);
    a.close();
    b.close();
  });

  it('updates collection progress and stamps times on status changes', () => {
    const store = openStore();
    const { id } = store.create(spec);
    store.updateCollection(id, 'books', { status: 'IN_PROGRESS', phase: 'copy' });
    store.updateCollection(id, 'books', { written: 500, rejected: 2, nullsDropped: 7, mismatchNulled: 3, renamedKeys: { id: 'id_1' } });
    store.updateCollection(id, 'books', { status: 'SUCCESSFUL', phase: 'done', sourceCount: 1000, targetCount: 1000, verified: true });
    const books = store.get(id).collections[0];
    assert.ok(books?.startedAt && books.endedAt);
    assert.deepEqual(
      { ...books, startedAt: null, endedAt: null },
      {
        source: 'books', target: 'books_m', status: 'SUCCESSFUL', phase: 'done', total: 1000, written: 500, rejected: 2,
        nullsDropped: 7, mismatchNulled: 3, renamedKeys: { id: 'id_1' }, startedAt: null, endedAt: null, sourceCount: 1000, targetCount: 1000, verified: true,
      },
    );
    throwsCode(() => store.updateCollection(id, 'nope', { written: 1 }), 'JOB_COLLECTION_NOT_FOUND');
    store.setVerification(id, { ok: true });
    assert.deepEqual(store.get(id).verification, { ok: true });
    store.close();
  });
});

describe('checkpoints', () => {
  it('round-trip per range, upsert, and survive close and reopen', () => {
    const dir = freshDir();
    const store = openStore({ dataDir: dir });
    const { id } = store.create(spec);
    store.saveCheckpoint(id, 'books', 1, { from: '500', to: null, cursor: '700', done: false, written: 200 });
    store.saveCheckpoint(id, 'books', 0, { from: null, to: '500', cursor: '100', done: false, written: 100 });
    store.saveCheckpoint(id, 'books', 0, { from: null, to: '500', cursor: null, done: true, written: 497, rejected: 3 });
    store.saveCheckpoint(id, 'films', 0, { from: null, to: null, cursor: '00000000-0000-0000-0000-00000000000a', done: false, written: 3 });
    throwsCode(() => store.saveCheckpoint(id, 'nope', 0, { from: null, to: null, cursor: null, done: false, written: 0 }), 'JOB_COLLECTION_NOT_FOUND');
    store.close();
    const reopened = openStore({ dataDir: dir });
    assert.deepEqual(reopened.loadCheckpoints(id, 'books'), [
      { rangeIndex: 0, from: null, to: '500', cursor: null, done: true, written: 497, rejected: 3 },
      { rangeIndex: 1, from: '500', to: null, cursor: '700', done: false, written: 200, rejected: 0 },
    ]);
    assert.equal(reopened.loadCheckpoints(id, 'films')[0]?.cursor, '00000000-0000-0000-0000-00000000000a');
    assert.equal(reopened.clearCheckpoints(id, 'books'), 2);
    assert.deepEqual(reopened.loadCheckpoints(id, 'books'), []);
    reopened.close();
  });

  it('are saved together with collection counters inside one transaction', () => {
    const store = openStore();
    const { id } = store.create(spec);
    assert.throws(() =>
      store.transaction(() => {
        store.saveCheckpoint(id, 'books', 0, { from: null, to: null, cursor: '9', done: false, written: 9 });
        store.updateCollection(id, 'books', { written: 9 });
        throw new Error('crash between the two writes');
      }),
    );
    assert.deepEqual(store.loadCheckpoints(id, 'books'), []);
    assert.equal(store.get(id).collections[0]?.written, 0);
    store.close();
  });
});

describe('error log', () => {
  it('keeps at most N rows per job but exact counts per collection and code', () => {
    const store = openStore({ maxErrorsPerJob: 5 });
    const { id } = store.create(spec);
    const other = store.create(spec).id;
    for (let i = 0; i < 9; i++) store.appendError(id, { collection: 'books', pointId: String(i), code: 'DIM_MISMATCH', message: `point ${i}` });
    store.appendErrors(id, [
      { collection: 'films', code: 'JSON_TOO_LARGE', message: 'a' },
      { collection: 'films', code: 'JSON_TOO_LARGE', message: 'b' },
      { code: 'TARGET_DOWN', message: 'job-level' },
    ]);
    store.appendError(other, { collection: 'books', code: 'DIM_MISMATCH', message: 'other job' });
    const page = store.errors(id, { offset: 0, limit: 100 });
    assert.deepEqual({ ...page, entries: page.entries.length }, { entries: 5, total: 12, logged: 5, dropped: 7, truncated: true });
    assert.deepEqual(page.entries.map((e) => e.pointId), ['0', '1', '2', '3', '4']);
    assert.deepEqual(store.errors(id, { offset: 3, limit: 1 }).entries.map((e) => e.message), ['point 3']);
    assert.deepEqual(store.errorCounts(id), [
      { collection: null, code: 'TARGET_DOWN', count: 1 },
      { collection: 'books', code: 'DIM_MISMATCH', count: 9 },
      { collection: 'films', code: 'JSON_TOO_LARGE', count: 2 },
    ]);
    assert.equal(store.errors(other).truncated, false);
    throwsCode(() => store.appendError('j_nosuchjob0', { code: 'X', message: 'y' }), 'JOB_NOT_FOUND');
    store.delete(id);
    throwsCode(() => store.errors(id), 'JOB_NOT_FOUND');
    store.close();
  });
});

describe('secrets', () => {
  it('never writes the plaintext api key or token to the database files', () => {
    const dir = freshDir();
    const store = openStore({ dataDir: dir });
    const { id } = store.create(spec);
    store.transition(id, 'IN_PROGRESS');
    assert.deepEqual(store.secretsFor(id), { apiKey: API_KEY, token: TOKEN });
    store.appendError(id, { code: 'AUTH', message: `rejected key ${API_KEY}` });
    assert.equal(store.errors(id).entries[0]?.message, 'rejected key ***');
    const files = ['jobs.db', 'jobs.db-wal', 'jobs.db-shm'].map((f) => join(dir, f));
    const scan = () => {
      for (const f of files.filter(existsSync)) {
        const bytes = readFileSync(f);
        for (const secret of [API_KEY, TOKEN]) {
          assert.equal(bytes.includes(Buffer.from(secret)), false, `${f} holds a plaintext secret`);
          assert.equal(bytes.includes(Buffer.from(secret).toString('base64').slice(0, 16)), false, `${f} holds a base64 secret`);
        }
      }
    };
    assert.ok(existsSync(files[1] ?? ''), 'the WAL file exists while the store is open');
    scan();
    store.close();
    scan();
  });

  it('reports a changed key as a clear config error that names the job, not the secret', () => {
    const dir = freshDir();
    const store = openStore({ dataDir: dir });
    const { id } = store.create(spec);
    store.close();
    const other = openStore({ dataDir: dir, env: { [SECRET_KEY_ENV]: randomBytes(32).toString('hex') } });
    const e = throwsCode(() => other.secretsFor(id), 'SECRET_KEY_MISMATCH');
    assert.equal(e.kind, 'config');
    assert.match(e.message, new RegExp(`${id}.*key changed`));
    assert.match(e.fix ?? '', new RegExp(`${SECRET_KEY_ENV}.*original key.*re-create the job`));
    assert.ok(!JSON.stringify({ m: e.message, f: e.fix }).includes(API_KEY));
    other.close();
  });

  it('rejects a malformed env key, naming the variable but not echoing it', () => {
    const bad = 'not-a-key-but-a-password';
    const store = openStore({ env: { [SECRET_KEY_ENV]: bad } });
    const e = throwsCode(() => store.create(spec), 'SECRET_KEY_INVALID');
    assert.match(e.message, new RegExp(SECRET_KEY_ENV));
    assert.ok(!e.message.includes(bad) && !(e.fix ?? '').includes(bad));
    assert.deepEqual(store.list(), []);
    store.close();
  });

  it('creates the key file 0600 and refuses one readable by others', () => {
    const dir = freshDir();
    const store = openStore({ dataDir: dir, env: {} });
    const { id } = store.create(spec);
    const keyFile = join(dir, 'secret.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    store.close();
    assert.equal(openStore({ dataDir: dir, env: {} }).secretsFor(id).apiKey, API_KEY);
    chmodSync(keyFile, 0o640);
    const loose = openStore({ dataDir: dir, env: {} });
    const e = throwsCode(() => loose.secretsFor(id), 'SECRET_KEY_FILE_PERMISSIONS');
    assert.match(e.fix ?? '', /chmod 600/);
    loose.close();
  });

  it('stores no credential when none is given, without needing a key', () => {
    const dir = freshDir();
    const store = openStore({ dataDir: dir, env: {} });
    const job = store.create({ ...spec, source: { url: 'http://q' }, target: { uri: 'http://m', database: 'db' } });
    assert.deepEqual(job.source, { url: 'http://q' });
    assert.deepEqual(store.secretsFor(job.id), {});
    assert.equal(existsSync(join(dir, 'secret.key')), false);
    store.close();
  });
});

describe('several processes on one database', () => {
  it('see each other\'s cancel requests', () => {
    const dir = freshDir();
    const engine = openStore({ dataDir: dir });
    const cli = openStore({ dataDir: dir });
    const { id } = engine.create(spec);
    engine.transition(id, 'IN_PROGRESS');
    assert.equal(engine.isCancelRequested(id), false);
    assert.equal(cli.requestCancel(id), 'requested');
    assert.equal(engine.isCancelRequested(id), true);
    engine.transition(id, 'CANCELLED');
    assert.equal(cli.get(id).status, 'CANCELLED');
    assert.equal(cli.requestCancel(id), 'finished');
    const pending = cli.create(spec).id;
    assert.equal(cli.requestCancel(pending), 'cancelled');
    assert.equal(engine.get(pending).status, 'CANCELLED');
    engine.close();
    cli.close();
  });

  it('recovers jobs left IN_PROGRESS by a dead process, and guards live ones from delete', () => {
    const store = openStore();
    const orphan = store.create(spec).id;
    const live = store.create(spec).id;
    store.transition(orphan, 'IN_PROGRESS', { pid: deadPid() });
    store.transition(live, 'IN_PROGRESS');
    assert.deepEqual(store.recoverOrphans(), [orphan]);
    assert.equal(store.get(orphan).error?.code, 'JOB_INTERRUPTED');
    assert.equal(store.get(live).status, 'IN_PROGRESS');
    throwsCode(() => store.delete(live), 'JOB_RUNNING');
    store.saveCheckpoint(orphan, 'books', 0, { from: null, to: null, cursor: '1', done: false, written: 1 });
    store.delete(orphan);
    throwsCode(() => store.get(orphan), 'JOB_NOT_FOUND');
    const crashed = store.create(spec).id;
    store.transition(crashed, 'IN_PROGRESS', { pid: deadPid() });
    assert.equal(store.requestCancel(crashed), 'cancelled');
    store.close();
  });
});
