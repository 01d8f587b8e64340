/**
 * HPACK (RFC 7541) for our own HTTP/2 client (h2-socket.ts). Decoding is hpack.js's (servers use
 * Huffman coding and the dynamic table; a decoder of our own would be one more codec to get
 * right); encoding is ours and deliberately trivial: every request field as a literal that is
 * never added to the server's table, without Huffman coding, so no encoder state exists.
 */
import { createRequire } from 'node:module';

/** The parts of hpack.js's Decompressor used here (the package ships no types). */
interface Decompressor {
  write(block: Buffer): void;
  execute(): void;
  read(): { name: string; value: string } | null;
  on(event: 'error', listener: (error: Error) => void): void;
}

const hpack = createRequire(import.meta.url)('hpack.js') as { decompressor: { create(options: { table: { maxSize: number } }): Decompressor } };

/** The header table size every HTTP/2 endpoint starts with (we never advertise another). */
export const HEADER_TABLE_SIZE = 4096;

/** Decoded fields of one header block, in order (names are lower case on the wire). */
export type HeaderList = Array<[name: string, value: string]>;

/**
 * One connection's decoding context: every header block the server sends must pass through it in
 * order, those of streams we no longer care about too, or the dynamic table goes out of step.
 *
 * Why a cache of decoded blocks: a server answers every call of a copy with the same few header
 * blocks byte for byte (`:status 200`, `content-type`, `grpc-status 0`, as references to its
 * tables once it has sent them), and hpack.js decodes bit by bit through a stream, with a deprecated
 * `new Buffer()` per string (Node builds a stack trace for each, to see who called): ~45 µs a block,
 * per response of a migrate into Milvus Lite (docs/performance.md). A block that does not change the
 * dynamic table (only indexed fields and literals "without indexing" / "never indexed") decodes to
 * the same fields as long as the table is the same, so its fields are kept, keyed by its bytes, and
 * every kept block is forgotten as soon as a block that changes the table (an incremental-indexing
 * literal, a size update) or one we cannot scan is decoded. Those, and every block seen the first
 * time, still go through hpack.js, which keeps the table.
 */
export class HpackDecoder {
  private readonly decompressor = hpack.decompressor.create({ table: { maxSize: HEADER_TABLE_SIZE } });
  private error: Error | undefined;
  /** Decoded table-neutral blocks, keyed by their bytes (latin1), valid for the current table. */
  private readonly decoded = new Map<string, HeaderList>();

  constructor() {
    // hpack.js reports a malformed block as an 'error' event during execute().
    this.decompressor.on('error', (error) => (this.error = error));
  }

  /** Throws on a malformed block (a connection error: COMPRESSION_ERROR). */
  decode(block: Buffer): HeaderList {
    if (this.error) throw this.error;
    const neutral = block.length <= MAX_KEPT_BLOCK && tableNeutral(block);
    const key = neutral ? block.toString('latin1') : '';
    if (neutral) {
      const kept = this.decoded.get(key);
      if (kept) return kept.map(([name, value]): [string, string] => [name, value]);
    }
    this.decompressor.write(block);
    this.decompressor.execute();
    if (this.error) throw this.error;
    const out: HeaderList = [];
    for (let field = this.decompressor.read(); field !== null; field = this.decompressor.read()) out.push([field.name, field.value]);
    if (!neutral) this.decoded.clear();
    else {
      if (this.decoded.size >= MAX_KEPT_BLOCKS) this.decoded.clear();
      this.decoded.set(key, out.map(([name, value]): [string, string] => [name, value]));
    }
    return out;
  }
}

/** Decoded blocks kept per connection, and the largest kept (a server's answers have a few, short). */
const MAX_KEPT_BLOCKS = 32;
const MAX_KEPT_BLOCK = 1024;

/**
 * Whether decoding `block` leaves the dynamic table as it is (RFC 7541 §6): it holds only indexed
 * fields (§6.1) and literals without indexing (§6.2.2) or never indexed (§6.2.3), and scans whole.
 * False for an incremental-indexing literal (§6.2.1), a table size update (§6.3), or a block that
 * ends inside a field (hpack.js then decodes it and reports what is wrong).
 */
export function tableNeutral(block: Buffer): boolean {
  let at = 0;
  while (at < block.length) {
    const first = block[at]!;
    if (first & 0x80) at = skipInteger(block, at, 7);
    else if (first & 0x40 || first & 0x20) return false;
    else {
      const nameIndexed = (first & 0x0f) !== 0;
      at = skipInteger(block, at, 4);
      if (!nameIndexed) at = skipString(block, at);
      at = skipString(block, at);
    }
    if (at < 0) return false;
  }
  return true;
}

/** The offset after an integer with an N-bit prefix starting at `at` (§5.1); -1 past the end. */
function skipInteger(block: Buffer, at: number, prefixBits: number): number {
  return readInteger(block, at, prefixBits)[1];
}

/** The value and end of an integer with an N-bit prefix at `at`; [0, -1] when it runs past the end or past 2^28. */
function readInteger(block: Buffer, at: number, prefixBits: number): [value: number, end: number] {
  if (at < 0 || at >= block.length) return [0, -1];
  const max = (1 << prefixBits) - 1;
  let value = block[at]! & max;
  at++;
  if (value < max) return [value, at];
  for (let shift = 0; shift <= 21; shift += 7) {
    if (at >= block.length) return [0, -1];
    const b = block[at++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, at];
  }
  return [0, -1];
}

/** The offset after a string literal (§5.2: H bit, 7-bit-prefix length, octets) at `at`; -1 past the end. */
function skipString(block: Buffer, at: number): number {
  const [length, start] = readInteger(block, at, 7);
  if (start < 0 || start + length > block.length) return -1;
  return start + length;
}

/** An HPACK integer with an N-bit prefix, the prefix's other bits set to `first`. */
function integer(value: number, prefixBits: number, first: number, out: number[]): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** Names whose values must never be put in a table by any intermediary (RFC 7541 §7.1.3). */
const SENSITIVE = new Set(['authorization', 'api-key', 'cookie']);

/**
 * A header block of literal fields (§6.2.2 "without indexing", §6.2.3 "never indexed" for
 * credentials), names and values as raw octets. The fields must already be lower-case names and
 * ASCII/latin1 values (HTTP/2 forbids upper case names).
 */
export function encodeHeaderBlock(fields: HeaderList): Buffer {
  const out: number[] = [];
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    integer(0, 4, SENSITIVE.has(name) ? 0x10 : 0x00, out);
    integer(n.length, 7, 0, out);
    parts.push(Buffer.from(out.splice(0)), n);
    integer(v.length, 7, 0, out);
    parts.push(Buffer.from(out.splice(0)), v);
  }
  return Buffer.concat(parts);
}
