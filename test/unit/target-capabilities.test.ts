/**
 * The pure parts of "capabilities from behaviour": probe answers → TargetCapabilities, what plan()
 * makes of probed capabilities, index parameter ranges, and which points a skip policy leaves out.
 * The probe answers below are the ones measured on the real engines (issue 9 note).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectionPlan, TargetCapabilities } from '../../src/core/types.ts';
import { skippingVectors } from '../../src/core/verify.ts';
import { indexParamProblems } from '../../src/mapping/index-params.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { INDEX_PREFERENCE } from '../../src/mapping/vectors.ts';
import { fromProbes, type ProbeResults } from '../../src/milvus/capabilities.ts';
import { PROBED_INDEX_TYPES } from '../../src/milvus/probe.ts';
import { collection, dense, sparse } from './mapping-fixtures.ts';

const truthful = { getVersion: true, listDatabases: true, sdkHasCollection: true };

/** As measured: Milvus Lite 2.5.1, Milvus 2.3.5 standalone, Milvus Lite 3.2.2. */
const PROBES: Record<'lite25' | 'standalone23' | 'lite3', { version: string | undefined; probes: ProbeResults }> = {
  lite25: {
    version: undefined,
    probes: {
      maxVectorFields: 10,
      types: { Float16Vector: true, SparseFloatVector: true },
      indexTypes: { FloatVector: ['AUTOINDEX', 'FLAT'], Float16Vector: ['FLAT'], SparseFloatVector: ['SPARSE_INVERTED_INDEX'] },
      nullableVector: false,
      truthful: { getVersion: false, listDatabases: false, sdkHasCollection: false },
      ms: 240,
    },
  },
  standalone23: {
    version: 'v2.3.5-lite',
    probes: {
      maxVectorFields: 1,
      // 2.3.5 creates a sparse field and describes it, but refuses to index or write it.
      types: { Float16Vector: true, SparseFloatVector: false },
      indexTypes: { FloatVector: ['AUTOINDEX', 'HNSW', 'FLAT'], Float16Vector: ['AUTOINDEX', 'HNSW', 'FLAT'], SparseFloatVector: [] },
      nullableVector: false,
      truthful,
      ms: 220,
    },
  },
  lite3: {
    version: 'milvus_lite-3.2.2',
    probes: {
      maxVectorFields: 10,
      types: { Float16Vector: false, SparseFloatVector: true },
      indexTypes: { FloatVector: ['AUTOINDEX', 'HNSW', 'FLAT'], Float16Vector: [], SparseFloatVector: ['SPARSE_INVERTED_INDEX'] },
      // Lite 3 creates and describes a nullable vector field but loses the nulls.
      nullableVector: true,
      truthful,
      ms: 150,
    },
  },
};

const caps = (engine: keyof typeof PROBES): TargetCapabilities => fromProbes('http://127.0.0.1:19530', PROBES[engine].version, PROBES[engine].probes);

describe('fromProbes', () => {
  const table: Array<[keyof typeof PROBES, Partial<TargetCapabilities>]> = [
    ['lite25', { version: 'unknown', kind: 'milvus', float16Vector: true, sparseVector: true, nullableVector: false, autoIndex: true, maxVectorFields: 10 }],
    ['standalone23', { version: 'v2.3.5-lite', float16Vector: true, sparseVector: false, nullableVector: false, autoIndex: true, maxVectorFields: 1 }],
    ['lite3', { kind: 'milvus-lite', float16Vector: false, sparseVector: true, nullableVector: false, maxVectorFields: 10 }],
  ];
  for (const [engine, want] of table) {
    it(`${engine}: ${JSON.stringify(want)}`, () => {
      const got = caps(engine);
      for (const [key, value] of Object.entries(want)) assert.deepEqual(got[key as keyof TargetCapabilities], value, key);
      assert.equal(got.arrayOfStruct, false, 'no Array-of-Struct writer yet');
      assert.equal(got.source, 'probed');
    });
  }

  it('an empty sparse row the probe saw refused (or accepted) wins over the version', () => {
    assert.equal(fromProbes('x:1', undefined, { ...PROBES.lite25.probes, emptySparse: false }).emptySparseVector, false);
    assert.equal(fromProbes('x:1', 'v2.4.5', { ...PROBES.lite25.probes, emptySparse: true }).emptySparseVector, true);
  });

  it('probes that could not create even one FloatVector collection fall back to the version guesses', () => {
    const p = { ...PROBES.standalone23.probes, maxVectorFields: 1, indexTypes: { FloatVector: [], Float16Vector: [], SparseFloatVector: [] } };
    const got = fromProbes('x:1', 'v2.4.5', p);
    assert.equal(got.source, 'assumed');
    assert.equal(got.maxVectorFields, undefined, 'no probed limit: plan() uses the default 4 / --max-vector-fields');
    assert.deepEqual([got.float16Vector, got.sparseVector, got.autoIndex], [true, true, true]);
  });

  it('a type the target creates but cannot index is not a capability', () => {
    const p = structuredClone(PROBES.lite25.probes);
    p.indexTypes.Float16Vector = [];
    assert.equal(fromProbes('x:1', undefined, p).float16Vector, false);
  });

  it('the probes try exactly the index types plan() prefers, in the same order', () => {
    assert.deepEqual(PROBED_INDEX_TYPES.FloatVector.map((c) => c.type), [...INDEX_PREFERENCE.dense]);
    assert.deepEqual(PROBED_INDEX_TYPES.Float16Vector.map((c) => c.type), [...INDEX_PREFERENCE.dense]);
    assert.deepEqual(PROBED_INDEX_TYPES.SparseFloatVector.map((c) => c.type), [...INDEX_PREFERENCE.sparse]);
  });
});

describe('plan() on probed capabilities', () => {
  const codes = (problems: Array<{ code: string; severity: string }>) => problems.filter((p) => p.severity === 'error').map((p) => p.code);

  it('Milvus 2.3.5: a second vector is refused naming the probed limit of 1, not "allows 4" (finding 4)', () => {
    const { problems } = planCollection(collection({ vectors: [dense('a'), dense('b')] }), caps('standalone23'));
    const p = problems.find((x) => x.code === 'TOO_MANY_VECTORS')!;
    assert.match(p.message, /has 2 vectors; the target \(v2\.3\.5-lite\) accepts 1 vector field per collection \(probed\)/);
    assert.doesNotMatch(p.message, /allows 4/);
    assert.match(p.fix!, /Leave this collection out/);
  });

  it('Milvus Lite 2.5.1: five vectors fit (it took 10), and messages name a target without a version', () => {
    const five = collection({ vectors: ['a', 'b', 'c', 'd', 'e'].map((n) => dense(n)) });
    assert.deepEqual(codes(planCollection(five, caps('lite25')).problems), []);
    const { problems } = planCollection(collection({ vectors: [{ ...dense('m'), kind: 'multi' }] }), caps('lite25'));
    assert.match(problems.find((p) => p.code === 'MULTIVECTOR_UNSUPPORTED')!.message, /a Milvus that reports no version/);
  });

  it('Milvus Lite 2.5.1: float16 keeps Float16Vector with FLAT, and says why (finding 3)', () => {
    const { plan, problems } = planCollection(collection({ vectors: [dense('img', { datatype: 'float16' }), dense('txt')] }), caps('lite25'));
    assert.deepEqual(codes(problems), []);
    const [img, txt] = plan.vectors;
    assert.deepEqual([img!.type, img!.index.type], ['Float16Vector', 'FLAT']);
    assert.match(img!.note!, /AUTOINDEX is refused by the target on Float16Vector fields \(probed\): FLAT instead/);
    assert.deepEqual([txt!.type, txt!.index.type], ['FloatVector', 'AUTOINDEX']);
  });

  it('an index type the target refused is a plan error naming what it accepts; one not probed is left to the target', () => {
    const refused = planCollection(collection({ vectors: [dense('v')] }), caps('lite25'), { vectors: [{ source: 'v', index: { type: 'HNSW' } }] });
    const p = refused.problems.find((x) => x.code === 'INDEX_UNSUPPORTED')!;
    assert.match(p.message, /refuses index type HNSW on FloatVector fields \(probed\)/);
    assert.match(p.fix!, /AUTOINDEX, FLAT/);
    const ivf = planCollection(collection({ vectors: [dense('v')] }), caps('lite25'), { vectors: [{ source: 'v', index: { type: 'IVF_FLAT', params: { nlist: 128 } } }] });
    assert.deepEqual(codes(ivf.problems), []);
  });

  it('Milvus 2.3.5: sparse is refused as probed (created but not indexable), float16 stays Float16Vector', () => {
    const { plan, problems } = planCollection(collection({ vectors: [sparse('kw')] }), caps('standalone23'));
    assert.match(problems.find((p) => p.code === 'SPARSE_UNSUPPORTED')!.message, /\(v2\.3\.5-lite\) has no sparse vectors \(probed/);
    assert.equal(plan.vectors[0]!.type, 'SparseFloatVector');
    const f16 = planCollection(collection({ vectors: [dense('', { datatype: 'float16' })] }), caps('standalone23'));
    assert.deepEqual([f16.plan.vectors[0]!.type, f16.plan.vectors[0]!.index.type, codes(f16.problems)], ['Float16Vector', 'AUTOINDEX', []]);
  });

  it('Milvus Lite 3.2.2: float16 falls back to FloatVector (documented note); nullable is off whatever it describes', () => {
    const lite3 = caps('lite3');
    const { plan } = planCollection(collection({ vectors: [dense('', { datatype: 'float16' })] }), lite3);
    assert.equal(plan.vectors[0]!.type, 'FloatVector');
    assert.match(plan.vectors[0]!.note!, /no Float16Vector/);
    assert.equal(lite3.nullableVector, false);
  });

  it('HNSW params out of range are plan errors (issue 13: M -5 passed on Lite and failed on Milvus)', () => {
    const { problems } = planCollection(collection({ vectors: [dense('v')] }), caps('standalone23'), {
      vectors: [{ source: 'v', index: { type: 'HNSW', params: { M: -5, efConstruction: 100 } } }],
    });
    const p = problems.find((x) => x.code === 'INDEX_PARAMS')!;
    assert.match(p.message, /HNSW parameter M = -5 is out of range: Milvus takes a whole number from 2 to 2048/);
    assert.match(p.fix!, /between 2 and 2048/);
    // Qdrant's own m travels into the plan and is checked the same way.
    const fromQdrant = planCollection(collection({ vectors: [dense('v', { hnsw: { m: 4096, efConstruct: 100 } })] }), caps('standalone23'), {
      vectors: [{ source: 'v', index: { type: 'HNSW' } }],
    });
    assert.deepEqual(codes(fromQdrant.problems), ['INDEX_PARAMS']);
  });
});

describe('indexParamProblems', () => {
  const table: Array<[string, Record<string, number | string>, number | undefined, number]> = [
    ['HNSW', { M: -5 }, 8, 1],
    ['HNSW', { M: 0 }, 8, 1],
    ['HNSW', { M: 1 }, 8, 1],
    ['HNSW', { M: 2, efConstruction: 1 }, 8, 0],
    ['HNSW', { M: 2048, efConstruction: 2_147_483_647 }, 8, 0],
    ['HNSW', { M: 2049 }, 8, 1],
    ['HNSW', { M: '16', efConstruction: '200' }, 8, 0],
    ['HNSW', { M: 'sixteen' }, 8, 1],
    ['HNSW', { M: 16.5 }, 8, 1],
    ['HNSW', { efConstruction: 0 }, 8, 1],
    ['HNSW', { efConstruction: 2_147_483_648 }, 8, 1],
    ['IVF_FLAT', { nlist: 0 }, 8, 1],
    ['IVF_FLAT', { nlist: 65536 }, 8, 0],
    ['IVF_SQ8', { nlist: 65537 }, 8, 1],
    ['IVF_PQ', { nlist: 128, m: 3 }, 8, 1],
    ['IVF_PQ', { nlist: 128, m: 4, nbits: 8 }, 8, 0],
    ['FLAT', { anything: -1 }, 8, 0],
    ['AUTOINDEX', {}, 8, 0],
  ];
  for (const [type, params, dim, n] of table) {
    it(`${type} ${JSON.stringify(params)} → ${n} problem(s)`, () => assert.equal(indexParamProblems(type, params, dim).length, n));
  }
});

describe('skippingVectors (what a standalone verify expects the target to lack)', () => {
  const plan = (missingVector: 'fail' | 'skip', nullableImage = false): CollectionPlan => ({
    source: 'rich',
    target: 'rich',
    description: '',
    primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [
      { source: 'text', field: 'text', type: 'FloatVector', dim: 4, metric: 'COSINE', index: { type: 'AUTOINDEX', params: {} }, nullable: false },
      { source: 'image', field: 'image', type: 'Float16Vector', dim: 4, metric: 'IP', index: { type: 'FLAT', params: {} }, nullable: nullableImage },
      { source: 'keywords', field: 'keywords', type: 'SparseFloatVector', metric: 'IP', index: { type: 'SPARSE_INVERTED_INDEX', params: {} }, nullable: false },
    ],
    dynamicField: true,
    partitionKey: null,
    policies: { nullPayloadValues: 'drop', missingVector },
    ifExists: 'append',
    sourceCount: 0,
  });
  it('skip: every non-nullable vector, as toRows() rejects them', () => {
    assert.deepEqual(skippingVectors(plan('skip')), ['text', 'image', 'keywords']);
  });
  it('a nullable vector keeps its points; policy fail skips nothing', () => {
    assert.deepEqual(skippingVectors(plan('skip', true)), ['text', 'keywords']);
    assert.deepEqual(skippingVectors(plan('fail')), []);
  });
});
