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
 */
export class HpackDecoder {
  private readonly decompressor = hpack.decompressor.create({ table: { maxSize: HEADER_TABLE_SIZE } });
  private error: Error | undefined;

  constructor() {
    // hpack.js reports a malformed block as an 'error' event during execute().
    this.decompressor.on('error', (error) => (this.error = error));
  }

  /** Throws on a malformed block (a connection error: COMPRESSION_ERROR). */
  decode(block: Buffer): HeaderList {
    if (this.error) throw this.error;
    this.decompressor.write(block);
    this.decompressor.execute();
    if (this.error) throw this.error;
    const out: HeaderList = [];
    for (let field = this.decompressor.read(); field !== null; field = this.decompressor.read()) out.push([field.name, field.value]);
    return out;
  }
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
