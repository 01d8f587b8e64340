/**
 * Issue 13: a point missing a sparse vector is written with an empty sparse vector where the target
 * accepts one (an empty sparse row scores like an absent one: no search on the field returns it),
 * so on a target without nullable vectors it is neither skipped nor a plan error; verify treats
 * empty and absent as equal. Milvus Lite 3.2.2 refuses empty sparse rows: there the old rule stays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectionPlan, Point, Row, TargetCapabilities } from '../../src/core/types.ts';
import { compareRow, skippingVectors } from '../../src/core/verify.ts';
import { parsePlanFile } from '../../src/mapping/overrides.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { toRows } from '../../src/mapping/rows.ts';
import { capabilitiesFromVersion, fromProbes, type ProbeResults } from '../../src/milvus/capabilities.ts';
import { LITE, MILVUS_25, MILVUS_26, collection, dense, sparse } from './mapping-fixtures.ts';

/** Milvus 2.5: no nullable vectors, but empty sparse rows (since 2.4.12). */
const EMPTY_OK = { ...MILVUS_25, emptySparseVector: true };
const source = collection({ vectors: [dense(''), dense('image', { missingCount: 3 }), sparse('keywords', { missingCount: 5 })] });
const V = [0.1, 0.2, 0.3, 0.4];
const KW = { indices: [2, 9], values: [0.5, 0.25] };
const point = (id: bigint, vectors: Point['vectors']): Point => ({ id, vectors, payload: {} });
const skipPlan = (caps: TargetCapabilities = EMPTY_OK): CollectionPlan => planCollection(source, caps, { policies: { missingVector: 'skip' } }).plan;

describe('plan: missing sparse vectors', () => {
  it('on a target that takes empty sparse rows: no MISSING_VECTOR for the sparse vector, a note instead', () => {
    const { plan, problems } = planCollection(source, EMPTY_OK, {});
    assert.deepEqual(problems.filter((p) => p.severity === 'error').map((p) => [p.code, p.path]), [['MISSING_VECTOR', 'vectors.image']]);
    const kw = plan.vectors.find((v) => v.source === 'keywords')!;
    assert.equal(kw.missingAsEmpty, true);
    assert.equal(kw.nullable, false);
    assert.match(kw.note ?? '', /5 point\(s\) lack it: written as empty sparse vectors/);
  });

  it('Milvus Lite 3.2.2 refuses empty sparse rows: the sparse vector still needs a skip', () => {
    const { plan, problems } = planCollection(source, LITE, {});
    assert.deepEqual(problems.filter((p) => p.code === 'MISSING_VECTOR').map((p) => p.path).sort(), ['vectors.image', 'vectors.keywords']);
    assert.equal(plan.vectors.find((v) => v.source === 'keywords')!.missingAsEmpty, undefined);
  });

  it('a target with nullable vectors keeps null (no empty rows needed)', () => {
    const kw = planCollection(source, { ...MILVUS_26, emptySparseVector: true }, {}).plan.vectors.find((v) => v.source === 'keywords')!;
    assert.deepEqual([kw.nullable, kw.missingAsEmpty], [true, undefined]);
  });

  it('a plan file written with missingAsEmpty reads back', () => {
    const { problems } = parsePlanFile({ collections: [{ source: 'docs', vectors: [{ source: 'keywords', missingAsEmpty: true, note: 'x' }] }] });
    assert.deepEqual(problems, []);
  });
});

describe('toRows and verify: empty equals absent', () => {
  it('a point lacking only the sparse vector is kept with an empty one; lacking a dense one is skipped', () => {
    const { rows, rejected } = toRows(skipPlan(), [
      point(1n, { '': V, image: V }),
      point(2n, { '': V, keywords: KW }),
      point(3n, { '': V, image: V, keywords: KW }),
    ]);
    assert.deepEqual(rows.map((r) => [r.id, r.vectors.keywords]), [[1n, { indices: [], values: [] }], [3n, KW]]);
    assert.deepEqual(rejected.map((r) => [r.id, r.code]), [['2', 'MISSING_VECTOR']]);
    // Under Lite's plan the same point is skipped, as before.
    assert.deepEqual(toRows(skipPlan(LITE), [point(1n, { '': V, image: V })]).rejected.map((r) => r.code), ['MISSING_VECTOR']);
  });

  it('verify: an empty sparse vector and an absent one are equal; a non-empty one is not', () => {
    const plan = skipPlan();
    const want: Row = toRows(plan, [point(1n, { '': V, image: V })]).rows[0]!;
    const got = (keywords: Row['vectors'][string]): Row => ({ ...want, vectors: { ...want.vectors, keywords } });
    assert.deepEqual(compareRow(plan, want, got({ indices: [], values: [] })), []);
    assert.deepEqual(compareRow(plan, want, got(null)), []);
    assert.deepEqual(compareRow(plan, { ...want, vectors: { ...want.vectors, keywords: null } }, got({ indices: [], values: [] })), []);
    assert.deepEqual(compareRow(plan, want, got(KW)).map((m) => m.what), ['vector:keywords']);
  });

  it('what a standalone verify expects the target to lack: not the points lacking only the sparse vector', () => {
    assert.deepEqual(skippingVectors(skipPlan()), ['', 'image']);
    assert.deepEqual(skippingVectors(skipPlan(LITE)), ['', 'image', 'keywords']);
  });
});

describe('capabilities: empty sparse rows', () => {
  const probes: ProbeResults = {
    maxVectorFields: 4,
    types: { Float16Vector: true, SparseFloatVector: true },
    indexTypes: { FloatVector: ['FLAT'], SparseFloatVector: ['SPARSE_INVERTED_INDEX'] },
    nullableVector: false,
    truthful: { getVersion: true, listDatabases: true, sdkHasCollection: true },
    ms: 1,
  };
  const table: Array<[string, boolean]> = [['v2.4.11', false], ['v2.4.12', true], ['v2.5.10', true], ['milvus_lite-3.2.2', false]];
  for (const [version, expected] of table) {
    it(`${version}: ${expected}`, () => {
      assert.equal(capabilitiesFromVersion('http://h:19530', version).emptySparseVector, expected);
      assert.equal(fromProbes('http://h:19530', version, probes).emptySparseVector, expected);
    });
  }
  it('Milvus Lite 2.5 (no GetVersion) takes them; a target without sparse vectors does not', () => {
    assert.equal(fromProbes('http://h:19530', undefined, probes).emptySparseVector, true);
    assert.equal(fromProbes('http://h:19530', 'v2.5.10', { ...probes, types: { ...probes.types, SparseFloatVector: false } }).emptySparseVector, false);
  });
});
