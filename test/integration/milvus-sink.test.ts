/**
 * The Milvus sink against a real server: Milvus Lite 3.2.2 from the test kit, the test kit engine
 * Q2M_TARGET_ENGINE names (lite25, standalone23), or a real Milvus / Zilliz Cloud when MILVUS_URI
 * (+ MILVUS_TOKEN, MILVUS_DB) is set. Against a real server, collections get a unique prefix and are
 * dropped at the end.
 *
 * The plans follow what the target holds (probed): a sparse field only where the target takes
 * sparse vectors and a second vector field (not Milvus 2.3.5). The probe itself is checked against
 * what each test kit engine is known to be.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sink } from '../../src/core/contracts.ts';
import type { CollectionPlan, Row, TargetCapabilities, VectorFieldPlan } from '../../src/core/types.ts';
import { MigrationError } from '../../src/core/errors.ts';
import { createMilvusSink } from '../../src/milvus/index.ts';
import { PROBE_SMALL_BYTES } from '../../src/milvus/probe-write-size.ts';
import { milvusEngines, startMilvus, type MilvusEngine, type MilvusServer } from '../../testkit/milvus/launcher.ts';

const external = process.env.MILVUS_URI;
let token = process.env.MILVUS_TOKEN || undefined;
/** Which engine the target is, when known: the one started here, or Q2M_TARGET_ENGINE beside MILVUS_URI. */
const engine = (milvusEngines as readonly string[]).includes(process.env.Q2M_TARGET_ENGINE ?? '')
  ? (process.env.Q2M_TARGET_ENGINE as MilvusEngine)
  : external ? undefined : 'lite3';
const database = process.env.MILVUS_DB || undefined;
const prefix = `q2m_t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}_`;
let lite: MilvusServer | undefined;
/** Plans carry a sparse field `text` only where the target takes it. */
let withSparse = true;
let uri = '';
let sink: Sink;
let caps: TargetCapabilities;
const created = new Set<string>();

before(async () => {
  if (external) uri = external;
  else {
    console.log(`# milvus-sink: MILVUS_URI is not set, so the suite runs against the test kit's ${engine}`);
    lite = await startMilvus({ engine, auth: engine === 'standalone23' });
    uri = lite.uri;
    token = lite.token;
  }
  sink = await createMilvusSink({ uri, token, database });
  caps = await sink.capabilities();
  withSparse = caps.sparseVector && (caps.maxVectorFields ?? 4) >= 2;
  if (!withSparse) console.log(`# ${caps.kind} ${caps.version}: no sparse field in the plans (sparse ${caps.sparseVector}, ${caps.maxVectorFields} vector field(s) per collection)`);
});

after(async () => {
  if (sink && external) {
    const names = (await sink.listCollections()).filter((n) => created.has(n));
    for (const n of names) await drop(n);
  }
  await sink?.close();
  await lite?.stop();
});

/** The Sink has no drop (the engine never drops outside prepare), so cleanup uses the SDK. */
async function drop(name: string) {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const c = new MilvusClient({ address: uri, token, database, telemetry: { enabled: false } });
  await c.dropCollection({ collection_name: name });
  await c.closeConnection();
}

function planFor(name: string, over: Partial<CollectionPlan> = {}): CollectionPlan {
  const target = prefix + name;
  created.add(target);
  return {
    source: name,
    target,
    description: `migrated from Qdrant collection ${name}`,
    primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [
      { source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'COSINE', index: denseIndex(), nullable: false },
      ...(withSparse ? [{ ...sparseField, index: { ...sparseField.index } }] : []),
    ],
    dynamicField: true,
    partitionKey: null,
    policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
    ifExists: 'fail',
    sourceCount: 0,
    ...over,
  };
}

const sparseField: VectorFieldPlan = { source: 'text', field: 'text', type: 'SparseFloatVector', metric: 'IP', index: { type: 'SPARSE_INVERTED_INDEX', params: {} }, nullable: false };

function denseIndex() {
  return caps.autoIndex ? { type: 'AUTOINDEX', params: {} } : { type: 'FLAT', params: {} };
}

const big = 2n ** 60n + 1n;
/** Values exactly representable in float32, so a round trip compares with strict equality. */
function rowsFor(ids: Array<bigint | string>): Row[] {
  return ids.map((id, i) => ({
    id,
    vectors: {
      vector: [i + 1, 0.5, -0.25, 2 ** -3],
      ...(withSparse && { text: { indices: [1, 7 + i, 100_000], values: [0.5, 1.25, 2] } }),
    },
    dynamic: {
      n: i,
      big,
      negBig: -(2n ** 63n) + 5n,
      float: 1.5,
      nested: { deep: { list: [1, 'two', { three: 3n ** 40n }], empty: {} }, flag: true },
      ключ: 'значение',
      日本語: '値 "quoted" \\ back\nline',
      '🙂 emoji key': ['🙂'],
    },
  }));
}

const int64Ids = [1n, 2n ** 53n + 1n, 2n ** 63n - 1n, 0n, 42n];
// Milvus 2.3.5 stores and counts a row with id 2^63-1, but no filtered query returns it (probed by
// hand: `==`, `in`, `>`, `>=` all miss it while count(*) includes it; Milvus has more INT64-edge
// bugs, milvus-io/milvus#46075). It is the server's defect, so verify reports such a point missing:
// the tests below assert it exactly, so a fix in the server or a regression elsewhere shows.
const unreadable = engine === 'standalone23' ? [2n ** 63n - 1n] : [];
const readable = (r: { id: unknown }) => !unreadable.includes(r.id as bigint);

test('capabilities describe the target', () => {
  assert.ok(['milvus', 'zilliz', 'milvus-lite'].includes(caps.kind));
  // What each test kit engine is, found by hand (DESIGN.md), against what the probes learnt.
  if (engine === 'standalone23') {
    // Float16Vector does work on 2.3.5 (checked by hand: create, FLAT index, insert, load, query
    // gives [0.5, 0.25] back), although the issue text said otherwise; sparse does not.
    assert.deepEqual([caps.kind, caps.version, caps.maxVectorFields, caps.sparseVector, caps.float16Vector], ['milvus', 'v2.3.5-lite', 1, false, true]);
  } else if (engine === 'lite25') {
    assert.deepEqual([caps.kind, caps.version, caps.sparseVector, caps.float16Vector], ['milvus', 'unknown', true, true]);
    assert.deepEqual(caps.truthful, { getVersion: false, listDatabases: false, sdkHasCollection: false });
    assert.deepEqual(caps.indexTypes?.Float16Vector, ['FLAT'], 'Lite 2.5.1 indexes Float16 with FLAT only');
  } else if (engine === 'lite3') {
    assert.equal(caps.kind, 'milvus-lite');
    assert.match(caps.version, /^milvus_lite-/);
    assert.equal(caps.float16Vector, false);
    assert.equal(caps.nullableVector, false, 'Milvus Lite returns a written null vector as zeros');
    // Probed: Lite 3 stores any index type on a FloatVector field (metadata only), AUTOINDEX included.
    assert.equal(caps.autoIndex, true);
    assert.equal(caps.source, 'probed');
  }
});

test('Int64 keys, sparse vectors and lossless payloads round-trip exactly; a replay adds nothing', async (t) => {
  if (!withSparse) t.diagnostic(`no sparse field: ${caps.version} cannot hold one beside the dense vector`);
  const plan = planFor('ints');
  await sink.prepare(plan);
  const rows = rowsFor(int64Ids);
  await sink.write(plan, rows);
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), rows.length);
  if (unreadable.length > 0) t.diagnostic(`${engine}: id 2^63-1 is stored and counted but no query returns it`);
  assert.deepStrictEqual(sortRows(await sink.fetch(plan, int64Ids)), sortRows(rows.filter(readable)));

  await sink.write(plan, rows); // replay: upsert by primary key
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), rows.length);
  // One row per id (real Milvus would return two for a duplicated key), the same id set.
  const again = await sink.fetch(plan, int64Ids);
  assert.deepStrictEqual(again.map((r) => r.id).sort(cmp), int64Ids.filter((id) => readable({ id })).sort(cmp));
  assert.deepStrictEqual(await sink.fetch(plan, [7n, 8n]), [], 'missing keys are absent');
});

test('VarChar keys (UUIDs, decimal strings, quotes) round-trip', async () => {
  const plan = planFor('uuids', { primaryKey: { field: 'pk', type: 'VarChar', maxLength: 36, autoId: false } });
  await sink.prepare(plan);
  const ids = ['00000000-0000-0000-0000-000000000000', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', '18446744073709551615', 'a"b\\c'];
  const rows = rowsFor(ids);
  await sink.write(plan, rows);
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), ids.length);
  assert.deepStrictEqual(sortRows(await sink.fetch(plan, ids)), sortRows(rows));
});

test('ifExists: fail refuses, append checks the schema, drop recreates', async () => {
  const plan = planFor('exists');
  await sink.prepare(plan);
  await sink.write(plan, rowsFor([1n, 2n]));
  await sink.finish(plan);

  await assert.rejects(sink.prepare(plan), (e: MigrationError) => {
    assert.equal(e.code, 'TARGET_EXISTS');
    assert.equal(e.kind, 'config');
    assert.match(e.message, new RegExp(plan.target));
    assert.match(e.fix ?? '', /--if-exists append/);
    return true;
  });

  await sink.prepare({ ...plan, ifExists: 'append' });
  await sink.write(plan, rowsFor([3n]));
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), 3, 'append keeps what was there');

  const wrongDim = { ...plan, ifExists: 'append' as const, vectors: plan.vectors.map((v) => (v.field === 'vector' ? { ...v, dim: 8 } : v)) };
  await assert.rejects(sink.prepare(wrongDim), (e: MigrationError) => {
    assert.equal(e.code, 'TARGET_SCHEMA_MISMATCH');
    assert.match(e.message, /`vector`: existing dim 4, plan dim 8/);
    return true;
  });
  const wrongPk = { ...plan, ifExists: 'append' as const, primaryKey: { field: 'id', type: 'VarChar' as const, maxLength: 36, autoId: false as const } };
  await assert.rejects(sink.prepare(wrongPk), /primary key type: existing Int64, plan VarChar/);

  await sink.prepare({ ...plan, ifExists: 'drop' });
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), 0, 'drop starts empty');
});

test('a new collection for row writes is loading from prepare on, before any write; one appended to keeps its load state', async (t) => {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const c = new MilvusClient({ address: uri, token, database, telemetry: { enabled: false } });
  t.after(() => c.closeConnection());
  const state = async (name: string) => (await c.getLoadState({ collection_name: name, db_name: database })).state as string;

  const plan = planFor('loadfirst');
  await sink.prepare(plan, { rowWrites: true });
  // Milvus 2.3.5 reports LoadStateNotLoad until someone loads; the lites report Loaded always.
  assert.ok(['LoadStateLoading', 'LoadStateLoaded'].includes(await state(plan.target)), 'prepare started the load');
  await sink.write(plan, rowsFor([1n, 2n, 3n]));
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), 3);

  // An existing collection that is not loaded (released here) stays so until finish loads it.
  await c.releaseCollection({ collection_name: plan.target, db_name: database });
  const released = await state(plan.target);
  if (released !== 'LoadStateNotLoad') t.diagnostic(`${caps.kind} ${caps.version} reports ${released} after a release: no load states to check`);
  await sink.prepare({ ...plan, ifExists: 'append' }, { rowWrites: true });
  assert.equal(await state(plan.target), released, 'append left the load state alone');
  await sink.write(plan, rowsFor([4n]));
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), 4);
});

test('an index the target rejects fails prepare as a config error and leaves no collection', async () => {
  const plan = planFor('badindex');
  const last = plan.vectors.at(-1)!;
  last.index = { type: 'NO_SUCH_INDEX', params: {} };
  await assert.rejects(sink.prepare(plan), (e: MigrationError) => {
    assert.equal(e.kind, 'config', e.message);
    assert.match(e.message, new RegExp(`CreateIndex NO_SUCH_INDEX/${last.metric} of field ${last.field} failed`));
    return true;
  });
  assert.ok(!(await sink.listCollections()).includes(plan.target));
});

test('tiny request budget splits into many requests with the same result', async () => {
  const requests: number[] = [];
  const small = await createMilvusSink({ uri, token, database, batchBytes: 300, onRequest: (n) => requests.push(n) });
  try {
    const plan = planFor('split');
    await small.prepare(plan);
    const ids = Array.from({ length: 40 }, (_, i) => BigInt(i) * 1_000_003n);
    const rows = rowsFor(ids);
    await small.write(plan, rows);
    await small.finish(plan);
    assert.ok(requests.length >= 10, `expected many requests, got ${requests.length}`);
    assert.equal(requests.reduce((a, b) => a + b, 0), rows.length);
    assert.equal(await small.count(plan.target), rows.length);
    assert.deepStrictEqual(sortRows(await small.fetch(plan, ids)), sortRows(rows));
  } finally {
    await small.close();
  }
});

test('requests are held to 512 KiB where larger ones cost the target more per row (Milvus Lite 2.5.1), left whole elsewhere', async () => {
  const requests: Array<{ rows: number; bytes: number }> = [];
  const watched = await createMilvusSink({ uri, token, database, onRequest: (rows, bytes) => requests.push({ rows, bytes }) });
  try {
    const plan = planFor('held', { vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 512, metric: 'L2', index: denseIndex(), nullable: false }] });
    await watched.prepare(plan, { rowWrites: true });
    // A default-sized page: ~2 MiB of 512-d rows.
    const rows: Row[] = Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i), vectors: { vector: Array.from({ length: 512 }, (_, j) => ((i + j) % 17) / 16) }, dynamic: { i } }));
    await watched.prepareWrite!(plan, rows).send();
    await watched.finish(plan);
    assert.equal(await watched.count(plan.target), rows.length);
    assert.equal(requests.reduce((n, r) => n + r.rows, 0), rows.length);
    const largest = Math.max(...requests.map((r) => r.bytes));
    // What the probe measured, for the failure message: a wrong answer shows its numbers.
    const probe = JSON.stringify((watched as unknown as { writeSizeProbe: unknown }).writeSizeProbe);
    if (engine === 'lite25') {
      // 2 MiB Inserts cost Lite 2.5.1 ~4× per row what 512 KiB ones do (src/milvus/probe-write-size.ts).
      assert.ok(requests.length >= 4 && largest <= PROBE_SMALL_BYTES, `expected requests of at most 512 KiB, got ${requests.map((r) => r.bytes).join(', ')} (probe: ${probe})`);
    } else if (engine) {
      assert.equal(requests.length, 1, `${engine} takes a 2 MiB request at the same cost per row: the page stays one request (probe: ${probe})`);
    }
  } finally {
    await watched.close();
  }
});

test('a request the transport refuses as too large is halved until it fits, nothing dropped', async () => {
  const requests: number[] = [];
  // The 64 KiB gRPC send cap makes the transport answer RESOURCE_EXHAUSTED, as a server does.
  const capped = await createMilvusSink({ uri, token, database, maxMessageBytes: 64 * 1024, onRequest: (n) => requests.push(n) });
  try {
    const plan = planFor('halve', { vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 256, metric: 'L2', index: denseIndex(), nullable: false }] });
    await capped.prepare(plan);
    const ids = Array.from({ length: 300 }, (_, i) => BigInt(i + 1));
    const rows = ids.map((id) => ({ id, vectors: { vector: new Array(256).fill(Number(id) / 4) }, dynamic: { key: String(id) } }));
    await capped.write(plan, rows); // ~300 KB in one batch by the default 16 MiB budget
    await capped.finish(plan);
    assert.ok(requests.length >= 4, `expected the batch halved several times, got ${requests.join(',')}`);
    assert.equal(requests.reduce((a, b) => a + b, 0), rows.length);
    assert.equal(await capped.count(plan.target), rows.length);
    const sample = await capped.fetch(plan, [1n, 150n, 300n]);
    assert.deepStrictEqual(sortRows(sample).map((r) => r.vectors.vector), [1, 150, 300].map((n) => new Array(256).fill(n / 4)));
  } finally {
    await capped.close();
  }
});

test('a prepared write lands the same rows as write(); one refused as too large says so instead of halving', async () => {
  const plan = planFor('prepared');
  await sink.prepare(plan);
  const rows = rowsFor(int64Ids);
  const prepared = sink.prepareWrite!(plan, rows);
  assert.equal(prepared.rows, rows.length);
  await prepared.send();
  await assert.rejects(prepared.send(), (e: MigrationError) => e.code === 'SINK_SENT_TWICE');
  await sink.finish(plan);
  assert.equal(await sink.count(plan.target), rows.length);
  assert.deepStrictEqual(sortRows(await sink.fetch(plan, int64Ids)), sortRows(rows.filter(readable)));

  const requests: number[] = [];
  const capped = await createMilvusSink({ uri, token, database, maxMessageBytes: 64 * 1024, onRequest: (n) => requests.push(n) });
  try {
    const big = planFor('prepared_big', { vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 256, metric: 'L2', index: denseIndex(), nullable: false }] });
    await capped.prepare(big);
    const ids = Array.from({ length: 300 }, (_, i) => BigInt(i + 1));
    const bigRows = ids.map((id) => ({ id, vectors: { vector: new Array(256).fill(Number(id) / 4) }, dynamic: { key: String(id) } }));
    await assert.rejects(capped.prepareWrite!(big, bigRows).send(), (e: MigrationError) => e.code === 'TARGET_REQUEST_TOO_LARGE' && e.kind === 'system' && e.message.includes('Sink.write'));
    assert.deepEqual(requests, [], 'nothing acknowledged');
    await capped.write(big, bigRows); // what the pipeline does next: write() halves
    await capped.finish(big);
    assert.equal(await capped.count(big.target), bigRows.length);
  } finally {
    await capped.close();
  }
});

test('prepared writes into a collection created for row writes go as Inserts; anything that may repeat a row as Upserts', async () => {
  const methods: string[] = [];
  let loseNextAck = false;
  const watched = await createMilvusSink({
    uri, token, database, retry: { baseMs: 1 },
    onRequest: (_n, _b, method) => {
      methods.push(method);
      if (!loseNextAck) return;
      // The request landed but its answer never reached us (a connection reset, a deadline): a transient failure.
      loseNextAck = false;
      throw new MigrationError({ code: 'TARGET_UNAVAILABLE', kind: 'transient', message: 'test: the acknowledgement was lost' });
    },
  });
  try {
    const plan = planFor('insert_first');
    await watched.prepare(plan, { rowWrites: true });
    const rows = rowsFor(int64Ids);
    await watched.prepareWrite!(plan, rows.slice(0, 2)).send();
    loseNextAck = true;
    await watched.prepareWrite!(plan, rows.slice(2)).send();
    assert.deepEqual(methods, ['Insert', 'Insert', 'Upsert'], 'a fresh collection: each page first as an Insert; its retry as an Upsert');
    await watched.write(plan, rows); // the path of a page written again (refused as too large): Upsert
    assert.deepEqual(methods.slice(3), ['Upsert']);
    await watched.finish(plan);
    // On real Milvus an Insert of a key already there would add a second row; the Upsert replaced them.
    assert.equal(await watched.count(plan.target), rows.length);

    methods.length = 0;
    await watched.prepare({ ...plan, ifExists: 'append' }, { rowWrites: true }); // a resumed job, an append
    await watched.prepareWrite!(plan, rows).send();
    await watched.finish(plan);
    assert.deepEqual(methods, ['Upsert'], 'a collection that existed may hold any of the keys');
    assert.equal(await watched.count(plan.target), rows.length);

    methods.length = 0;
    const other = planFor('insert_first_bulk');
    await watched.prepare(other); // bulk import's prepare: no row writes promised
    await watched.prepareWrite!(other, rows).send();
    assert.deepEqual(methods, ['Upsert']);
  } finally {
    await watched.close();
  }
});

test('connection problems are config errors that name the fix and never show the token', async () => {
  const secret = 'root:S3cretPassw0rd';
  await assert.rejects(createMilvusSink({ uri: 'http://127.0.0.1:1', token: secret, timeoutMs: 5000 }), (e: MigrationError) => {
    assert.equal(e.code, 'TARGET_UNREACHABLE');
    assert.equal(e.kind, 'config');
    assert.ok(!JSON.stringify(e.toJSON()).includes('S3cret'));
    return true;
  });
  // A target without databases (Milvus Lite 2.5.1: no ListDatabases) says so rather than "not found".
  const noDatabases = caps.truthful?.listDatabases === false;
  await assert.rejects(createMilvusSink({ uri, token: token ?? secret, database: 'no_such_db_q2m' }), (e: MigrationError) => {
    assert.equal(e.code, noDatabases ? 'TARGET_DATABASE_UNSUPPORTED' : 'TARGET_DATABASE_NOT_FOUND');
    assert.match(e.fix ?? '', /create_database|default/);
    assert.ok(!e.describe().includes('S3cret'));
    return true;
  });
});

test('nullable vectors keep null where the target supports them', async (t) => {
  if (!caps.nullableVector) return t.skip(`${caps.kind} ${caps.version} has no nullable vectors (Milvus Lite returns a null as zeros)`);
  const plan = planFor('nullable');
  plan.vectors.push({ source: 'img', field: 'img', type: 'FloatVector', dim: 2, metric: 'L2', index: denseIndex(), nullable: true });
  await sink.prepare(plan);
  const rows = rowsFor([1n, 2n]);
  rows[0]!.vectors.img = [1, 2];
  rows[1]!.vectors.img = null;
  await sink.write(plan, rows);
  await sink.finish(plan);
  assert.deepStrictEqual(sortRows(await sink.fetch(plan, [1n, 2n])), sortRows(rows));
});

const cmp = (a: bigint | string, b: bigint | string) => (a < b ? -1 : a > b ? 1 : 0);
/** Target rows hold dense vectors as Float32Array views (rows.ts): compared by value, as number[]. */
const plainVectors = (r: Row): Row => ({ ...r, vectors: Object.fromEntries(Object.entries(r.vectors).map(([k, v]) => [k, v instanceof Float32Array ? Array.from(v) : v])) });
const sortRows = (rows: Row[]) => [...rows].sort((a, b) => cmp(a.id, b.id)).map(plainVectors);
