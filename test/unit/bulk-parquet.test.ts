/**
 * Bulk import's Parquet files (issue 14), read back: the column types Milvus 2.3.5 demands (int64
 * ids, `list<float>` vectors not fixed_size_list, `$meta` a `string` not large_string, payload keys
 * inside `$meta` not as columns) and the values, ids above 2^53 exact. The import itself runs on
 * Milvus 2.3.5 in test/matrix/bulk.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC, Type, type Field, type List, type Table } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { ParquetRowsFile, checkParquetLayout } from '../../src/bulk/parquet-rows.ts';
import { fileMaker, rowBytes } from '../../src/bulk/formats.ts';
import type { CollectionPlan, Row } from '../../src/core/types.ts';
import { denseF32, mulberry32 } from '../../testkit/datasets/prng.ts';

const plan = {
  source: 'docs', target: 'docs', primaryKey: { field: 'id', type: 'Int64', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 3, metric: 'COSINE', nullable: false }],
} as unknown as CollectionPlan;

function readBack(bytes: Uint8Array): Table {
  return tableFromIPC(readParquet(bytes).intoIPCStream());
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

  it('has the column types Milvus 2.3.5 reads: int64 id, list<float> vector, string $meta, no payload columns', () => {
    const f = new ParquetRowsFile(plan);
    for (const r of rows) f.add(r);
    const t = readBack(f.seal());
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

  it('keeps ids above 2^53 exact, float32 vectors bit for bit, and the payload as JSON text in $meta', () => {
    const f = new ParquetRowsFile(plan);
    for (const r of rows) f.add(r);
    assert.equal(f.rows, 3);
    const t = readBack(f.seal());
    assert.deepEqual([...t.getChild('id')!].map((v) => BigInt(v as bigint)), [9223372036854775807n, 9007199254740993n, 1n]);
    const vectors = [...t.getChild('vector')!].map((v) => [...(v as Iterable<number>)]);
    assert.deepEqual(vectors, [[Math.fround(0.1), Math.fround(0.2), 3], [1, 2, 3], [-1, 0, 1]]);
    assert.deepEqual([...t.getChild('$meta')!], ['{"big":18446744073709551615,"s":"ü"}', '{}', '{"nested":{"a":[1,"x"]}}']);
  });

  it('writes VarChar ids as strings, and a corrupt row (fault injection) one dimension short', () => {
    const varchar = { ...plan, primaryKey: { field: 'pk', type: 'VarChar', maxLength: 36, autoId: false } } as CollectionPlan;
    const f = new ParquetRowsFile(varchar);
    f.add({ id: '00000000-0000-0000-0000-000000000001', vectors: { vector: [1, 2, 3] }, dynamic: {} }, true);
    const t = readBack(f.seal());
    assert.equal(typeOf(t, 'pk').type.typeId, Type.Utf8);
    assert.deepEqual([...t.getChild('pk')!], ['00000000-0000-0000-0000-000000000001']);
    assert.deepEqual([...(t.getChild('vector')!.get(0) as Iterable<number>)], [2, 3]);
  });

  it('counts about the bytes the file holds, so files are sized by bytes as JSON ones are', () => {
    const f = new ParquetRowsFile({ ...plan, vectors: [{ ...plan.vectors[0]!, dim: 128 }] } as CollectionPlan);
    const rng = mulberry32(7);
    // Random vectors, as embeddings are: they do not compress, so the count is close to the file.
    for (let i = 0; i < 2000; i++) f.add({ id: BigInt(i), vectors: { vector: denseF32(rng, 128) }, dynamic: { i } });
    const body = f.seal();
    assert.ok(Math.abs(body.length - f.bytes) / body.length < 0.1, `counted ${f.bytes}, file ${body.length}`);
    assert.ok(rowBytes(plan, 'parquet') < rowBytes(plan, 'json'));
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
    const f = (await fileMaker(promoted, 'parquet'))();
    f.add({ id: 1n, vectors: { vector: [1, 2, 3] }, dynamic: { k: 1 }, scalars: { n: 9007199254740993n, tags: ['a', 'b'] } });
    f.add({ id: 2n, vectors: { vector: [1, 2, 3] }, dynamic: {}, scalars: { n: null, tags: null } });
    const t = readBack(f.seal());
    assert.deepEqual(t.schema.fields.map((x) => x.name), ['id', 'vector', 'n', 'tags', '$meta']);
    assert.deepEqual([...t.getChild('n')!], [9007199254740993n, null]);
    assert.deepEqual([...t.getChild('tags')!].map((v) => (v === null ? null : [...(v as Iterable<string>)])), [['a', 'b'], null]);
    const geo = { ...plan, payload: [{ key: 'g', mode: 'field', field: { name: 'g', type: 'Geometry', nullable: true } }] } as unknown as CollectionPlan;
    assert.throws(() => checkParquetLayout(geo), (e: Error & { code?: string }) => e.code === 'BULK_FIELD_UNSUPPORTED' && /g is Geometry/.test(e.message));
  });
});
