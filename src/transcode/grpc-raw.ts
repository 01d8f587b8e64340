/**
 * A minimal gRPC unary client for the calls whose bytes we handle ourselves (Qdrant's Scroll and
 * Get, see grpc-scroll.ts; Milvus's Upsert on plaintext targets, see milvus/raw-call.ts). One
 * HTTP/2 connection per client, opened on first use and again after it closes; concurrent calls
 * are streams on it. Plaintext (http://) origins use our own HTTP/2 connection over a socket
 * (h2-socket.ts: receiving costs a third to a fifth of node:http2's CPU per MB, and no 64 KiB
 * buffer per read); https:// origins node:http2. `Q2M_RAW_GRPC=http2` (or the transport option)
 * puts plaintext origins back on node:http2.
 *
 * Failures are thrown in the shape the official client's errors have ({code, rawMessage,
 * metadata}, gRPC status codes), so grpc.ts maps both through the same code, never by message text.
 */
import http2 from 'node:http2';
import { BlockPool } from './arena.ts';
import { H2Connection, type H2Stream } from './h2-socket.ts';
import { encodeHeaderBlock, type HeaderList } from './hpack.ts';

export interface GrpcFailureShape {
  /** gRPC status code (the numbering Connect's Code uses too). */
  code: number;
  rawMessage: string;
  metadata: Headers;
}

/** gRPC status codes used here (google.rpc.Code). */
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
const INTERNAL = 13;
const RESOURCE_EXHAUSTED = 8;

/** Which HTTP/2 client plaintext origins use (the transport option, else Q2M_RAW_GRPC, else our own). */
export type RawTransport = 'socket' | 'http2';
const DEFAULT_TRANSPORT: RawTransport = process.env.Q2M_RAW_GRPC === 'http2' ? 'http2' : 'socket';

function failure(code: number, rawMessage: string, headers: http2.IncomingHttpHeaders = {}): GrpcFailureShape & Error {
  const metadata = new Headers();
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith(':') || v === undefined) continue;
    try {
      metadata.set(k, String(v));
    } catch {
      // A value Headers refuses (not a ByteString): left out of the metadata, not a crash.
    }
  }
  return Object.assign(new Error(rawMessage), { code, rawMessage, metadata });
}

/** HTTP status → gRPC code when a proxy answers instead of the server (gRPC's own mapping). */
function codeForHttp(status: number): number {
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 12;
  if (status === 429 || status === 502 || status === 503 || status === 504) return UNAVAILABLE;
  return UNKNOWN;
}

/**
 * Flow control and framing for answers of a few MB (a page of 768-d points is 1-2 MB). With
 * HTTP/2's defaults (64 KiB windows, 16 KiB frames) the server stops every 64 KiB until our
 * WINDOW_UPDATE arrives, and each frame is a callback into JS. With a window of several pages per
 * stream and frames as large as the server will make, reading real Qdrant 1.19 (768-d, 4 streams)
 * cost 4.7-5.0 µs of our CPU per point instead of 6.2-6.7, and the stream rate rose by about a
 * third. Memory stays bounded by the pages we asked for (callers bound those).
 */
const STREAM_WINDOW = 16 * 2 ** 20;
const SESSION_WINDOW = 64 * 2 ** 20;
const SESSION_OPTIONS: http2.ClientSessionOptions = {
  settings: { initialWindowSize: STREAM_WINDOW, maxFrameSize: 2 ** 24 - 1 },
  // nghttp2's buffered-data limit (MB): above the window, so a burst is never refused as abuse.
  maxSessionMemory: 128,
};

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** The transport reads the message no more (see call()). */
  onSent?: () => void;
}

/** Messages from this size on are written without being copied behind their prefix. */
const LARGE_MESSAGE = 64 * 2 ** 10;

export class RawGrpcClient {
  private session: http2.ClientHttp2Session | undefined;
  /**
   * Response buffers reused from call to call. An answer arrives as DATA chunks of up to 64 KiB
   * (one per socket read) and the decoder wants it whole: concatenated into a fresh 1-2 MB buffer
   * per page, at 40k points/s, that was a page of garbage per call for the GC (README,
   * "Performance"). A caller done with an answer hands it back (release()); one that is not
   * leaves it to the GC.
   */
  private readonly buffers = new BlockPool();
  private active = 0;
  /** Why the last session failed, for the message of the calls it took down. */
  private sessionError = '';

  /** Our own HTTP/2 connection (plaintext origins), and the header blocks of its requests by path and deadline. */
  private connection: H2Connection | undefined;
  private readonly url: URL;
  readonly transport: RawTransport;
  private readonly blocks = new Map<string, Buffer>();

  constructor(
    private readonly origin: string,
    private readonly headers: Record<string, string>,
    options: { transport?: RawTransport } = {},
  ) {
    this.url = new URL(origin);
    this.transport = this.url.protocol === 'http:' ? (options.transport ?? DEFAULT_TRANSPORT) : 'http2';
  }

  /**
   * One unary call; resolves with the response message's bytes. Hand them back with release()
   * once nothing refers to them any more (decoded: grpc-scroll.ts copies what it keeps).
   *
   * `onSent` is called once, when the transport reads `message` no more (its buffer may be
   * reused): after the call is over and the socket has written what it queued of it, or the
   * socket is gone. That can be after the call settles (a cancelled stream whose DATA still waits
   * in the socket).
   */
  call(path: string, message: Buffer, options: CallOptions): Promise<Buffer> {
    return this.transport === 'socket' ? this.callSocket(path, message, options) : this.callHttp2(path, message, options);
  }

  private callSocket(path: string, message: Buffer, options: CallOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        options.onSent?.();
        return reject(signal.reason);
      }
      const conn = this.socketConnection();
      let timedOut = false;
      const stream: H2Stream = conn.request(this.headerBlock(path, options.timeoutMs), message, (o) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        try {
          if (signal?.aborted) throw signal.reason;
          if (o.extraData) throw failure(RESOURCE_EXHAUSTED, 'the answer holds more than one message, or one larger than 1 GiB');
          resolve(outcome(o.headers, o.trailers, o.body, o.rstCode, timedOut, o.connectionError));
        } catch (error) {
          this.buffers.give(o.body.buffer as ArrayBuffer);
          reject(error);
        }
      }, options.onSent);
      const timer = setTimeout(() => {
        timedOut = true;
        conn.cancel(stream);
      }, options.timeoutMs);
      const onAbort = () => conn.cancel(stream);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private socketConnection(): H2Connection {
    if (this.connection?.usable) return this.connection;
    const conn: H2Connection = new H2Connection(this.url.hostname.replace(/^\[|\]$/g, ''), Number(this.url.port || 80), this.buffers, () => {
      if (this.connection === conn) this.connection = undefined;
    });
    this.connection = conn;
    return conn;
  }

  /** The HPACK block of a request (the same fields, in the same order, as callHttp2 gives node:http2). */
  private headerBlock(path: string, timeoutMs: number): Buffer {
    const timeout = `${Math.max(1, Math.ceil(timeoutMs))}m`;
    const key = `${timeout} ${path}`;
    let block = this.blocks.get(key);
    if (!block) {
      const fields: HeaderList = [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':authority', this.url.host],
        [':path', path],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
        ['grpc-timeout', timeout],
        ...Object.entries(this.headers).map(([k, v]): [string, string] => [k.toLowerCase(), v]),
      ];
      block = encodeHeaderBlock(fields);
      if (this.blocks.size > 64) this.blocks.clear();
      this.blocks.set(key, block);
    }
    return block;
  }

  private callHttp2(path: string, message: Buffer, options: CallOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.connect().request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.ceil(options.timeoutMs))}m`,
          ...this.headers,
        });
      } catch (error) {
        options.onSent?.();
        reject(failure(UNAVAILABLE, `cannot open a stream: ${(error as Error).message}`));
        return;
      }
      this.active++;
      this.session?.ref();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, options.timeoutMs);
      const onAbort = () => stream.close(http2.constants.NGHTTP2_CANCEL);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const chunks: Buffer[] = [];
      let received = 0;
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => (headers = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
      });
      // Reported through 'close' below. A stream the connection took down says why in its cause
      // (e.g. `connect ECONNREFUSED`), before the session's own error arrives.
      let streamError = '';
      stream.on('error', (error: Error) => (streamError = (error.cause instanceof Error ? error.cause.message : '') || error.message));
      stream.on('close', () => {
        // node:http2 has no word for "written": the stream's end is the nearest (as before).
        options.onSent?.();
        clearTimeout(timer);
        // Idle sessions must not keep the process alive; busy ones must.
        if (--this.active === 0) this.session?.unref();
        options.signal?.removeEventListener('abort', onAbort);
        if (options.signal?.aborted) return reject(options.signal.reason);
        try {
          resolve(outcome(headers, trailers, this.assemble(chunks, received), stream.rstCode, timedOut, this.sessionError || streamError));
        } catch (error) {
          reject(error);
        }
      });
      const frame = Buffer.allocUnsafe(5);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      // A large message (a Milvus Upsert: ~1 MB a page) goes out as it is, after its 5-byte prefix:
      // node:http2 sends from the caller's buffer, so no copy of it is made (a fresh buffer per
      // request is also memory outside V8's heap, which forces young-generation GCs). A small one
      // is joined with its prefix into one DATA frame.
      if (message.length >= LARGE_MESSAGE) {
        stream.write(frame);
        stream.end(message);
      } else stream.end(Buffer.concat([frame, message]));
    });
  }

  /** The bytes of an answer from call() may be reused for a later one: the caller no longer reads them. */
  release(message: Uint8Array): void {
    this.buffers.give(message.buffer as ArrayBuffer);
  }

  /** The DATA chunks as one buffer: a single chunk as it is, several copied into a reused buffer. */
  private assemble(chunks: Buffer[], size: number): Buffer {
    if (chunks.length <= 1) return chunks[0] ?? Buffer.alloc(0);
    const out = Buffer.from(this.buffers.take(size), 0, size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
    this.connection?.close();
    this.connection = undefined;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(this.origin, SESSION_OPTIONS);
    // The connection's own window (the settings only set each stream's): all pages in flight at once.
    session.once('connect', () => session.setLocalWindowSize(SESSION_WINDOW));
    this.sessionError = '';
    // Connection errors surface on the streams too; the session's own error names the cause.
    session.on('error', (error: Error) => (this.sessionError = error.message));
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }
}

/** The message, or the failure the status (in trailers, or headers for trailers-only) says. */
function outcome(headers: http2.IncomingHttpHeaders, trailers: http2.IncomingHttpHeaders, body: Buffer, rst: number, timedOut: boolean, connectionError: string): Buffer {
  const httpStatus = Number(headers[':status'] ?? 0);
  const statusText = trailers['grpc-status'] ?? headers['grpc-status'];
  if (statusText === undefined) {
    if (timedOut) throw failure(DEADLINE_EXCEEDED, 'no answer within the deadline');
    if (httpStatus !== 0 && httpStatus !== 200) throw failure(codeForHttp(httpStatus), `HTTP ${httpStatus} from a server that is not speaking gRPC`, headers);
    throw failure(UNAVAILABLE, connectionError || `the stream ended without a gRPC status (HTTP/2 code ${rst})`);
  }
  const code = Number(statusText);
  if (code !== 0) {
    const text = String(trailers['grpc-message'] ?? headers['grpc-message'] ?? '');
    throw failure(Number.isInteger(code) ? code : UNKNOWN, decodeGrpcMessage(text), { ...headers, ...trailers });
  }
  if (body.length < 5) throw failure(INTERNAL, 'the answer holds no message');
  if (body[0] !== 0) throw failure(INTERNAL, 'the answer is compressed, which was not asked for');
  const len = body.readUInt32BE(1);
  if (body.length < 5 + len) throw failure(INTERNAL, 'the answer is truncated');
  return body.subarray(5, 5 + len);
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function decodeGrpcMessage(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
