/**
 * Bulk import's Parquet files (issue 14), read back: the column types Milvus 2.3.5 demands (int64
 * ids, `list<float>` vectors not fixed_size_list, `$meta` a `string` not large_string, payload keys
 * inside `$meta` not as columns) and the values, ids above 2^53 exact. The import itself runs on
 * Milvus 2.3.5 in test/matrix/bulk.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC, Type, type Field, type List, type Table } from 'apache-arrow';
import { ParquetFile, readParquet } from 'parquet-wasm';
import { ParquetRowsFile, checkParquetLayout } from '../../src/bulk/parquet-rows.ts';
import { fileMaker, rowBytes } from '../../src/bulk/formats.ts';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { denseF32, mulberry32 } from '../../testkit/datasets/prng.ts';
import { memoryUpload } from './bulk-memory-upload.ts';
import { PackedRow } from '../../src/core/packed-payload.ts';

const plan = {
  source: 'docs', target: 'docs', primaryKey: { field: 'id', type: 'Int64', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 3, metric: 'COSINE', nullable: false }],
} as unknown as CollectionPlan;

function readBack(bytes: Uint8Array): Table {
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}

/** Writes `rows` into a file (row groups of `groupBytes`) and reads the object back. */
async function written(p: CollectionPlan, rows: Row[], groupBytes?: number, corrupt = -1): Promise<Table> {
  const out = memoryUpload();
  const f = new ParquetRowsFile(p, out, groupBytes);
  rows.forEach((r, i) => f.add(r, i === corrupt));
  assert.equal(await f.seal(), out.body().length);
  assert.equal(out.state, 'ended');
  return readBack(out.body());
}

function typeOf(t: Table, name: string): Field {
  const f = t.schema.fields.find((x) => x.name === name);
  assert.ok(f, `column ${name} in ${t.schema.fields.map((x) => x.name).join(', ')}`);
  return f;
}

describe('Parquet import file', () => {
  const rows: Row[] = [
    { id: 9223372036854775807n, vectors: { vector: new Float32Array([0.1, 0.2, 3]) }, dynamic: { big: 18446744073709551615n, s: 'ü' } },
    { id: 9007199254740993n, vectors: { vector: [1, 2, 3] }, dynamic: {} },
    { id: 1n, vectors: { vector: [-1, 0, 1] }, dynamic: { nested: { a: [1, 'x'] } } },
  ];

  it('has the column types Milvus 2.3.5 reads: int64 id, list<float> vector, string $meta, no payload columns', async () => {
    const t = await written(plan, rows);
    assert.deepEqual(t.schema.fields.map((x) => x.name), ['id', 'vector', '$meta']);
    const id = typeOf(t, 'id').type;
    assert.equal(id.typeId, Type.Int);
    assert.equal((id as unknown as { bitWidth: number }).bitWidth, 64);
    const vector = typeOf(t, 'vector').type as List;
    assert.equal(vector.typeId, Type.List, `vector is ${String(vector)}, not fixed_size_list`);
    assert.equal(vector.valueType.typeId, Type.Float);
    assert.equal(String(vector.valueType), 'Float32');
    assert.equal(typeOf(t, '$meta').type.typeId, Type.Utf8, 'string, not large_string');
  });

  it('keeps ids above 2^53 exact, float32 vectors bit for bit, and the payload as JSON text in $meta', async () => {
    const t = await written(plan, rows);
    assert.equal(t.numRows, 3);
    assert.deepEqual([...t.getChild('id')!].map((v) => BigInt(v as bigint)), [9223372036854775807n, 9007199254740993n, 1n]);
    const vectors = [...t.getChild('vector')!].map((v) => [...(v as Iterable<number>)]);
    assert.deepEqual(vectors, [[Math.fround(0.1), Math.fround(0.2), 3], [1, 2, 3], [-1, 0, 1]]);
    assert.deepEqual([...t.getChild('$meta')!], ['{"big":18446744073709551615,"s":"ü"}', '{}', '{"nested":{"a":[1,"x"]}}']);
  });

  it('writes VarChar ids as strings, and a corrupt row (fault injection) one dimension short', async () => {
    const varchar = { ...plan, primaryKey: { field: 'pk', type: 'VarChar', maxLength: 36, autoId: false } } as CollectionPlan;
    const t = await written(varchar, [{ id: '00000000-0000-0000-0000-000000000001', vectors: { vector: [1, 2, 3] }, dynamic: {} }], undefined, 0);
    assert.equal(typeOf(t, 'pk').type.typeId, Type.Utf8);
    assert.deepEqual([...t.getChild('pk')!], ['00000000-0000-0000-0000-000000000001']);
    assert.deepEqual([...(t.getChild('vector')!.get(0) as Iterable<number>)], [2, 3]);
  });

  it('counts about the bytes the file holds, so files are sized by bytes as JSON ones are', async () => {
    const out = memoryUpload();
    const f = new ParquetRowsFile({ ...plan, vectors: [{ ...plan.vectors[0]!, dim: 128 }] } as CollectionPlan, out);
    const rng = mulberry32(7);
    // Random vectors, as embeddings are: they do not compress, so the count is close to the file.
    for (let i = 0; i < 2000; i++) f.add({ id: BigInt(i), vectors: { vector: denseF32(rng, 128) }, dynamic: { i } });
    const size = await f.seal();
    assert.ok(Math.abs(size - f.bytes) / size < 0.1, `counted ${f.bytes}, file ${size}`);
    assert.ok(rowBytes(plan, 'parquet') < rowBytes(plan, 'json'));
  });

  it('a row read packed goes in as its bytes, copied: later reuse of the page blocks leaves the file as it was', async () => {
    // As the bulk copy reads (packedVectors): vectors are views of a block of the page, $meta the
    // transcoder's JSON bytes (another block), and the page is released once its rows are added.
    const block = new Float32Array([0.5, -2, 3, 7, 8, 9]);
    const json = Buffer.from('{"s":"ü","big":18446744073709551615}{"x":[1,2]}');
    const point = { id: 5n, vectors: {}, payload: { wrong: 'decoded object, not the bytes' } };
    const packed = [
      new PackedRow(5n, { vector: block.subarray(0, 3) }, point, { json: json.subarray(0, 37), keys: ['s', 'big'] }),
      new PackedRow(6n, { vector: block.subarray(3, 6) }, point, { json: json.subarray(37), keys: ['x'] }),
    ];
    const out = memoryUpload();
    const f = new ParquetRowsFile(plan, out);
    for (const r of packed) f.add(r);
    block.fill(NaN);
    json.fill(0x20);
    await f.seal();
    const t = readBack(out.body());
    assert.deepEqual([...t.getChild('$meta')!], ['{"s":"ü","big":18446744073709551615}', '{"x":[1,2]}']);
    assert.deepEqual([...t.getChild('vector')!].map((v) => [...(v as Iterable<number>)]), [[0.5, -2, 3], [7, 8, 9]]);
  });

  it('carries promoted payload fields as typed nullable columns, and refuses types it has no layout for', async () => {
    const promoted = {
      ...plan,
      payload: [
        { key: 'n', mode: 'field', field: { name: 'n', type: 'Int64', nullable: true } },
        { key: 'tags', mode: 'field', field: { name: 'tags', type: 'Array', elementType: 'VarChar', nullable: true } },
        { key: 'k', mode: 'dynamic' },
      ],
    } as unknown as CollectionPlan;
    const out = memoryUpload();
    const f = (await fileMaker(promoted, 'parquet'))(out);
    f.add({ id: 1n, vectors: { vector: [1, 2, 3] }, dynamic: { k: 1 }, scalars: { n: 9007199254740993n, tags: ['a', 'b'] } });
    f.add({ id: 2n, vectors: { vector: [1, 2, 3] }, dynamic: {}, scalars: { n: null, tags: null } });
    await f.seal();
    const t = readBack(out.body());
    assert.deepEqual(t.schema.fields.map((x) => x.name), ['id', 'vector', 'n', 'tags', '$meta']);
    assert.deepEqual([...t.getChild('n')!], [9007199254740993n, null]);
    assert.deepEqual([...t.getChild('tags')!].map((v) => (v === null ? null : [...(v as Iterable<string>)])), [['a', 'b'], null]);
    const geo = { ...plan, payload: [{ key: 'g', mode: 'field', field: { name: 'g', type: 'Geometry', nullable: true } }] } as unknown as CollectionPlan;
    assert.throws(() => checkParquetLayout(geo), (e: Error & { code?: string }) => e.code === 'BULK_FIELD_UNSUPPORTED' && /g is Geometry/.test(e.message));
  });

  it('a file written in many row groups reads back the same rows as one written whole, its bytes sent as groups are done', async () => {
    const promoted = {
      ...plan,
      vectors: [{ ...plan.vectors[0]!, dim: 16 }],
      payload: [{ key: 'n', mode: 'field', field: { name: 'n', type: 'Int64', nullable: true } }, { key: 'k', mode: 'dynamic' }],
    } as unknown as CollectionPlan;
    const rng = mulberry32(11);
    const many: Row[] = Array.from({ length: 1500 }, (_, i) => ({
      id: BigInt(i) * 7919n + 9007199254740993n,
      vectors: { vector: denseF32(rng, 16) },
      // Payloads of different sizes, so groups hold different byte counts; some promoted values null.
      dynamic: { k: 'x'.repeat(i % 97), i },
      scalars: { n: i % 5 === 0 ? null : BigInt(i) },
    }));
    const out = memoryUpload();
    const f = new ParquetRowsFile(promoted, out, 4096);
    for (const r of many) {
      f.add(r);
      await f.drain();
    }
    const sentBeforeSeal = out.body().length;
    await f.seal();
    const meta = (await ParquetFile.fromFile(new Blob([Uint8Array.from(out.body())]))).metadata();
    assert.ok(meta.numRowGroups() > 10, `${meta.numRowGroups()} row groups`);
    // The writer's own 8 KiB buffer holds a few small groups back; most bytes still leave early.
    assert.ok(sentBeforeSeal > out.body().length / 2, `${sentBeforeSeal} of ${out.body().length} bytes sent before the file ended`);
    const whole = await written(promoted, many);
    const grouped = readBack(out.body());
    assert.equal(grouped.numRows, many.length);
    for (const name of ['id', 'vector', 'n', '$meta']) {
      const values = (t: Table) => [...t.getChild(name)!].map((v) => (v !== null && typeof v === 'object' ? [...(v as Iterable<number>)] : v));
      assert.deepEqual(values(grouped), values(whole), name);
    }
  });

  it('a failed upload fails the file (drain or seal throw its error) instead of hanging', { timeout: 30_000 }, async () => {
    const out = memoryUpload();
    out.write = async () => {
      throw Object.assign(new Error('upload refused'), { code: 'BULK_STORAGE_FAILED' });
    };
    const f = new ParquetRowsFile({ ...plan, vectors: [{ ...plan.vectors[0]!, dim: 64 }] } as CollectionPlan, out, 2048);
    const rng = mulberry32(5);
    await assert.rejects(async () => {
      for (let i = 0; i < 500; i++) {
        f.add({ id: BigInt(i), vectors: { vector: denseF32(rng, 64) }, dynamic: {} });
        await f.drain();
      }
      await f.seal();
    }, /upload refused/);
    await f.discard();
  });

  it('a discarded file aborts its upload', async () => {
    const out = memoryUpload();
    const f = new ParquetRowsFile(plan, out, 64);
    for (const r of rows) f.add(r);
    await f.discard();
    assert.equal(out.state, 'aborted');
  });
});
