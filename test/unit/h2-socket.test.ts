/**
 * h2-socket.ts reading an answer's DATA straight into the answer's buffer (the socket's next read
 * buffer is that buffer when the parser sits in a large DATA frame): the answers must arrive byte
 * for byte whatever the frames look like (one large frame, padding, a prefix split across frames,
 * answers interleaved), and a buffer the socket may still read into must not be handed out again
 * (a cancelled call's, until that read is done or the socket is gone). The server here speaks raw
 * frames, written by each test.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { BlockPool } from '../../src/transcode/arena.ts';
import { H2, H2Connection, type H2Stream, type StreamOutcome } from '../../src/transcode/h2-socket.ts';
import { encodeHeaderBlock } from '../../src/transcode/hpack.ts';

const REQUEST = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'http'], [':authority', 'x'], [':path', '/x.Y/Z'], ['content-type', 'application/grpc'], ['te', 'trailers']]);
const RESPONSE = encodeHeaderBlock([[':status', '200'], ['content-type', 'application/grpc']]);
const TRAILERS = encodeHeaderBlock([['grpc-status', '0']]);
const END_STREAM = 1;
const END_HEADERS = 4;
const PADDED = 8;
/** The least a read in place takes, and what a read that may begin a frame takes (h2-socket.ts). */
const HEAD_READ = 64 * 1024;

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return h;
}

const frame = (type: number, flags: number, stream: number, payload: Buffer) => Buffer.concat([frameHeader(payload.length, type, flags, stream), payload]);
const headers = (stream: number) => frame(1, END_HEADERS, stream, RESPONSE);
const trailers = (stream: number) => frame(1, END_HEADERS | END_STREAM, stream, TRAILERS);

/** A gRPC message: the 5-byte prefix and the bytes. */
function grpc(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** A broken reader would leave an outcome pending: fail instead of hanging. */
const LIMIT = { timeout: 30_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await sleep(10);
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/**
 * A server that reads whatever the client sends, counts its requests (DATA with END_STREAM) and
 * writes only what the test tells it to, on the one connection it accepts.
 */
async function rawServer(t: TestContext) {
  let requests = 0;
  let resolveSocket!: (s: net.Socket) => void;
  const accepted = new Promise<net.Socket>((r) => (resolveSocket = r));
  const srv = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.write(frame(4, 0, 0, Buffer.alloc(0)));
    let buf = Buffer.alloc(0);
    let preface = false;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!preface && buf.length >= 24) {
        buf = buf.subarray(24);
        preface = true;
      }
      while (preface && buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        if (buf[3] === 0 && (buf[4]! & END_STREAM) !== 0) requests++;
        buf = buf.subarray(9 + buf.readUIntBE(0, 3));
      }
    });
    socket.on('error', () => undefined);
    resolveSocket(socket);
  });
  const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
  // After the test, whether it passed, failed or timed out (a finally block would not run then).
  t.after(() => {
    void accepted.then((s) => s.destroy());
    srv.close();
  });
  return {
    port,
    accepted,
    requests: () => requests,
    /** Writes `bytes` in `pieces` parts, a few ms apart, so the client reads them in several reads. */
    async write(bytes: Buffer, pieces = 1): Promise<void> {
      const socket = await accepted;
      const step = Math.ceil(bytes.length / pieces);
      for (let at = 0; at < bytes.length; at += step) {
        socket.write(bytes.subarray(at, at + step));
        if (pieces > 1) await sleep(3);
      }
    },
  };
}

/** A connection to `port` and a way to start calls on it, each with its outcome as a promise. */
function connect(t: TestContext, port: number, pool = new BlockPool()) {
  let unusable!: () => void;
  const gone = new Promise<void>((r) => (unusable = r));
  const conn = new H2Connection('127.0.0.1', port, pool, () => unusable());
  t.after(() => conn.close());
  const call = (): { stream: H2Stream; outcome: Promise<StreamOutcome> } => {
    let done!: (o: StreamOutcome) => void;
    const outcome = new Promise<StreamOutcome>((r) => (done = r));
    return { stream: conn.request(REQUEST, Buffer.from('q'), done), outcome };
  };
  return { conn, pool, call, gone };
}

test('a large answer in one DATA frame arrives byte for byte; from the second on, all but its first 64 KiB is read in place', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const { conn, call } = connect(t, srv.port);
  for (const [i, size] of [3 * 2 ** 20 + 17, 2 * 2 ** 20 + 3, 700_001].entries()) {
    const message = pattern(size, i);
    const { outcome } = call();
    const id = 2 * i + 1;
    await until('the request', () => srv.requests() === i + 1);
    const before = conn.directBytes;
    await srv.write(Buffer.concat([headers(id), frame(0, 0, id, grpc(message)), trailers(id)]), 7);
    const o = await outcome;
    assert.equal(o.rstCode, 0);
    assert.equal(o.extraData, false);
    assert.ok(o.body.equals(grpc(message)), `answer ${i} intact`);
    const inPlace = conn.directBytes - before;
    assert.ok(inPlace <= size + 5);
    if (i > 0) assert.ok(inPlace >= size + 5 - HEAD_READ, `answer ${i}: ${inPlace} of ${size + 5} bytes read in place`);
  }
});

test('a stream ended by its large last DATA frame (no trailers) ends as soon as that frame is read', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const { conn, call } = connect(t, srv.port);
  for (let i = 0; i < 2; i++) {
    const message = grpc(pattern(1_200_000, i));
    const { outcome } = call();
    await until('the request', () => srv.requests() === i + 1);
    // Nothing follows the frame: the stream must end with the read that completes it.
    await srv.write(Buffer.concat([headers(2 * i + 1), frame(0, END_STREAM, 2 * i + 1, message)]), 5);
    const o = await outcome;
    assert.ok(o.body.equals(message), `answer ${i} intact`);
    assert.equal(Object.keys(o.trailers).length, 0, 'no trailers');
  }
  assert.ok(conn.directBytes > 0);
});

test('padded DATA frames and a message prefix split across frames: the padding never lands in the answer', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const { conn, call } = connect(t, srv.port);
  for (let i = 0; i < 2; i++) {
    const message = pattern(1_000_000 + i, 7 + i);
    const bytes = grpc(message);
    const { outcome } = call();
    const id = 2 * i + 1;
    await until('the request', () => srv.requests() === i + 1);
    // Cut at 3 (inside the prefix), 400,000 and 700,000: four frames, each with 200 bytes of 0xEE padding.
    const cuts = [0, 3, 400_000, 700_000, bytes.length];
    const out = [headers(id)];
    for (let c = 0; c + 1 < cuts.length; c++) {
      const content = bytes.subarray(cuts[c], cuts[c + 1]);
      out.push(frame(0, PADDED, id, Buffer.concat([Buffer.from([200]), content, Buffer.alloc(200, 0xee)])));
    }
    out.push(trailers(id));
    await srv.write(Buffer.concat(out), 9);
    const o = await outcome;
    assert.ok(o.body.equals(bytes), `answer ${i} intact, without padding`);
    assert.equal(o.extraData, false);
  }
  assert.ok(conn.directBytes > 0, 'the large frames were read in place');
});

test('answers interleaved on one connection, frame by frame, each arrive whole', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const { conn, call } = connect(t, srv.port);
  const calls = [call(), call(), call()];
  await until('the requests', () => srv.requests() === 3);
  const messages = [pattern(1_500_000, 1), pattern(900_000, 2), pattern(300_000, 3)].map(grpc);
  const out = calls.map((_, i) => headers(2 * i + 1));
  // Frames of 250,000 bytes of each answer in turn, until every answer is out.
  for (let at = 0; messages.some((m) => at < m.length); at += 250_000) {
    for (const [i, m] of messages.entries()) if (at < m.length) out.push(frame(0, 0, 2 * i + 1, m.subarray(at, at + 250_000)));
  }
  for (let i = 0; i < 3; i++) out.push(trailers(2 * i + 1));
  await srv.write(Buffer.concat(out), 11);
  for (const [i, c] of calls.entries()) assert.ok((await c.outcome).body.equals(messages[i]!), `answer ${i} intact`);
  assert.ok(conn.directBytes > 0);
});

/**
 * Stream 1's answer, one DATA frame of 5 + 2 MiB, stopped at 500,000 bytes of content: the socket's
 * next read lands in the answer's buffer.
 */
async function answerHalfway(srv: Awaited<ReturnType<typeof rawServer>>, c: ReturnType<typeof connect>) {
  const size = 2 * 2 ** 20;
  const first = c.call();
  await until('the request', () => srv.requests() === 1);
  const bytes = grpc(pattern(size, 5));
  await srv.write(Buffer.concat([headers(1), frameHeader(bytes.length, 0, 0, 1), bytes.subarray(0, 300_000)]));
  await sleep(50);
  await srv.write(bytes.subarray(300_000, 500_000));
  // Read in place from the first read after the frame's header on; all of it, after a moment.
  await until('a read in place', () => c.conn.directBytes > 0);
  await sleep(100);
  return { first, size, bytes };
}

test('a call cancelled while the socket\'s next read lands in its buffer: that buffer is not handed out again until the read is done', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const c = connect(t, srv.port);
  const { first, size, bytes } = await answerHalfway(srv, c);
  c.conn.cancel(first.stream);
  const o = await first.outcome;
  assert.equal(o.rstCode, H2.CANCEL);
  // What grpc-raw.ts does with a failed call's body: back to the pool.
  c.pool.give(o.body.buffer as ArrayBuffer);
  // The next answer of that size (on any connection of the client) takes a buffer from the pool.
  const made = c.pool.misses.blocks;
  const other = Buffer.from(c.pool.take(5 + size));
  assert.equal(c.pool.misses.blocks, made + 1, 'a new buffer: the cancelled answer\'s is still the socket\'s');
  other.fill(0);
  // The server goes on with the frame it had begun (0xEE bytes), then answers a second call.
  const second = c.call();
  await srv.write(Buffer.alloc(300_000, 0xee));
  await sleep(50);
  await srv.write(Buffer.concat([bytes.subarray(800_000), trailers(1)]));
  await until('the second request', () => srv.requests() === 2);
  const message = pattern(100, 9);
  await srv.write(Buffer.concat([headers(3), frame(0, 0, 3, grpc(message)), trailers(3)]));
  const o2 = await second.outcome;
  assert.ok(o2.body.equals(grpc(message)), 'the second answer intact');
  assert.equal(other.indexOf(0xee), -1, 'nothing the socket read landed in a buffer handed out after the cancel');
  // Once read, the cancelled answer's buffer is back in the pool.
  c.pool.give(o2.body.buffer as ArrayBuffer);
  const before = c.pool.misses.blocks;
  c.pool.take(5 + size);
  assert.equal(c.pool.misses.blocks, before, 'the cancelled answer\'s buffer came back to the pool');
});

test('a call cancelled while the socket\'s next read lands in its buffer: the buffer comes back once the socket is gone', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const c = connect(t, srv.port);
  const { first, size } = await answerHalfway(srv, c);
  c.conn.cancel(first.stream);
  c.pool.give((await first.outcome).body.buffer as ArrayBuffer);
  const made = c.pool.misses.blocks;
  c.pool.take(5 + size);
  assert.equal(c.pool.misses.blocks, made + 1, 'not free while the socket may read into it');
  (await srv.accepted).destroy();
  await c.gone;
  c.pool.take(5 + size);
  assert.equal(c.pool.misses.blocks, made + 1, 'free once the socket is closed');
});

test('the connection failing mid-answer: the answer ends truncated and its buffer is the caller\'s', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const c = connect(t, srv.port);
  const { first, bytes } = await answerHalfway(srv, c);
  (await srv.accepted).destroy();
  const o = await first.outcome;
  assert.match(o.connectionError, /.+/);
  assert.ok(o.body.equals(bytes.subarray(0, 500_000)), 'what arrived, cut there');
});

test('an answer announcing more than 1 GiB is counted, not kept, and not read into any buffer', LIMIT, async (t) => {
  const srv = await rawServer(t);
  const { conn, call, pool } = connect(t, srv.port);
  const { outcome } = call();
  await until('the request', () => srv.requests() === 1);
  const prefix = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]);
  await srv.write(Buffer.concat([headers(1), frame(0, 0, 1, Buffer.concat([prefix, pattern(1_000_000, 1)])), frame(0, 0, 1, pattern(500_000, 2)), trailers(1)]), 5);
  const o = await outcome;
  assert.equal(o.extraData, true);
  assert.equal(o.body.length, 0);
  assert.equal(conn.directBytes, 0);
  assert.equal(pool.misses.bytes, 0, 'no buffer made for it');
});
