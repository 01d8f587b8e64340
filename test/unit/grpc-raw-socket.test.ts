/**
 * The raw gRPC client's own HTTP/2 connection (src/transcode/h2-socket.ts) against node:http2 (the
 * client's other transport) and the official grpc-js server: the server must see the same request
 * bytes and headers from both, and every answer and failure must reach the caller the same way
 * ({code, rawMessage, metadata}, what errors.ts maps). Then what grpc-js never sends: padded
 * frames (a node:http2 server with maximum padding), CONTINUATION, PING, GOAWAY, from a scripted
 * server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { RawGrpcClient, type RawTransport } from '../../src/transcode/grpc-raw.ts';
import { encodeHeaderBlock } from '../../src/transcode/hpack.ts';

interface Seen {
  bytes: Buffer;
  metadata: Record<string, unknown>;
}

type Handler = (request: Buffer, call: ServerUnaryCall<Buffer, Buffer>) => Promise<Buffer | { code: number; details: string; metadata?: Metadata }>;

let server: Server;
let port = 0;
const seen: Seen[] = [];
let handler: Handler = async (request) => request;

function startServer(at = 0): Promise<number> {
  server = new Server();
  const same = (b: Buffer) => b;
  server.register(
    '/test.Echo/Call',
    (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const md = call.metadata.getMap();
      seen.push({ bytes: Buffer.from(call.request), metadata: md });
      void handler(call.request, call).then((out) => {
        if (Buffer.isBuffer(out)) callback(null, out);
        else callback({ code: out.code, details: out.details, metadata: out.metadata ?? new Metadata() } as never);
      });
    },
    same,
    same,
    'unary',
  );
  return new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${at}`, ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
}

before(async () => {
  port = await startServer();
});
after(() => server.forceShutdown());

const TRANSPORTS: RawTransport[] = ['socket', 'http2'];
const clientOf = (transport: RawTransport, headers: Record<string, string> = {}, at = port) => new RawGrpcClient(`http://127.0.0.1:${at}`, headers, { transport });

/** The failure a call ends with (its gRPC shape), or a test failure if it succeeds. */
async function failureOf(p: Promise<unknown>): Promise<{ code: number; rawMessage: string; metadata: Headers; message: string }> {
  return p.then(
    () => assert.fail('the call should have failed'),
    (e: { code: number; rawMessage: string; metadata: Headers; message: string }) => e,
  );
}

/**
 * The metadata's entries but `date`, which node:http2 servers (grpc-js's) add to every response:
 * calls that straddle a second differ in it (this test failed so once under load).
 */
function entries(h: Headers): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  h.forEach((v, k) => k !== 'date' && out.push([k, v]));
  return out;
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

test('the server receives the same bytes and headers from both transports and both get the same answers', async () => {
  handler = async (request) => Buffer.concat([Buffer.from('echo:'), request]);
  const headers = { authorization: Buffer.from('root:S3cret').toString('base64'), dbname: 'db1' };
  // Empty, small, past the size sent without a copy, and past grpc-js's 64 KiB windows and 16 KiB frames.
  const sizes = [0, 100, 70_000, 3 * 2 ** 20 + 17];
  const answers = new Map<RawTransport, Buffer[]>();
  for (const transport of TRANSPORTS) {
    const client = clientOf(transport, headers);
    try {
      seen.length = 0;
      const got: Buffer[] = [];
      for (const [i, size] of sizes.entries()) {
        const answer = await client.call('/test.Echo/Call', pattern(size, i), { timeoutMs: 20_000 });
        got.push(Buffer.from(answer));
        client.release(answer);
      }
      answers.set(transport, got);
      assert.deepEqual(seen.map((s) => s.bytes.length), sizes, transport);
      for (const [i, s] of seen.entries()) {
        assert.ok(s.bytes.equals(pattern(sizes[i]!, i)), `${transport}: request ${i} intact`);
        assert.equal(s.metadata.authorization, headers.authorization);
        assert.equal(s.metadata.dbname, 'db1');
      }
    } finally {
      client.close();
    }
  }
  const [ours, theirs] = [answers.get('socket')!, answers.get('http2')!];
  for (const [i, a] of ours.entries()) {
    assert.ok(a.equals(theirs[i]!), `answer ${i} the same`);
    assert.ok(a.equals(Buffer.concat([Buffer.from('echo:'), pattern(sizes[i]!, i)])));
  }
});

test('the same request headers reach a node:http2 server from both transports', async () => {
  const got: Array<Record<string, unknown>> = [];
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    got.push({ ...headers });
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 1, 7]));
    });
  });
  const at = await new Promise<number>((resolve) => h2.listen(0, '127.0.0.1', () => resolve((h2.address() as net.AddressInfo).port)));
  try {
    for (const transport of TRANSPORTS) {
      const client = clientOf(transport, { 'api-key': 'k3y' }, at);
      assert.deepEqual([...(await client.call('/qdrant.Points/Scroll', Buffer.from([1]), { timeoutMs: 5000 }))], [7]);
      client.close();
    }
    const strip = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => typeof k === 'string'));
    assert.deepEqual(strip(got[0]!), strip(got[1]!));
    assert.equal(got[0]![':path'], '/qdrant.Points/Scroll');
    assert.equal(got[0]!['grpc-timeout'], '5000m');
    assert.equal(got[0]!['api-key'], 'k3y');
  } finally {
    h2.close();
  }
});

test('concurrent calls on one connection each get their own answer', async () => {
  handler = async (request) => {
    await new Promise((r) => setTimeout(r, (request[0]! % 5) * 10));
    return Buffer.concat([request, request]);
  };
  const client = clientOf('socket');
  try {
    const requests = Array.from({ length: 12 }, (_, i) => pattern(1000 + i * 150_000, i));
    const answers = await Promise.all(requests.map((r) => client.call('/test.Echo/Call', r, { timeoutMs: 20_000 })));
    for (const [i, a] of answers.entries()) assert.ok(a.equals(Buffer.concat([requests[i]!, requests[i]!])), `call ${i}`);
  } finally {
    client.close();
  }
});

test('failures have the same code, message and metadata over both transports', async () => {
  const md = new Metadata();
  md.set('retry-after', '7');
  md.set('x-note', 'a note');
  const cases: Array<[string, Handler, number]> = [
    ['unauthenticated (percent-encoded message)', async () => ({ code: status.UNAUTHENTICATED, details: 'bad token: 100% wrong, ünïcode ✓' }), status.UNAUTHENTICATED],
    ['a failed status with trailers', async () => ({ code: status.FAILED_PRECONDITION, details: 'no', metadata: md }), status.FAILED_PRECONDITION],
    ['resource exhausted', async () => ({ code: status.RESOURCE_EXHAUSTED, details: 'message larger than max' }), status.RESOURCE_EXHAUSTED],
    ['unavailable', async () => ({ code: status.UNAVAILABLE, details: 'going away' }), status.UNAVAILABLE],
  ];
  for (const [name, h, code] of cases) {
    handler = h;
    const out = [];
    for (const transport of TRANSPORTS) {
      const client = clientOf(transport);
      // Twice on one connection: the second block refers to the first's HPACK table entries.
      for (let i = 0; i < 2; i++) out.push(await failureOf(client.call('/test.Echo/Call', pattern(100_000, 1), { timeoutMs: 5000 })));
      client.close();
    }
    for (const e of out) {
      assert.equal(e.code, code, `${name}: ${e.rawMessage}`);
      assert.equal(e.rawMessage, out[0]!.rawMessage, name);
      assert.deepEqual(entries(e.metadata), entries(out[0]!.metadata), name);
    }
    if (name.startsWith('a failed')) assert.equal(out[0]!.metadata.get('retry-after'), '7');
    if (name.startsWith('unauth')) assert.equal(out[0]!.rawMessage, 'bad token: 100% wrong, ünïcode ✓');
  }
});

test('a large request refused by the server before it has all of it fails cleanly, and the connection goes on', async () => {
  // grpc-js answers a message above its receive limit with RESOURCE_EXHAUSTED while the rest is in flight.
  const small = new Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  small.register('/test.Echo/Call', (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb(null, call.request), (b: Buffer) => b, (b: Buffer) => b, 'unary');
  const at = await new Promise<number>((resolve, reject) => small.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  try {
    for (const transport of TRANSPORTS) {
      const client = clientOf(transport, {}, at);
      const e = await failureOf(client.call('/test.Echo/Call', pattern(8 * 2 ** 20, 3), { timeoutMs: 10_000 }));
      assert.equal(e.code, status.RESOURCE_EXHAUSTED, `${transport}: ${e.rawMessage}`);
      const ok = await client.call('/test.Echo/Call', pattern(1000, 4), { timeoutMs: 10_000 });
      assert.ok(ok.equals(pattern(1000, 4)), transport);
      client.close();
    }
  } finally {
    small.forceShutdown();
  }
});

test('a deadline: DEADLINE_EXCEEDED over both, the stream cancelled, the connection reused', async () => {
  handler = (request) => new Promise((resolve) => setTimeout(() => resolve(request), 1500));
  for (const transport of TRANSPORTS) {
    const client = clientOf(transport);
    const started = Date.now();
    const e = await failureOf(client.call('/test.Echo/Call', pattern(10, 1), { timeoutMs: 200 }));
    assert.equal(e.code, status.DEADLINE_EXCEEDED, `${transport}: ${e.rawMessage}`);
    assert.ok(Date.now() - started < 1200, 'within the deadline, not the answer');
    handler = async (request) => request;
    assert.ok((await client.call('/test.Echo/Call', pattern(10, 2), { timeoutMs: 2000 })).equals(pattern(10, 2)));
    handler = (request) => new Promise((resolve) => setTimeout(() => resolve(request), 1500));
    client.close();
  }
});

test('an aborted call rejects with the signal\'s reason at once, and later calls go on', async () => {
  handler = (request) => new Promise((resolve) => setTimeout(() => resolve(request), 800));
  const client = clientOf('socket');
  try {
    const ac = new AbortController();
    const p = client.call('/test.Echo/Call', pattern(10, 1), { timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stopped by the user')), 50);
    await assert.rejects(p, /stopped by the user/);
    await assert.rejects(client.call('/test.Echo/Call', pattern(10, 1), { timeoutMs: 5000, signal: ac.signal }), /stopped by the user/);
    handler = async (request) => request;
    assert.ok((await client.call('/test.Echo/Call', pattern(10, 3), { timeoutMs: 2000 })).equals(pattern(10, 3)));
  } finally {
    client.close();
  }
});

test('a refused connection names its cause, as over node:http2', async () => {
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  for (const transport of TRANSPORTS) {
    const client = clientOf(transport, {}, closed);
    const e = await failureOf(client.call('/test.Echo/Call', pattern(10, 1), { timeoutMs: 2000 }));
    assert.equal(e.code, status.UNAVAILABLE, transport);
    assert.match(e.rawMessage, new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}`), transport);
    client.close();
  }
});

test('the server going away mid-call: UNAVAILABLE over both; the next call reconnects', async () => {
  for (const transport of TRANSPORTS) {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    handler = (request) => {
      entered();
      return new Promise((resolve) => setTimeout(() => resolve(request), 3000));
    };
    const client = clientOf(transport);
    const p = failureOf(client.call('/test.Echo/Call', pattern(10, 1), { timeoutMs: 10_000 }));
    await inHandler;
    server.forceShutdown();
    const e = await p;
    assert.equal(e.code, status.UNAVAILABLE, `${transport}: ${e.rawMessage}`);
    assert.ok(e.rawMessage.length > 0);
    // The same port again: the client opens a new connection by itself.
    port = await startServer(port);
    handler = async (request) => request;
    assert.ok((await client.call('/test.Echo/Call', pattern(10, 2), { timeoutMs: 5000 })).equals(pattern(10, 2)), transport);
    client.close();
  }
});

test('an idle connection does not keep the process alive', async () => {
  handler = async (request) => request;
  const script = `
    import { RawGrpcClient } from './src/transcode/grpc-raw.ts';
    const c = new RawGrpcClient('http://127.0.0.1:${port}', {}, { transport: 'socket' });
    const a = await c.call('/test.Echo/Call', Buffer.from('hi'), { timeoutMs: 5000 });
    console.log(a.toString());`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => {
      child.kill();
      resolve(-1);
    }, 20_000);
    child.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.equal(out.trim(), 'hi');
  assert.equal(code, 0, 'the process exits on its own with the connection open and idle');
});

/** The padded frames a node:http2 server sends with maximum padding arrive as the same answer. */
test('padded HEADERS and DATA frames (a node:http2 server padding to the maximum)', async () => {
  const h2 = http2.createServer({ paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
  h2.on('stream', (stream) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(parts).subarray(5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const prefix = Buffer.from([0, 0, 0, 0, 0]);
      prefix.writeUInt32BE(body.length * 2, 1);
      stream.end(Buffer.concat([prefix, body, body]));
    });
  });
  const at = await new Promise<number>((resolve) => h2.listen(0, '127.0.0.1', () => resolve((h2.address() as net.AddressInfo).port)));
  const client = clientOf('socket', {}, at);
  try {
    for (const size of [1, 5000, 300_000]) {
      const answer = await client.call('/x.Y/Z', pattern(size, size), { timeoutMs: 5000 });
      assert.ok(answer.equals(Buffer.concat([pattern(size, size), pattern(size, size)])), `size ${size}`);
    }
  } finally {
    client.close();
    h2.close();
  }
});

/** A server speaking raw frames: what the test scripts it to send after the client's request. */
async function scripted(
  respond: (socket: net.Socket, streamId: number, received: Buffer[]) => void,
  window?: number,
): Promise<{ port: number; received: Buffer[]; sockets: Set<net.Socket>; close: () => void }> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    let prefaceSeen = false;
    if (window === undefined) socket.write(frameOf(4, 0, 0, Buffer.alloc(0)));
    else {
      // `window` bytes per stream and for the connection.
      const settings = Buffer.alloc(6);
      settings.writeUInt16BE(4, 0);
      settings.writeUInt32BE(window, 2);
      const increment = Buffer.alloc(4);
      increment.writeUInt32BE(window - 65_535, 0);
      socket.write(Buffer.concat([frameOf(4, 0, 0, settings), frameOf(8, 0, 0, increment)]));
    }
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!prefaceSeen && buf.length >= 24) {
        buf = buf.subarray(24);
        prefaceSeen = true;
      }
      while (prefaceSeen && buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const len = buf.readUIntBE(0, 3);
        const f = buf.subarray(0, 9 + len);
        received.push(Buffer.from(f));
        buf = buf.subarray(9 + len);
        // The end of a request (DATA with END_STREAM): answer it.
        if (f[3] === 0 && (f[4]! & 1) !== 0) respond(socket, f.readUInt32BE(5), received);
      }
    });
    socket.on('error', () => undefined);
  });
  const p = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
  return {
    port: p,
    received,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      srv.close();
    },
  };
}

function frameOf(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

test('CONTINUATION frames, a PING answered, an answer in many small DATA frames, a trailers-only error', async () => {
  let call = 0;
  const srv = await scripted((socket, id) => {
    call++;
    const headers = encodeHeaderBlock([[':status', '200'], ['content-type', 'application/grpc'], ['x-long', 'v'.repeat(300)]]);
    if (call === 2) {
      // Trailers-only: one header block with the status and END_STREAM, split over CONTINUATION.
      const block = encodeHeaderBlock([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', '16'], ['grpc-message', 'who%20are%20you']]);
      socket.write(Buffer.concat([frameOf(1, 1, id, block.subarray(0, 10)), frameOf(9, 0, id, block.subarray(10, 20)), frameOf(9, 4, id, block.subarray(20))]));
      return;
    }
    const message = Buffer.from('hello, continuation');
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    const trailers = encodeHeaderBlock([['grpc-status', '0'], ['grpc-message', '']]);
    const out = [frameOf(6, 0, 0, Buffer.from('12345678')), frameOf(1, 0, id, headers.subarray(0, 100)), frameOf(9, 0, id, headers.subarray(100, 200)), frameOf(9, 4, id, headers.subarray(200))];
    for (let i = 0; i < body.length; i += 3) out.push(frameOf(0, 0, id, body.subarray(i, i + 3)));
    out.push(frameOf(1, 4 | 1, id, trailers));
    // One byte at a time: frame headers and payloads split across reads.
    const all = Buffer.concat(out);
    for (let i = 0; i < all.length; i++) socket.write(all.subarray(i, i + 1));
  });
  const client = clientOf('socket', {}, srv.port);
  try {
    const answer = await client.call('/x.Y/Z', Buffer.from('q'), { timeoutMs: 5000 });
    assert.equal(answer.toString(), 'hello, continuation');
    // Our ACK went out before the answer was read, but the server may not have read it yet.
    for (let i = 0; i < 50 && !srv.received.some((f) => f[3] === 6); i++) await new Promise((r) => setTimeout(r, 20));
    const pong = srv.received.find((f) => f[3] === 6);
    assert.ok(pong, 'a PING ACK was sent');
    assert.equal(pong[4], 1);
    assert.equal(pong.subarray(9).toString(), '12345678');
    assert.ok(srv.received.some((f) => f[3] === 4 && f[4] === 1), 'the server\'s SETTINGS were acknowledged');
    const e = await failureOf(client.call('/x.Y/Z', Buffer.from('q'), { timeoutMs: 5000 }));
    assert.equal(e.code, status.UNAUTHENTICATED);
    assert.equal(e.rawMessage, 'who are you');
  } finally {
    client.close();
    srv.close();
  }
});

test('GOAWAY: a call the server did not process fails as UNAVAILABLE naming it, and the next call opens a new connection', async () => {
  let connections = 0;
  const srv = await scripted((socket, id) => {
    connections++;
    if (connections === 1) {
      const goaway = Buffer.alloc(8 + 5);
      goaway.writeUInt32BE(0, 0);
      goaway.writeUInt32BE(0, 4);
      goaway.write('bye!!', 8);
      socket.write(frameOf(7, 0, 0, goaway));
      return;
    }
    const block = encodeHeaderBlock([[':status', '200'], ['grpc-status', '0']]);
    socket.write(Buffer.concat([frameOf(1, 4, id, encodeHeaderBlock([[':status', '200']])), frameOf(0, 0, id, Buffer.from([0, 0, 0, 0, 1, 42])), frameOf(1, 5, id, block)]));
  });
  const client = clientOf('socket', {}, srv.port);
  try {
    const e = await failureOf(client.call('/x.Y/Z', Buffer.from('q'), { timeoutMs: 5000 }));
    assert.equal(e.code, status.UNAVAILABLE);
    assert.match(e.rawMessage, /GOAWAY NO_ERROR: bye!!.*not processed/);
    assert.deepEqual([...(await client.call('/x.Y/Z', Buffer.from('q'), { timeoutMs: 5000 }))], [42]);
  } finally {
    client.close();
    srv.close();
  }
});

test('a request larger than the peer\'s windows waits for its WINDOW_UPDATEs and honours its frame size', async () => {
  // A server with a 1000-byte initial window and 16 KiB frames, granting what it receives back a
  // moment later: the request must stay within 65,535 bytes (the connection's window, which only
  // WINDOW_UPDATE raises) plus what was granted.
  const size = 300_000;
  let granted = 0;
  let sent = 0;
  let overrun = '';
  const srv = await scripted((socket, id, received) => {
    const data = received.filter((f) => f[3] === 0);
    const got = data.reduce((n, f) => n + f.readUIntBE(0, 3), 0);
    const block = encodeHeaderBlock([[':status', '200'], ['grpc-status', '0']]);
    socket.write(Buffer.concat([frameOf(1, 4, id, encodeHeaderBlock([[':status', '200']])), frameOf(0, 0, id, Buffer.from([0, 0, 0, 0, 4, ...Buffer.from(String(got).padStart(4, '0').slice(-4))])), frameOf(1, 5, id, block)]));
  });
  // Wrap the scripted server: on each connection send SETTINGS (INITIAL_WINDOW_SIZE 1000) and top the windows up as DATA arrives.
  const proxy = net.createServer((client) => {
    const upstream = net.connect(srv.port, '127.0.0.1');
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(4, 0);
    settings.writeUInt32BE(1000, 2);
    client.write(frameOf(4, 0, 0, settings));
    let buf = Buffer.alloc(0);
    let preface = false;
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      buf = Buffer.concat([buf, d]);
      if (!preface && buf.length >= 24) {
        buf = buf.subarray(24);
        preface = true;
      }
      while (preface && buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const len = buf.readUIntBE(0, 3);
        const f = buf.subarray(0, 9 + len);
        buf = buf.subarray(9 + len);
        if (len > 16_384) overrun ||= `a frame of ${len} bytes`;
        if (f[3] === 0) sent += len;
        if (sent > 65_535 + granted) overrun ||= `${sent} bytes sent with ${65_535 + granted} granted`;
        if (f[3] === 0 && len > 0) {
          const inc = Buffer.alloc(4);
          inc.writeUInt32BE(len, 0);
          setTimeout(() => {
            granted += len;
            client.write(Buffer.concat([frameOf(8, 0, 0, inc), frameOf(8, 0, f.readUInt32BE(5), inc)]));
          }, 1);
        }
      }
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  const at = await new Promise<number>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as net.AddressInfo).port)));
  const client = clientOf('socket', {}, at);
  try {
    const answer = await client.call('/x.Y/Z', pattern(size, 9), { timeoutMs: 10_000 });
    // The scripted server counts the DATA bytes it received: the whole request and its prefix.
    assert.equal(answer.toString(), String(size + 5).slice(-4));
    const data = srv.received.filter((f) => f[3] === 0);
    assert.equal(overrun, '');
    assert.ok(data.length > 20, `sent within the windows in ${data.length} frames`);
    assert.ok(Buffer.concat(data.map((f) => f.subarray(9))).subarray(5).equals(pattern(size, 9)));
  } finally {
    client.close();
    proxy.close();
    srv.close();
  }
});

/** Headers, an empty message and an OK status: a scripted server's answer. */
function emptyAnswer(socket: net.Socket, id: number): void {
  socket.write(Buffer.concat([
    frameOf(1, 4, id, encodeHeaderBlock([[':status', '200']])),
    frameOf(0, 0, id, Buffer.from([0, 0, 0, 0, 0])),
    frameOf(1, 5, id, encodeHeaderBlock([[':status', '200'], ['grpc-status', '0']])),
  ]));
}

test('a cancelled call whose DATA still waits in the socket says its request is free only once the socket is done with it', async () => {
  // A server that grants 16 MiB and reads nothing: the 24 MiB request fills the kernel's buffers,
  // 16 MiB of it minus those waits in our socket when the deadline cancels the call, and the last
  // 8 MiB, beyond the window, is never sent. (With a window larger than the request all of it was
  // in the socket already, and "cut short" held only when the check outran the server's reads.)
  const srv = await scripted(emptyAnswer, 2 ** 24);
  const client = clientOf('socket', {}, srv.port);
  try {
    await client.call('/x.Y/Z', pattern(10, 1), { timeoutMs: 10_000 });
    for (const socket of srv.sockets) socket.pause();
    const big = pattern(24 * 2 ** 20, 2);
    let sent = false;
    const e = await failureOf(client.call('/x.Y/Z', big, { timeoutMs: 300, onSent: () => (sent = true) }));
    assert.equal(e.code, status.DEADLINE_EXCEEDED, e.rawMessage);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sent, false, 'the socket still holds the request: its buffer must not be reused yet');
    // The server reads again: what was queued goes out (then our RST_STREAM), and the buffer is free.
    for (const socket of srv.sockets) socket.resume();
    for (let i = 0; i < 200 && !sent; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sent, true, 'freed once written');
    const data = Buffer.concat(srv.received.filter((f) => f[3] === 0 && f.readUInt32BE(5) === 3).map((f) => f.subarray(9)));
    assert.ok(data.length < 5 + big.length, 'the request was cut short by the cancel');
    assert.ok(data.subarray(5).equals(big.subarray(0, data.length - 5)), 'what went out is the request as it was');
  } finally {
    client.close();
    srv.close();
  }
});

test('a cancelled call whose socket is destroyed frees its request', async () => {
  const srv = await scripted(emptyAnswer, 2 ** 25);
  const client = clientOf('socket', {}, srv.port);
  try {
    await client.call('/x.Y/Z', pattern(10, 1), { timeoutMs: 10_000 });
    for (const socket of srv.sockets) socket.pause();
    let sent = false;
    const ac = new AbortController();
    const p = client.call('/x.Y/Z', pattern(24 * 2 ** 20, 3), { timeoutMs: 10_000, signal: ac.signal, onSent: () => (sent = true) });
    setTimeout(() => ac.abort(new Error('stopped')), 100);
    await assert.rejects(p, /stopped/);
    assert.equal(sent, false);
    client.close();
    srv.close();
    for (let i = 0; i < 200 && !sent; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sent, true, 'freed once the connection is gone');
  } finally {
    client.close();
    srv.close();
  }
});
