/**
 * Upserts over our own HTTP/2 client (raw-call.ts, MilvusConnection.rawWrites) against the SDK's
 * grpc-js channel, both sending to one official grpc-js server: the server must receive the same
 * message bytes and the same authorization / database headers either way, and every failure must
 * reach the caller as the same MigrationError (transient, auth, deadline, a Milvus status, "too
 * large" halving). The SDK's channel is what a connection with a message cap uses.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { MigrationError } from '../../src/core/errors.ts';
import { connectMilvus, rawWriteOrigin, type MilvusConnection } from '../../src/milvus/client.ts';
import { Flights, upsertRows } from '../../src/milvus/writer.ts';
import { sdkCodec, type SdkCodec } from '../helpers/sdk-codec.ts';

const SERVICE = '/milvus.proto.milvus.MilvusService';
/** Status = {} (success), then `fields` as given. */
const ok = (...fields: number[]) => Buffer.from([0x0a, 0x00, ...fields]);
/** A success MutationResult acknowledging `n` rows (upsert_cnt, field 8). */
const acked = (n: number) => ok(0x40, ...varint(n));

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

interface Seen {
  bytes: Buffer;
  authorization: string | undefined;
  dbname: string | undefined;
}

/** What the server answers an Upsert: a MutationResult's bytes, or a gRPC failure. */
type Answer = (request: Buffer) => Buffer | { code: number; details: string } | Promise<Buffer>;

let server: Server;
let port = 0;
const seen: Seen[] = [];
let answer: Answer = () => Buffer.alloc(0);
let codec: SdkCodec | undefined;

function unary(handler: (request: Buffer) => Buffer | { code: number; details: string } | Promise<Buffer>) {
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    void Promise.resolve(handler(call.request)).then((out) => {
      if (Buffer.isBuffer(out)) callback(null, out);
      else callback({ code: out.code, details: out.details, metadata: new Metadata() } as never);
    });
  };
}

before(async () => {
  codec = await sdkCodec('Upsert');
  server = new Server();
  const same = (b: Buffer) => b;
  const register = (name: string, handler: Parameters<typeof unary>[0]) => server.register(`${SERVICE}/${name}`, unary(handler), same, same, 'unary');
  // GetVersion: status {}, version (2) "v2.6.0"; ShowCollections / ListDatabases: status {}.
  register('GetVersion', () => ok(0x12, 6, ...Buffer.from('v2.6.0')));
  register('ShowCollections', () => ok());
  register('ListDatabases', () => ok());
  server.register(
    `${SERVICE}/Upsert`,
    (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const md = call.metadata.getMap();
      seen.push({ bytes: Buffer.from(call.request), authorization: md.authorization as string | undefined, dbname: md.dbname as string | undefined });
      unary(answer)(call, callback);
    },
    same,
    same,
    'unary',
  );
  port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
});

after(() => server.forceShutdown());

const plan: CollectionPlan = {
  source: 's', target: 'coll', description: '', primaryKey: { field: 'pk', type: 'Int64', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 64, metric: 'L2', index: { type: 'FLAT', params: {} }, nullable: false }],
  dynamicField: true, partitionKey: null, policies: { nullPayloadValues: 'drop', missingVector: 'fail' }, ifExists: 'append', sourceCount: 0,
};

/** 300 rows of 64-d: a ~90 KB request, past the size from which the raw client sends without a copy. */
const rows: Row[] = Array.from({ length: 300 }, (_, i) => ({ id: BigInt(i) * 7n, vectors: { vector: Float32Array.from({ length: 64 }, (_, j) => i + j / 64) }, dynamic: { i, s: `row ${i}` } }));

/** The two transports for one target: ours (plaintext, no cap) and the SDK's (a cap above any request here). */
async function both(options: { token?: string; database?: string; timeoutMs?: number } = {}): Promise<{ raw: MilvusConnection; sdk: MilvusConnection }> {
  const raw = await connectMilvus({ uri: `http://127.0.0.1:${port}`, ...options });
  const sdk = await connectMilvus({ uri: `http://127.0.0.1:${port}`, ...options, maxMessageBytes: 64 * 2 ** 20 });
  assert.ok(raw.rawWrites(), 'a plaintext target without a cap is written over our own client');
  assert.equal(sdk.rawWrites(), undefined, 'a message cap keeps writes on the SDK channel');
  return { raw, sdk };
}

async function failure(conn: MilvusConnection, batchBytes = 16 * 2 ** 20): Promise<MigrationError> {
  const e = await upsertRows(conn, plan, rows, { batchBytes }).then(
    () => assert.fail('the upsert should have failed'),
    (error: unknown) => error,
  );
  assert.ok(e instanceof MigrationError, String(e));
  return e;
}

test('the server receives the same Upsert bytes, token and database from our client as from the SDK', async () => {
  const { raw, sdk } = await both({ token: 'root:S3cret', database: 'db1' });
  try {
    answer = () => acked(rows.length);
    seen.length = 0;
    await upsertRows(raw, plan, rows, { batchBytes: 16 * 2 ** 20 });
    await upsertRows(sdk, plan, rows, { batchBytes: 16 * 2 ** 20 });
    assert.equal(seen.length, 2);
    const [ours, theirs] = seen as [Seen, Seen];
    assert.ok(ours.bytes.length > 64 * 1024);
    assert.ok(ours.bytes.equals(theirs.bytes), 'same request bytes');
    assert.equal(ours.authorization, Buffer.from('root:S3cret').toString('base64'));
    assert.equal(ours.authorization, theirs.authorization);
    assert.equal(ours.dbname, 'db1');
    assert.equal(ours.dbname, theirs.dbname);

    // Small requests (joined with their prefix) arrive intact too.
    seen.length = 0;
    answer = (req) => acked(countRows(req));
    await upsertRows(raw, plan, rows.slice(0, 2), { batchBytes: 16 * 2 ** 20 });
    await upsertRows(sdk, plan, rows.slice(0, 2), { batchBytes: 16 * 2 ** 20 });
    assert.ok(seen[0]!.bytes.equals(seen[1]!.bytes));
  } finally {
    await Promise.all([raw.close(), sdk.close()]);
  }
});

/** num_rows of an UpsertRequest (the SDK's decoding): what the server acknowledges. */
function countRows(req: Buffer): number {
  return Number((codec!.requestDeserialize(req) as { num_rows: number | string }).num_rows);
}

test('failures reach the caller as the same errors over both transports', async () => {
  // A short deadline: the SDK's retry interceptor answers UNAVAILABLE by waiting out the deadline
  // (a transient TARGET_TIMEOUT; ours is a transient TARGET_UNAVAILABLE at once): checked apart.
  const { raw, sdk } = await both({ token: 'root:S3cret', timeoutMs: 2000 });
  try {
    answer = () => ({ code: status.UNAVAILABLE, details: 'going away' });
    const [down, downSdk] = [await failure(raw), await failure(sdk)];
    assert.equal(down.code, 'TARGET_UNAVAILABLE', down.message);
    assert.equal(down.kind, 'transient');
    assert.equal(downSdk.kind, 'transient', downSdk.message);
    // INTERNAL is the system error errors.ts makes of it (the SDK's channel waits out the deadline
    // here too, and so reports a timeout instead).
    answer = () => ({ code: status.INTERNAL, details: 'boom' });
    const internal = await failure(raw);
    assert.equal(internal.code, 'TARGET_ERROR', internal.message);
    assert.match(internal.message, /boom/);
    const cases: Array<[string, Answer, string]> = [
      ['unauthenticated', () => ({ code: status.UNAUTHENTICATED, details: 'bad token' }), 'TARGET_AUTH'],
      // MutationResult with status {code: 1100 (parameterInvalid), reason "bad dim"}.
      ['a Milvus status', () => Buffer.from([0x0a, 0x0c, 0x18, 0xcc, 0x08, 0x12, 0x07, ...Buffer.from('bad dim')]), 'TARGET_REJECTED'],
      // Refused for its size every time: halved down to one row, then a config error naming it.
      ['too large', () => ({ code: status.RESOURCE_EXHAUSTED, details: 'message larger than max' }), 'ROW_TOO_LARGE'],
    ];
    for (const [name, a, code] of cases) {
      answer = a;
      const ours = await failure(raw);
      const theirs = await failure(sdk);
      assert.equal(ours.code, code, `${name}: ${ours.message}`);
      assert.equal(theirs.code, code, `${name} (SDK): ${theirs.message}`);
      assert.equal(ours.kind, theirs.kind, name);
      assert.ok(!ours.message.includes('S3cret'), ours.message);
    }
  } finally {
    await Promise.all([raw.close(), sdk.close()]);
  }
});

test('a request refused as too large is halved until it fits over our client, as over the SDK', async () => {
  const { raw, sdk } = await both();
  try {
    const limit = 40 * 1024;
    const accepted: number[][] = [[], []];
    for (const [i, conn] of [raw, sdk].entries()) {
      answer = (req) => (req.length > limit ? { code: status.RESOURCE_EXHAUSTED, details: 'too large' } : acked(countRows(req)));
      await upsertRows(conn, plan, rows, { batchBytes: 16 * 2 ** 20, onRequest: (n) => accepted[i]!.push(n) });
    }
    assert.deepStrictEqual(accepted[0], accepted[1]);
    assert.equal(accepted[0]!.reduce((a, b) => a + b, 0), rows.length);
    assert.ok(accepted[0]!.length >= 4);
  } finally {
    await Promise.all([raw.close(), sdk.close()]);
  }
});

test('the deadline holds over our client as over the SDK (a transient timeout)', async () => {
  const { raw, sdk } = await both({ timeoutMs: 300 });
  try {
    answer = () => new Promise<Buffer>((resolve) => setTimeout(() => resolve(acked(rows.length)), 1500));
    const ours = await failure(raw);
    const theirs = await failure(sdk);
    assert.equal(ours.code, 'TARGET_TIMEOUT', ours.message);
    assert.equal(theirs.code, 'TARGET_TIMEOUT', theirs.message);
  } finally {
    await Promise.all([raw.close(), sdk.close()]);
  }
});

test('a target our client cannot reach as the SDK would stays on the SDK channel', () => {
  assert.equal(rawWriteOrigin('http://10.0.0.5:19530', {}, {}), 'http://10.0.0.5:19530');
  assert.equal(rawWriteOrigin('127.0.0.1:19530', {}, {}), 'http://127.0.0.1:19530');
  assert.equal(rawWriteOrigin('https://in01.zillizcloud.com:443', {}, {}), undefined, 'TLS');
  assert.equal(rawWriteOrigin('http://host:19530', { maxMessageBytes: 1024 }, {}), undefined, 'a message cap');
  assert.equal(rawWriteOrigin('http://host:19530', {}, { https_proxy: 'http://proxy:3128' }), undefined, 'a proxy');
  assert.equal(rawWriteOrigin('http://host:19530', {}, { grpc_proxy: 'http://proxy:3128' }), undefined, 'a gRPC proxy');
  assert.equal(rawWriteOrigin('localhost', {}, {}), undefined, 'no port: what grpc-js makes of it');
});

test('every send says when its transport is done with the request\'s bytes, on success, refusal, halving and deadline, over both transports', async () => {
  const { raw, sdk } = await both({ timeoutMs: 300 });
  try {
    const cases: Array<[string, Answer]> = [
      ['acked', (req) => acked(countRows(req))],
      ['too large, halved', (req) => (req.length > 40 * 1024 ? { code: status.RESOURCE_EXHAUSTED, details: 'too large' } : acked(countRows(req)))],
      ['refused', () => ({ code: status.INTERNAL, details: 'boom' })],
      ['deadline', () => new Promise<Buffer>((resolve) => setTimeout(() => resolve(acked(rows.length)), 1000))],
    ];
    for (const conn of [raw, sdk]) {
      for (const [name, a] of cases) {
        answer = a;
        const flights = new Flights();
        let started = 0;
        const start = flights.start.bind(flights);
        flights.start = () => (started++, start());
        await upsertRows(conn, plan, rows, { batchBytes: 16 * 2 ** 20, flights }).catch(() => undefined);
        let idle = false;
        flights.whenIdle(() => (idle = true));
        for (let i = 0; i < 100 && !idle; i++) await new Promise((r) => setTimeout(r, 10));
        assert.ok(started >= 1, name);
        assert.ok(idle, `${name}: ${started} sends, not all over`);
      }
    }
  } finally {
    await Promise.all([raw.close(), sdk.close()]);
  }
});
