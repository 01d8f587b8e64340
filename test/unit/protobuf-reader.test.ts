/**
 * ProtoReader's cursor API (src/core/protobuf.ts), which the Qdrant decoders read without an object
 * per tag, span or sub-message: next() / delimited() / child() / sole() against the bytes the
 * official protobuf codec (@bufbuild/protobuf, Qdrant's own schema) writes, and the same errors as
 * the object-returning calls for truncated input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { SparseVectorSchema, VectorsOutputSchema } from '@qdrant/js-client-grpc';
import { ProtoReader, ProtoWriter } from '../../src/core/protobuf.ts';

test('next() and child() walk nested messages as tag() and sub() do, one reader reused per level', () => {
  const bytes = Buffer.from(toBinary(VectorsOutputSchema, create(VectorsOutputSchema, {
    vectorsOptions: { case: 'vectors', value: { vectors: { a: { vector: { case: 'dense', value: { data: [1, 2] } } }, b: { vector: { case: 'dense', value: { data: [3] } } } } } },
  })));
  const names: string[] = [];
  const r = new ProtoReader(bytes);
  const children = new Set<ProtoReader>();
  while (r.next()) {
    assert.equal(r.field, 2);
    assert.equal(r.wire, 2);
    const named = r.child();
    while (named.next()) {
      const entry = named.child();
      children.add(entry);
      while (entry.next()) {
        if (entry.field === 1) names.push(entry.string());
        else entry.skip(entry.wire);
      }
    }
  }
  assert.deepEqual(names.sort(), ['a', 'b']);
  assert.equal(children.size, 1, 'one child reader per parent, reset for each sub-message');
  // The same walk with the object-returning calls.
  const old: string[] = [];
  const o = new ProtoReader(bytes);
  while (!o.done) {
    o.tag();
    const named = o.sub();
    while (!named.done) {
      named.tag();
      const entry = named.sub();
      while (!entry.done) {
        const t = entry.tag();
        if (t.field === 1) old.push(entry.string());
        else entry.skip(t.wire);
      }
    }
  }
  assert.deepEqual(old.sort(), names);
});

test('delimited() and sole() give a packed field where span() and soleSpan() do; uints() reads packed varints in place', () => {
  const bytes = Buffer.from(toBinary(SparseVectorSchema, create(SparseVectorSchema, { values: [0.5, 1.5], indices: [3, 300, 70000] })));
  const r = new ProtoReader(bytes);
  assert.ok(r.sole(1));
  const spanned = new ProtoReader(bytes).soleSpan(1);
  assert.deepEqual([r.from, r.to], spanned);
  assert.equal(r.to - r.from, 8);
  const u = new ProtoReader(bytes);
  const indices: number[] = [];
  while (u.next()) {
    if (u.field === 2) u.uints(u.wire, indices);
    else u.skip(u.wire);
  }
  assert.deepEqual(indices, [3, 300, 70000]);
  // Split (two occurrences) or absent: not sole.
  const split = new ProtoWriter().bytes(1, Buffer.alloc(4)).bytes(1, Buffer.alloc(4)).toBuffer();
  assert.equal(new ProtoReader(split).sole(1), false);
  assert.equal(new ProtoReader(split).sole(2), false);
});

test('truncated input throws as before', () => {
  const field = new ProtoWriter().bytes(1, Buffer.alloc(10)).toBuffer().subarray(0, 6);
  const r = new ProtoReader(field);
  assert.ok(r.next());
  assert.throws(() => r.delimited(), /truncated field/);
  const s = new ProtoReader(field);
  s.tag();
  assert.throws(() => s.sub(), /truncated field/);
  // A packed varint running past its field's end: truncated, as sub() found it.
  const packed = Buffer.from([0x12, 0x01, 0x80, 0x01]);
  const p = new ProtoReader(packed);
  p.next();
  assert.throws(() => p.uints(p.wire, []), /truncated varint/);
  assert.throws(() => new ProtoReader(Buffer.from([0x80])).next(), /truncated varint/);
});
