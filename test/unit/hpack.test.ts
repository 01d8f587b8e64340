/**
 * Our HPACK decoding context (src/transcode/hpack.ts) against hpack.js decoding every block itself:
 * the decoded blocks it keeps (those that leave the dynamic table as it is) must give exactly what
 * a fresh decode gives, also after the table changed, and a malformed block must still fail.
 * Blocks come from hpack.js's compressor (indexing, Huffman, never-indexed fields) and by hand.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { encodeHeaderBlock, HEADER_TABLE_SIZE, HpackDecoder, tableNeutral, type HeaderList } from '../../src/transcode/hpack.ts';

interface Field {
  name: string;
  value: string;
  huffman?: boolean;
  incremental?: boolean;
  neverIndex?: boolean;
}
interface Stream {
  write(data: unknown): void;
  read(): unknown;
  execute(): void;
  on(event: string, listener: (e: Error) => void): void;
}
const hpack = createRequire(import.meta.url)('hpack.js') as {
  compressor: { create(options: { table: { maxSize: number } }): Stream };
  decompressor: { create(options: { table: { maxSize: number } }): Stream };
};

/** One header block, as hpack.js's compressor encodes it (its table moves with every call). */
function compress(compressor: Stream, fields: Field[]): Buffer {
  compressor.write(fields);
  const parts: Buffer[] = [];
  for (let b = compressor.read() as Buffer | null; b !== null; b = compressor.read() as Buffer | null) parts.push(b);
  return Buffer.concat(parts);
}

/** The reference: hpack.js decoding the block on a context that has seen every block before it. */
function reference(): (block: Buffer) => HeaderList {
  const d = hpack.decompressor.create({ table: { maxSize: HEADER_TABLE_SIZE } });
  return (block) => {
    let error: Error | undefined;
    d.on('error', (e) => (error = e));
    d.write(block);
    d.execute();
    if (error) throw error;
    const out: HeaderList = [];
    for (let f = d.read() as Field | null; f !== null; f = d.read() as Field | null) out.push([f.name, f.value]);
    return out;
  };
}

/** A literal with incremental indexing and a literal name, not Huffman-coded (RFC 7541 §6.2.1). */
function indexing(name: string, value: string): Buffer {
  return Buffer.from([0x40, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)]);
}

test('a block that only refers to the tables decodes to what its entries hold now, after the table changed', () => {
  const ours = new HpackDecoder();
  // 0xbe: dynamic entry 62, the one added last.
  const last = Buffer.from([0xbe]);
  assert.deepEqual(ours.decode(indexing('x-a', '1')), [['x-a', '1']]);
  assert.deepEqual(ours.decode(last), [['x-a', '1']]);
  assert.deepEqual(ours.decode(last), [['x-a', '1']]);
  assert.deepEqual(ours.decode(indexing('x-b', '2')), [['x-b', '2']]);
  assert.deepEqual(ours.decode(last), [['x-b', '2']]);
  // A size update to 0 empties the table: entry 62 no longer exists.
  assert.deepEqual(ours.decode(Buffer.from([0x20])), []);
  assert.throws(() => ours.decode(last));
});

test('the fields handed out are the caller\'s own: changing them changes no later decode', () => {
  const ours = new HpackDecoder();
  const block = encodeHeaderBlock([[':status', '200'], ['grpc-status', '0']]);
  const first = ours.decode(block);
  first[0]![1] = '500';
  first.pop();
  assert.deepEqual(ours.decode(block), [[':status', '200'], ['grpc-status', '0']]);
  assert.deepEqual(ours.decode(block), [[':status', '200'], ['grpc-status', '0']]);
});

test('a malformed block fails, whatever was decoded before it', () => {
  const ours = new HpackDecoder();
  const good = encodeHeaderBlock([[':status', '200']]);
  ours.decode(good);
  ours.decode(good);
  // Index 0 is not a field (§6.1).
  assert.throws(() => ours.decode(Buffer.from([0x80])));
  assert.throws(() => ours.decode(good), 'a context that failed stays failed');
  // A literal whose value runs past the block's end.
  assert.throws(() => new HpackDecoder().decode(Buffer.from([0x00, 0x01, 0x61, 0x05, 0x62])));
});

test('which blocks leave the table as it is', () => {
  assert.equal(tableNeutral(Buffer.from([0x88, 0xbe])), true, 'indexed fields');
  assert.equal(tableNeutral(encodeHeaderBlock([['grpc-status', '0'], ['authorization', 'x']])), true, 'without indexing, never indexed');
  assert.equal(tableNeutral(Buffer.from([0x0f, 0x10, 0x01, 0x30])), true, 'a name index of 4+ bits (31)');
  assert.equal(tableNeutral(indexing('x-a', '1')), false, 'incremental indexing');
  assert.equal(tableNeutral(Buffer.concat([Buffer.from([0x88]), indexing('x-a', '1')])), false, 'incremental indexing after an indexed field');
  assert.equal(tableNeutral(Buffer.from([0x3f, 0xe1, 0x1f])), false, 'a size update');
  assert.equal(tableNeutral(Buffer.from([0x00, 0x01, 0x61, 0x05, 0x62])), false, 'a value past the end');
  assert.equal(tableNeutral(Buffer.from([0xff])), false, 'an integer past the end');
  assert.equal(tableNeutral(Buffer.alloc(0)), true, 'an empty block');
});

test('thousands of blocks from hpack.js\'s compressor decode as hpack.js decodes them, repeats and table changes mixed', () => {
  // Deterministic pseudo-random choices (a linear congruential generator).
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const answers: Field[][] = [
    [{ name: ':status', value: '200' }, { name: 'content-type', value: 'application/grpc' }],
    [{ name: 'grpc-status', value: '0' }],
    [{ name: 'grpc-status', value: '0' }, { name: 'grpc-message', value: '', incremental: false }],
    [{ name: ':status', value: '200' }, { name: 'content-type', value: 'application/grpc', huffman: false }, { name: 'grpc-accept-encoding', value: 'identity,deflate,gzip', incremental: false }],
    [{ name: 'grpc-status', value: '3' }, { name: 'grpc-message', value: 'bad%20request', neverIndex: true }],
  ];
  const compressor = hpack.compressor.create({ table: { maxSize: HEADER_TABLE_SIZE } });
  const ref = reference();
  const ours = new HpackDecoder();
  let neutral = 0;
  for (let i = 0; i < 3000; i++) {
    const r = next(20);
    let fields: Field[];
    // Now and then a field that goes into the table (a date, a request id), evicting old ones.
    if (r === 0) fields = [...answers[0]!, { name: 'date', value: `Mon, 07 Dec 2026 09:${String(next(60)).padStart(2, '0')}:00 GMT` }];
    else if (r === 1) fields = [{ name: `x-id-${next(400)}`, value: 'v'.repeat(next(200)), huffman: next(2) === 0 }];
    else fields = answers[r % answers.length]!;
    const block = compress(compressor, fields);
    if (tableNeutral(block)) neutral++;
    const want = ref(block);
    assert.deepEqual(ours.decode(block), want, `block ${i}`);
    assert.deepEqual(want, fields.map((f) => [f.name, f.value]));
  }
  assert.ok(neutral > 1200, `many blocks refer to the tables only (${neutral} of 3000), so kept blocks are used`);
});
