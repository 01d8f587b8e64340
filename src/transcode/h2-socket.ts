/**
 * A minimal HTTP/2 client connection (RFC 9113) over a plain `net.Socket`, for the unary gRPC calls
 * whose bytes we handle ourselves (grpc-raw.ts). Only what a gRPC client needs: requests with a
 * header block and one body, responses with headers, DATA and trailers; no server push, no
 * priorities, no TLS (https:// targets keep node:http2).
 *
 * Why not node:http2: receiving a 1-2 MB Scroll answer through it cost 1.8-3.7 ms of our CPU per
 * MB: a fresh 64 KiB buffer per socket read (malloc/free in perf; external memory that forces V8's
 * scavenges and major GCs), a Buffer and a JS callback per DATA chunk, nghttp2's bookkeeping. Here
 * the socket reads into one reused buffer (`onread`), and DATA is copied straight from it into the
 * answer's pooled buffer, sized from the gRPC message prefix (docs: /work/team/doc-C.md numbers).
 * Inside a large DATA frame the socket reads into the answer's buffer itself (nextReadBuffer): real
 * Qdrant sends a 1-2 MB Scroll answer as one frame, so most of its bytes are never copied by us.
 *
 * Flow control both ways: our receive windows are large (16 MiB per stream, 64 MiB for the
 * connection, as grpc-raw.ts's node:http2 settings) and topped up as DATA is consumed; requests are
 * sent within the peer's windows (its SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATEs) in frames of
 * at most its SETTINGS_MAX_FRAME_SIZE, from the caller's buffers without a copy.
 */
import net from 'node:net';
import type { BlockPool } from './arena.ts';
import { HpackDecoder, type HeaderList } from './hpack.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PUSH_PROMISE = 5;
const PING = 6;
const GOAWAY = 7;
const WINDOW_UPDATE = 8;
const CONTINUATION = 9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

/** HTTP/2 error codes (RFC 9113 §7). */
export const H2 = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, FRAME_SIZE_ERROR: 6, CANCEL: 8, COMPRESSION_ERROR: 9 } as const;
const ERROR_NAMES = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
const errorName = (code: number) => ERROR_NAMES[code] ?? `code ${code}`;

const DEFAULT_WINDOW = 65_535;
const DEFAULT_FRAME = 16_384;
const MAX_WINDOW = 2 ** 31 - 1;
/** Receive windows, as grpc-raw.ts gives node:http2 (why: there). */
export const STREAM_WINDOW = 16 * 2 ** 20;
export const CONNECTION_WINDOW = 64 * 2 ** 20;
/** The largest frame we accept (SETTINGS_MAX_FRAME_SIZE): the server may send a page in a few frames. */
const OUR_MAX_FRAME = 2 ** 24 - 1;
/** A gRPC message larger than this is refused rather than buffered (a broken or hostile peer). */
const MAX_MESSAGE = 2 ** 30;
/** The stream ids a connection can use; past them calls go to a new connection. */
const LAST_STREAM_ID = 2 ** 31 - 1;

/**
 * The socket reads into this one buffer, for every connection of the process, unless it can read
 * into an answer's buffer (nextReadBuffer): each read is parsed and whatever is kept is copied out
 * before the callback returns (libuv reads and calls back synchronously, one socket at a time), so
 * nothing is allocated per read. 1 MiB: a loopback read rarely returns more, and fewer reads mean
 * fewer callbacks.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER = 2 ** 20;
/**
 * The least content of a DATA frame, still to come and with room for it in the answer's buffer,
 * that the socket reads straight into that buffer rather than into the shared one. Such a read
 * stops at the frame's content (the next frame's header must not land in the answer), so it may
 * cost a read more per frame: worth it for large frames only.
 */
const DIRECT_READ = 64 * 1024;
/**
 * From a peer that sends large DATA frames, a read that may begin a frame takes at most this much
 * (a view of the shared buffer): otherwise it would take the frame's first ~1 MiB with it, to be
 * copied (on loopback a Scroll answer's frame is mostly there already when its header is read).
 * Real Qdrant 1.19, ref768 pages of 583 points (~1.9 MB): 96 % of the answer bytes read in place
 * with this, 48-62 % without.
 */
const HEAD_READ = 64 * 1024;
let headReadBuffer: Buffer | undefined;
let directReads = true;

/**
 * For benches: `false` makes every read land in the shared buffer and copies DATA from there (as
 * before direct reads), so the two can be compared in one process (bench/receive-cost.ts --reads).
 */
export function setDirectReads(on: boolean): void {
  directReads = on;
}

/** What a stream ended with; the gRPC meaning is grpc-raw.ts's. */
export interface StreamOutcome {
  /** Response headers (pseudo-headers included), repeated names joined with ", ". */
  headers: Record<string, string>;
  trailers: Record<string, string>;
  /**
   * The DATA received: a gRPC message with its 5-byte prefix, in a buffer of the pool (or empty).
   * Empty too for a stream that ended (cancelled) while the socket's next read was to land in its
   * buffer: that buffer goes back to the pool from the connection, once the read is done.
   */
  body: Buffer;
  /** More DATA came than the first message's prefix announced. */
  extraData: boolean;
  /** The server's RST_STREAM code, our own (CANCEL) when we cancelled, else 0. */
  rstCode: number;
  /** Why the connection took the stream down (its cause), '' when it did not. */
  connectionError: string;
}

export class H2Stream {
  id = 0;
  sendWindow = 0;
  /** Request bytes not yet sent: the prefix and message pieces, from `at` of the first. */
  pending: Buffer[] = [];
  at = 0;
  pendingBytes = 0;
  headers: HeaderList | undefined;
  trailers: HeaderList | undefined;
  /** The first 5 DATA bytes (the gRPC message prefix) until the body buffer exists. */
  prefix: Buffer | undefined;
  body: Buffer | undefined;
  received = 0;
  extraData = false;
  /** DATA bytes consumed since our last WINDOW_UPDATE for this stream. */
  unacked = 0;
  rstCode = 0;
  finished = false;
  /** Socket writes of request bytes not yet done (each pass of sendSome waits on its last one). */
  writing = 0;

  constructor(
    readonly block: Buffer,
    message: Buffer,
    readonly done: (outcome: StreamOutcome) => void,
    /** Called once the socket reads the message's buffer no more (see H2Connection.request). */
    private sent?: () => void,
  ) {
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = 0;
    prefix.writeUInt32BE(message.length, 1);
    // A small message is joined with its prefix (one piece, one write); a large one is sent from
    // the caller's buffer as it is (no copy of a 1-16 MB Upsert; grpc-raw.ts).
    this.pending = message.length < 64 * 1024 ? [Buffer.concat([prefix, message])] : [prefix, message];
    this.pendingBytes = 5 + message.length;
  }

  /** `sent`, once the stream is over and no write of its bytes is left. */
  settleWrites(): void {
    if (!this.finished || this.writing > 0 || !this.sent) return;
    const sent = this.sent;
    this.sent = undefined;
    sent();
  }
}

class ConnectionError extends Error {
  constructor(
    readonly h2Code: number,
    message: string,
  ) {
    super(message);
  }
}

const enum Phase {
  Header,
  Data,
  Payload,
}

export class H2Connection {
  private readonly socket: net.Socket;
  private readonly streams = new Map<number, H2Stream>();
  /** Streams waiting for the server's concurrency limit. */
  private readonly waiting: H2Stream[] = [];
  /** Streams with request bytes left to send (waiting for window). */
  private readonly sending: H2Stream[] = [];
  private readonly decoder = new HpackDecoder();
  private nextId = 1;
  private closed = false;
  /** GOAWAY received or close() called: no new streams; closed when the last one ends. */
  private draining = false;
  private cause = '';
  private goawayNote = '';
  /** We have ended our side of the socket (nothing more may be written). */
  private ended = false;

  private peerMaxFrame = DEFAULT_FRAME;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private connectionSendWindow = DEFAULT_WINDOW;
  private connectionUnacked = 0;
  private readonly streamUpdates: H2Stream[] = [];

  // Parser state.
  private phase = Phase.Header;
  private readonly head = Buffer.allocUnsafe(9);
  private headGot = 0;
  private frameType = 0;
  private frameFlags = 0;
  private frameStream = 0;
  private frameLength = 0;
  private payload = Buffer.allocUnsafe(16 * 1024);
  private payloadGot = 0;
  private dataStream: H2Stream | undefined;
  private dataLeft = 0;
  private padLeft = 0;
  private padPending = false;
  private continuing: { id: number; endStream: boolean; parts: Buffer[] } | undefined;
  /** The stream whose buffer the socket reads into next, and the view of it handed to the socket. */
  private direct: H2Stream | undefined;
  private directView: Uint8Array | undefined;
  /**
   * The buffer of a stream that ended while it was the socket's next read buffer: the socket may
   * still write into it, so it goes back to the pool only after that read (or with the socket).
   */
  private orphan: ArrayBuffer | undefined;
  /** DATA bytes the socket read straight into answers' buffers (no copy): for tests and benches. */
  directBytes = 0;
  /** The peer has sent a DATA frame of 2 * DIRECT_READ or more: reads that may begin a frame are kept short (HEAD_READ). */
  private largeFrames = false;

  constructor(
    host: string,
    port: number,
    private readonly pool: BlockPool,
    /** Called once when this connection can take no new calls (GOAWAY, closed). */
    private readonly onUnusable: () => void,
  ) {
    sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER);
    headReadBuffer ??= sharedReadBuffer.subarray(0, HEAD_READ);
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        // Node (lib/net.js, internal/stream_base_commons.js) calls this when the socket is made
        // and after each read's callback; what it returns is where the next read lands, and the
        // callback gets that same object back with the bytes read.
        buffer: () => this.nextReadBuffer(),
        callback: (n: number, buf: Uint8Array) => {
          this.onRead(buf, n);
          return true;
        },
      },
    });
    this.socket.on('error', (error: Error) => (this.cause ||= error.message));
    this.socket.on('close', () => this.onSocketClose());
    // Idle connections must not keep the process alive; busy ones must (updateRef).
    this.socket.unref();
    const settings = Buffer.allocUnsafe(18);
    settings.writeUInt16BE(2, 0); // ENABLE_PUSH
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(4, 6); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(STREAM_WINDOW, 8);
    settings.writeUInt16BE(5, 12); // MAX_FRAME_SIZE
    settings.writeUInt32BE(OUR_MAX_FRAME, 14);
    const increment = Buffer.allocUnsafe(4);
    increment.writeUInt32BE(CONNECTION_WINDOW - DEFAULT_WINDOW, 0);
    this.send(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, settings), frame(WINDOW_UPDATE, 0, 0, increment)]));
  }

  /** Whether a new call may start here (else the caller opens another connection). */
  get usable(): boolean {
    return !this.closed && !this.draining && this.nextId < LAST_STREAM_ID - 2 * (this.waiting.length + 1);
  }

  /**
   * Starts a request: `block` is its HPACK header block, `message` the gRPC message (sent with its
   * prefix, from the caller's buffer). `done` is called once, never synchronously from here.
   * `sent` is called once, after `done`, when the socket reads the message's buffer no more: every
   * write of it done, or the socket gone. A stream cancelled or answered early may still have
   * DATA queued in the socket when `done` is called.
   */
  request(block: Buffer, message: Buffer, done: (outcome: StreamOutcome) => void, sent?: () => void): H2Stream {
    const stream = new H2Stream(block, message, done, sent);
    if (this.closed) {
      process.nextTick(() => this.finish(stream, this.closeReason()));
      return stream;
    }
    if (this.streams.size >= this.peerMaxStreams) this.waiting.push(stream);
    else this.start(stream);
    this.updateRef();
    return stream;
  }

  /** Ends a stream from our side (deadline, abort): RST_STREAM CANCEL, and `done` at once. */
  cancel(stream: H2Stream): void {
    if (stream.finished) return;
    const queued = this.waiting.indexOf(stream);
    if (queued >= 0) this.waiting.splice(queued, 1);
    else if (this.streams.has(stream.id) && !this.closed) this.reset(stream.id, H2.CANCEL);
    stream.rstCode = H2.CANCEL;
    this.finish(stream, '');
  }

  /** No new calls; the connection closes once the calls on it have ended. */
  close(): void {
    this.setDraining();
    if (this.streams.size === 0 && this.waiting.length === 0) this.socket.destroy();
  }

  private start(stream: H2Stream): void {
    stream.id = this.nextId;
    this.nextId += 2;
    stream.sendWindow = this.peerInitialWindow;
    this.streams.set(stream.id, stream);
    // The header block, split into HEADERS + CONTINUATION only when larger than the peer's frames.
    const block = stream.block;
    const first = Math.min(block.length, this.peerMaxFrame);
    this.socket.cork();
    this.send(frame(HEADERS, first === block.length ? END_HEADERS : 0, stream.id, block.subarray(0, first)));
    for (let at = first; at < block.length; at += this.peerMaxFrame) {
      const end = Math.min(block.length, at + this.peerMaxFrame);
      this.send(frame(CONTINUATION, end === block.length ? END_HEADERS : 0, stream.id, block.subarray(at, end)));
    }
    this.sending.push(stream);
    this.flushSends();
    this.socket.uncork();
  }

  /** Sends what the windows allow of every stream's request. */
  private flushSends(): void {
    if (this.sending.length === 0 || this.closed) return;
    this.socket.cork();
    for (let i = 0; i < this.sending.length; ) {
      const s = this.sending[i]!;
      if (!s.finished) this.sendSome(s);
      if (s.finished || s.pendingBytes === 0) this.sending.splice(i, 1);
      else i++;
    }
    this.socket.uncork();
  }

  private sendSome(s: H2Stream): void {
    if (this.closed || this.ended) return;
    // The pass's last write is held back and made with a callback: writes complete in order, so
    // when it is done, all of the pass's are (H2Stream.writing, `sent`).
    let held: Buffer | undefined;
    const write = (bytes: Buffer) => {
      if (held) this.socket.write(held);
      held = bytes;
    };
    while (s.pendingBytes > 0) {
      const size = Math.min(this.connectionSendWindow, s.sendWindow, this.peerMaxFrame, s.pendingBytes);
      if (size <= 0) break;
      const last = size === s.pendingBytes;
      write(frameHeader(size, DATA, last ? END_STREAM : 0, s.id));
      let left = size;
      while (left > 0) {
        const piece = s.pending[0]!;
        const n = Math.min(left, piece.length - s.at);
        write(n === piece.length ? piece : piece.subarray(s.at, s.at + n));
        left -= n;
        s.at += n;
        if (s.at === piece.length) {
          s.pending.shift();
          s.at = 0;
        }
      }
      s.pendingBytes -= size;
      s.sendWindow -= size;
      this.connectionSendWindow -= size;
    }
    if (s.pendingBytes === 0) s.pending = [];
    if (held) {
      s.writing++;
      // Called on success and on failure alike (a destroyed socket fails what it still holds).
      this.socket.write(held, () => {
        s.writing--;
        s.settleWrites();
      });
    }
  }

  private onRead(buf: Uint8Array, n: number): void {
    if (this.closed) return;
    try {
      if (buf === this.directView) this.directRead(n);
      else this.parse(sharedReadBuffer!, n);
      this.sendWindowUpdates();
    } catch (error) {
      const e = error instanceof ConnectionError ? error : new ConnectionError(H2.INTERNAL_ERROR, (error as Error).message);
      this.connectionFailed(e.h2Code, e.message);
    }
  }

  private parse(buf: Buffer, n: number): void {
    let i = 0;
    while (i < n) {
      if (this.phase === Phase.Header) {
        const k = Math.min(9 - this.headGot, n - i);
        buf.copy(this.head, this.headGot, i, i + k);
        this.headGot += k;
        i += k;
        if (this.headGot < 9) return;
        this.headGot = 0;
        this.beginFrame();
      } else if (this.phase === Phase.Data) {
        i = this.dataBytes(buf, i, n);
      } else {
        const k = Math.min(this.frameLength - this.payloadGot, n - i);
        buf.copy(this.payload, this.payloadGot, i, i + k);
        this.payloadGot += k;
        i += k;
        if (this.payloadGot === this.frameLength) {
          this.phase = Phase.Header;
          this.onFrame(this.payload.subarray(0, this.frameLength));
        }
      }
      if (this.closed) return;
    }
  }

  /**
   * Where the socket's next read lands: inside a DATA frame whose answer has its buffer, the part
   * of that buffer the frame's remaining content fills (never more: the read must not take the
   * padding or the next frame); else the shared buffer, only its first HEAD_READ bytes from a peer
   * that sends large frames (the read may begin one). A stream that ends before that read keeps
   * its buffer out of the pool until the read is done (finish, `orphan`).
   */
  private nextReadBuffer(): Uint8Array {
    this.direct = undefined;
    this.directView = undefined;
    if (!directReads || this.closed) return sharedReadBuffer!;
    const s = this.dataStream;
    if (this.phase === Phase.Data && !this.padPending && s !== undefined && !s.finished && s.body !== undefined) {
      const k = Math.min(this.dataLeft - this.padLeft, s.body.length - s.received);
      if (k >= DIRECT_READ) {
        this.direct = s;
        return (this.directView = new Uint8Array(s.body.buffer, s.body.byteOffset + s.received, k));
      }
    }
    // Not in place: a frame header, a small frame, a message prefix split across reads, padding.
    return this.largeFrames ? headReadBuffer! : sharedReadBuffer!;
  }

  /** `n` bytes of the current DATA frame's content, read into the buffer of `direct` where they belong. */
  private directRead(n: number): void {
    const s = this.direct!;
    this.direct = undefined;
    this.directView = undefined;
    if (!s.finished) {
      s.received += n;
      this.directBytes += n;
    }
    this.dataLeft -= n;
    if (this.orphan) {
      // Cancelled meanwhile: the read has landed, the buffer is nobody's now.
      this.pool.give(this.orphan);
      this.orphan = undefined;
    }
    if (this.dataLeft === 0) this.endData();
  }

  private beginFrame(): void {
    const h = this.head;
    const length = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
    const type = h[3]!;
    const flags = h[4]!;
    const id = h.readUInt32BE(5) & 0x7fffffff;
    if (length > OUR_MAX_FRAME) throw new ConnectionError(H2.FRAME_SIZE_ERROR, `a frame of ${length} bytes`);
    if (this.continuing && type !== CONTINUATION) throw new ConnectionError(H2.PROTOCOL_ERROR, 'a header block interrupted before its CONTINUATION');
    this.frameType = type;
    this.frameFlags = flags;
    this.frameStream = id;
    this.frameLength = length;
    if (type === DATA) {
      if (id === 0) throw new ConnectionError(H2.PROTOCOL_ERROR, 'DATA on stream 0');
      // Every DATA byte (padding too) counts against the windows, whoever the stream was.
      this.connectionUnacked += length;
      const s = this.streams.get(id);
      if (s) {
        s.unacked += length;
        if (s.unacked >= STREAM_WINDOW / 2 && !this.streamUpdates.includes(s)) this.streamUpdates.push(s);
      }
      this.dataStream = s;
      this.dataLeft = length;
      if (length >= 2 * DIRECT_READ) this.largeFrames = true;
      this.padLeft = 0;
      this.padPending = (flags & PADDED) !== 0;
      if (this.padPending && length === 0) throw new ConnectionError(H2.PROTOCOL_ERROR, 'a padded DATA frame without its pad length');
      this.phase = Phase.Data;
      if (length === 0) this.endData();
      return;
    }
    if (this.payload.length < length) this.payload = Buffer.allocUnsafe(Math.max(length, this.payload.length * 2));
    this.payloadGot = 0;
    this.phase = Phase.Payload;
    if (length === 0) {
      this.phase = Phase.Header;
      this.onFrame(this.payload.subarray(0, 0));
    }
  }

  /** DATA payload bytes from `buf[i..n)`: the pad length, the content (into the stream), the padding. */
  private dataBytes(buf: Buffer, i: number, n: number): number {
    if (this.padPending) {
      this.padLeft = buf[i++]!;
      this.dataLeft--;
      this.padPending = false;
      if (this.padLeft > this.dataLeft) throw new ConnectionError(H2.PROTOCOL_ERROR, 'DATA padding longer than the frame');
    }
    const content = Math.min(this.dataLeft - this.padLeft, n - i);
    if (content > 0) {
      if (this.dataStream && !this.dataStream.finished) this.deliver(this.dataStream, buf, i, i + content);
      i += content;
      this.dataLeft -= content;
    }
    if (this.dataLeft === this.padLeft && this.padLeft > 0) {
      const skip = Math.min(this.padLeft, n - i);
      i += skip;
      this.dataLeft -= skip;
      this.padLeft -= skip;
    }
    if (this.dataLeft === 0) this.endData();
    return i;
  }

  private endData(): void {
    this.phase = Phase.Header;
    const s = this.dataStream;
    this.dataStream = undefined;
    if (s && (this.frameFlags & END_STREAM) !== 0) this.remoteEnded(s);
  }

  /** Answer bytes into the stream's buffer, sized by the message prefix (one pooled buffer per answer). */
  private deliver(s: H2Stream, src: Buffer, from: number, to: number): void {
    let at = from;
    if (!s.body) {
      const prefix = (s.prefix ??= Buffer.allocUnsafe(5));
      const k = Math.min(5 - s.received, to - at);
      src.copy(prefix, s.received, at, at + k);
      s.received += k;
      at += k;
      if (s.received < 5) return;
      const size = 5 + prefix.readUInt32BE(1);
      if (size > MAX_MESSAGE) {
        // Counted, not kept: the outcome reports it (grpc-raw.ts: RESOURCE_EXHAUSTED).
        s.extraData = true;
        s.body = Buffer.alloc(0);
        return;
      }
      s.body = Buffer.from(this.pool.take(size), 0, size);
      prefix.copy(s.body, 0);
    }
    const k = Math.min(s.body.length - s.received, to - at);
    if (k > 0) {
      src.copy(s.body, s.received, at, at + k);
      s.received += k;
      at += k;
    }
    if (at < to) s.extraData = true;
  }

  private onFrame(p: Buffer): void {
    const id = this.frameStream;
    const flags = this.frameFlags;
    switch (this.frameType) {
      case HEADERS: {
        if (id === 0) throw new ConnectionError(H2.PROTOCOL_ERROR, 'HEADERS on stream 0');
        let start = 0;
        let end = p.length;
        if (flags & PADDED) {
          start = 1;
          end -= p[0] ?? 0;
        }
        if (flags & PRIORITY_FLAG) start += 5;
        if (end < start) throw new ConnectionError(H2.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
        const fragment = p.subarray(start, end);
        const endStream = (flags & END_STREAM) !== 0;
        if (flags & END_HEADERS) this.headerBlock(id, fragment, endStream);
        else this.continuing = { id, endStream, parts: [Buffer.from(fragment)] };
        return;
      }
      case CONTINUATION: {
        const c = this.continuing;
        if (!c || c.id !== id) throw new ConnectionError(H2.PROTOCOL_ERROR, 'CONTINUATION without its HEADERS');
        c.parts.push(Buffer.from(p));
        if (flags & END_HEADERS) {
          this.continuing = undefined;
          this.headerBlock(id, Buffer.concat(c.parts), c.endStream);
        }
        return;
      }
      case RST_STREAM: {
        if (p.length !== 4) throw new ConnectionError(H2.FRAME_SIZE_ERROR, 'RST_STREAM of a wrong size');
        const s = this.streams.get(id);
        if (s) {
          s.rstCode = p.readUInt32BE(0);
          this.finish(s, '');
        }
        return;
      }
      case SETTINGS:
        return this.onSettings(p, flags, id);
      case PUSH_PROMISE:
        throw new ConnectionError(H2.PROTOCOL_ERROR, 'PUSH_PROMISE, which we disabled');
      case PING:
        if (p.length !== 8) throw new ConnectionError(H2.FRAME_SIZE_ERROR, 'PING of a wrong size');
        if (!(flags & ACK)) this.send(frame(PING, ACK, 0, Buffer.from(p)));
        return;
      case GOAWAY:
        if (p.length < 8) throw new ConnectionError(H2.FRAME_SIZE_ERROR, 'GOAWAY of a wrong size');
        return this.onGoaway(p.readUInt32BE(0) & 0x7fffffff, p.readUInt32BE(4), p.subarray(8).toString('utf8'));
      case WINDOW_UPDATE: {
        if (p.length !== 4) throw new ConnectionError(H2.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of a wrong size');
        const increment = p.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) {
          if (increment === 0) throw new ConnectionError(H2.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0');
          this.connectionSendWindow += increment;
          if (this.connectionSendWindow > MAX_WINDOW) throw new ConnectionError(H2.FLOW_CONTROL_ERROR, 'the connection window beyond 2^31-1');
        } else {
          const s = this.streams.get(id);
          if (!s) return;
          if (increment === 0 || s.sendWindow + increment > MAX_WINDOW) {
            this.reset(id, increment === 0 ? H2.PROTOCOL_ERROR : H2.FLOW_CONTROL_ERROR);
            s.rstCode = increment === 0 ? H2.PROTOCOL_ERROR : H2.FLOW_CONTROL_ERROR;
            return this.finish(s, '');
          }
          s.sendWindow += increment;
        }
        return this.flushSends();
      }
      default:
      // PRIORITY and unknown frame types are ignored (§5.5).
    }
  }

  private onSettings(p: Buffer, flags: number, id: number): void {
    if (id !== 0) throw new ConnectionError(H2.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) return;
    if (p.length % 6 !== 0) throw new ConnectionError(H2.FRAME_SIZE_ERROR, 'SETTINGS of a wrong size');
    for (let at = 0; at < p.length; at += 6) {
      const key = p.readUInt16BE(at);
      const value = p.readUInt32BE(at + 2);
      if (key === 3) this.peerMaxStreams = value;
      else if (key === 4) {
        if (value > MAX_WINDOW) throw new ConnectionError(H2.FLOW_CONTROL_ERROR, 'an initial window beyond 2^31-1');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (key === 5) {
        if (value < DEFAULT_FRAME || value > OUR_MAX_FRAME) throw new ConnectionError(H2.PROTOCOL_ERROR, `a maximum frame size of ${value}`);
        this.peerMaxFrame = value;
      }
      // HEADER_TABLE_SIZE bounds the table of an encoder that indexes (ours never does); the rest
      // are informational for a client.
    }
    this.send(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
    this.flushSends();
    this.startWaiting();
  }

  /** Every header block is decoded, in order, for the HPACK table; the stream's first is its headers, the next its trailers. */
  private headerBlock(id: number, block: Buffer, endStream: boolean): void {
    let fields: HeaderList;
    try {
      fields = this.decoder.decode(block);
    } catch (error) {
      throw new ConnectionError(H2.COMPRESSION_ERROR, `a header block that does not decode: ${(error as Error).message}`);
    }
    const s = this.streams.get(id);
    if (!s) return;
    if (!s.headers) {
      // 1xx informational headers precede the real ones.
      const status = fields.find(([name]) => name === ':status')?.[1];
      if (status?.startsWith('1') && !endStream) return;
      s.headers = fields;
    } else s.trailers = fields;
    if (endStream) this.remoteEnded(s);
  }

  /** The server has ended the stream: the response is whole. A request not yet fully sent is abandoned (RFC 9113 §8.1). */
  private remoteEnded(s: H2Stream): void {
    if (s.pendingBytes > 0) this.reset(s.id, H2.CANCEL);
    this.finish(s, '');
  }

  private onGoaway(lastStreamId: number, code: number, debug: string): void {
    this.goawayNote = `the server closed the connection (HTTP/2 GOAWAY ${errorName(code)}${debug ? `: ${debug}` : ''})`;
    this.setDraining();
    // Streams above lastStreamId were not processed: fail them now, retryable (UNAVAILABLE).
    for (const s of [...this.streams.values()]) if (s.id > lastStreamId) this.finish(s, `${this.goawayNote}; the call was not processed`);
    for (const s of this.waiting.splice(0)) this.finish(s, this.goawayNote);
    if (this.streams.size === 0) this.endSocket();
  }

  private sendWindowUpdates(): void {
    if (this.connectionUnacked >= CONNECTION_WINDOW / 4) {
      this.send(frame(WINDOW_UPDATE, 0, 0, uint32(this.connectionUnacked)));
      this.connectionUnacked = 0;
    }
    for (const s of this.streamUpdates.splice(0)) {
      if (s.finished) continue;
      this.send(frame(WINDOW_UPDATE, 0, s.id, uint32(s.unacked)));
      s.unacked = 0;
    }
  }

  private reset(id: number, code: number): void {
    this.send(frame(RST_STREAM, 0, id, uint32(code)));
  }

  private send(bytes: Buffer): void {
    if (!this.closed && !this.ended) this.socket.write(bytes);
  }

  private endSocket(): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.socket.end();
  }

  private finish(s: H2Stream, connectionError: string): void {
    if (s.finished) return;
    s.finished = true;
    if (s.id) this.streams.delete(s.id);
    s.pending = [];
    s.pendingBytes = 0;
    this.updateRef();
    // Cut to what arrived: a stream that ended early is a truncated answer, not a whole one.
    let body = s.body === undefined ? EMPTY : s.received < s.body.length ? s.body.subarray(0, s.received) : s.body;
    if (s === this.direct) {
      // The socket's next read lands in this buffer (chosen after the last read; only a cancel
      // between reads gets here): the caller must not hand it out again before that read is done.
      this.orphan = body.buffer as ArrayBuffer;
      body = EMPTY;
    }
    s.done({
      headers: record(s.headers),
      trailers: record(s.trailers),
      body,
      extraData: s.extraData,
      rstCode: s.rstCode,
      connectionError,
    });
    s.settleWrites();
    this.startWaiting();
    if (this.draining && this.streams.size === 0 && this.waiting.length === 0) this.endSocket();
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxStreams && !this.closed && !this.draining) this.start(this.waiting.shift()!);
  }

  private updateRef(): void {
    if (this.streams.size + this.waiting.length > 0) this.socket.ref();
    else this.socket.unref();
  }

  private setDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.onUnusable();
  }

  /** A protocol error of the server's: GOAWAY with its code, and every call fails naming it. */
  private connectionFailed(code: number, message: string): void {
    this.cause ||= `HTTP/2 ${errorName(code)}: ${message}`;
    this.send(frame(GOAWAY, 0, 0, Buffer.concat([uint32(0), uint32(code), Buffer.from(message)])));
    this.socket.destroy();
    this.onSocketClose();
  }

  private closeReason(): string {
    return this.cause || this.goawayNote || 'the server closed the connection';
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    // The socket reads no more (destroyed or closed): its last read buffer is free.
    this.direct = undefined;
    this.directView = undefined;
    if (this.orphan) this.pool.give(this.orphan);
    this.orphan = undefined;
    this.setDraining();
    const reason = this.closeReason();
    for (const s of [...this.streams.values(), ...this.waiting.splice(0)]) this.finish(s, reason);
  }
}

const EMPTY = Buffer.alloc(0);

function record(fields: HeaderList | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of fields ?? []) out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  return out;
}

function uint32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value, 0);
  return b;
}

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h[0] = (length >>> 16) & 0xff;
  h[1] = (length >>> 8) & 0xff;
  h[2] = length & 0xff;
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return h;
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length, type, flags, stream), payload]);
}
