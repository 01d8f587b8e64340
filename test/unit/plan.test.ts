import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CollectionPlan, Problem, SourceCollection, TargetCapabilities } from '../../src/core/types.ts';
import { planCollection, planMigration, type CollectionOverrides, type PlanOptions } from '../../src/mapping/plan.ts';
import { isValidName, nameError, sanitizeName } from '../../src/mapping/names.ts';
import { EXPLICIT_INDEX } from '../../src/mapping/vectors.ts';
import { LITE, MILVUS_25, MILVUS_26, collection, dense, multi, sparse } from './mapping-fixtures.ts';

interface Case {
  name: string;
  source: SourceCollection;
  caps?: TargetCapabilities;
  overrides?: CollectionOverrides;
  options?: PlanOptions;
  /** Exactly these problems, as `severity CODE path`, in any order. */
  problems?: string[];
  /** Text each message (joined) must contain. */
  says?: string[];
  check?: (plan: CollectionPlan) => void;
}

const v0 = (p: CollectionPlan) => p.vectors[0]!;
const fiveVectors = ['a', 'b', 'c', 'd', 'e'].map((n) => dense(n));

const cases: Case[] = [
  // primary key
  { name: 'integer ids → Int64 id, autoId off', source: collection(),
    check: (p) => assert.deepEqual(p.primaryKey, { field: 'id', type: 'Int64', autoId: false }) },
  { name: 'any UUID → VarChar(36)', source: collection({ idKinds: { int: true, uuid: true, intAbove63: false } }),
    check: (p) => assert.deepEqual(p.primaryKey, { field: 'id', type: 'VarChar', maxLength: 36, autoId: false }) },
  { name: 'an int above 2^63−1 → VarChar(36)', source: collection({ idKinds: { int: true, uuid: false, intAbove63: true } }),
    check: (p) => assert.equal(p.primaryKey.type, 'VarChar') },
  { name: 'VarChar override on integer ids', source: collection(), overrides: { primaryKey: { type: 'VarChar', field: 'pk' } },
    check: (p) => assert.deepEqual(p.primaryKey, { field: 'pk', type: 'VarChar', maxLength: 36, autoId: false }) },
  { name: 'Int64 override refused with UUIDs', source: collection({ idKinds: { int: false, uuid: true, intAbove63: false } }),
    overrides: { primaryKey: { type: 'Int64' } }, problems: ['error PK_TYPE_UNFIT primaryKey'], says: ['UUID'] },
  { name: 'Int64 override refused with ints above 2^63−1', source: collection({ idKinds: { int: true, uuid: false, intAbove63: true } }),
    overrides: { primaryKey: { type: 'Int64' } }, problems: ['error PK_TYPE_UNFIT primaryKey'], says: ['9223372036854775807'] },
  { name: 'VarChar too short for UUIDs', source: collection({ idKinds: { int: false, uuid: true, intAbove63: false } }),
    overrides: { primaryKey: { maxLength: 20 } }, problems: ['error PK_MAX_LENGTH primaryKey'], says: ['36'] },
  { name: 'invalid primary key name', source: collection(), overrides: { primaryKey: { field: 'my-id' } },
    problems: ['error INVALID_NAME primaryKey'], says: ['my-id', '^[A-Za-z_][A-Za-z0-9_]*$'] },
  // vector names and types
  { name: 'unnamed vector → field `vector`, FloatVector, COSINE, AUTOINDEX', source: collection(),
    check: (p) => assert.deepEqual(v0(p), { source: '', field: 'vector', type: 'FloatVector', dim: 4, metric: 'COSINE',
      index: { type: 'AUTOINDEX', params: {} }, nullable: false }) },
  { name: 'named vector sanitised', source: collection({ vectors: [dense('image-emb')] }),
    check: (p) => assert.equal(v0(p).field, 'image_emb') },
  { name: 'vector renamed', source: collection({ vectors: [dense('image-emb')] }),
    overrides: { vectors: [{ source: 'image-emb', field: 'img' }] }, check: (p) => assert.equal(v0(p).field, 'img') },
  { name: 'invalid vector field name', source: collection({ vectors: [dense('image')] }),
    overrides: { vectors: [{ source: 'image', field: 'img.v2' }] }, problems: ['error INVALID_NAME vectors.image'] },
  { name: 'type is fixed', source: collection({ vectors: [dense('image')] }),
    overrides: { vectors: [{ source: 'image', type: 'Float16Vector' }] }, problems: ['error TYPE_FIXED vectors.image'], says: ['FloatVector'] },
  { name: 'dim is fixed', source: collection({ vectors: [dense('image')] }),
    overrides: { vectors: [{ source: 'image', dim: 8 }] }, problems: ['error TYPE_FIXED vectors.image'] },
  { name: 'float16 → Float16Vector where supported', source: collection({ vectors: [dense('', { datatype: 'float16' })] }),
    check: (p) => { assert.equal(v0(p).type, 'Float16Vector'); assert.equal(v0(p).note, undefined); } },
  { name: 'float16 → FloatVector elsewhere (lossless note)', caps: LITE, source: collection({ vectors: [dense('', { datatype: 'float16' })] }),
    check: (p) => { assert.equal(v0(p).type, 'FloatVector'); assert.match(v0(p).note!, /lossless/); } },
  { name: 'uint8 → FloatVector (INT8_VECTOR note)', source: collection({ vectors: [dense('', { datatype: 'uint8' })] }),
    check: (p) => { assert.equal(v0(p).type, 'FloatVector'); assert.match(v0(p).note!, /INT8_VECTOR cannot hold 128–255/); } },
  { name: 'sparse → SparseFloatVector, SPARSE_INVERTED_INDEX, IP, no dim', source: collection({ vectors: [dense(''), sparse('text')] }),
    check: (p) => assert.deepEqual(p.vectors[1], { source: 'text', field: 'text', type: 'SparseFloatVector', metric: 'IP',
      index: { type: 'SPARSE_INVERTED_INDEX', params: {} }, nullable: false }) },
  { name: 'sparse with IDF modifier warns', source: collection({ vectors: [sparse('text', { sparseModifier: 'idf' })] }),
    problems: ['warning SPARSE_IDF vectors.text'], says: ['IDF', 'scores will differ'] },
  { name: 'sparse on a target without sparse vectors', caps: { ...MILVUS_25, sparseVector: false },
    source: collection({ vectors: [sparse('text')] }), problems: ['error SPARSE_UNSUPPORTED vectors.text'] },
  { name: 'multivector refused without Array of Struct', caps: MILVUS_25, source: collection({ vectors: [multi('colbert')] }),
    problems: ['error MULTIVECTOR_UNSUPPORTED vectors.colbert'], says: ['colbert', '2.6.4'] },
  { name: 'multivector → Array of Struct + MAX_SIM', source: collection({ vectors: [multi('colbert', { distance: 'Dot' })] }),
    check: (p) => { assert.equal(v0(p).type, 'ArrayOfStructFloatVector'); assert.equal(v0(p).metric, 'MAX_SIM_IP'); } },
  // metrics
  { name: 'Dot → IP', source: collection({ vectors: [dense('', { distance: 'Dot' })] }), check: (p) => assert.equal(v0(p).metric, 'IP') },
  { name: 'Euclid → L2', source: collection({ vectors: [dense('', { distance: 'Euclid' })] }), check: (p) => assert.equal(v0(p).metric, 'L2') },
  { name: 'Manhattan refused until a metric is chosen', source: collection({ vectors: [dense('m', { distance: 'Manhattan' })] }),
    problems: ['error MANHATTAN_METRIC vectors.m'], says: ['Manhattan'], check: (p) => assert.equal(v0(p).metric, null) },
  { name: 'Manhattan with a chosen metric', source: collection({ vectors: [dense('m', { distance: 'Manhattan' })] }),
    overrides: { vectors: [{ source: 'm', metric: 'L2' }] }, check: (p) => assert.equal(v0(p).metric, 'L2') },
  { name: 'changing a natural metric warns', source: collection(), overrides: { vectors: [{ source: '', metric: 'L2' }] },
    problems: ['warning METRIC_CHANGED vectors.(unnamed)'], check: (p) => assert.equal(v0(p).metric, 'L2') },
  { name: 'sparse accepts only IP', source: collection({ vectors: [sparse('s')] }), overrides: { vectors: [{ source: 's', metric: 'COSINE' }] },
    problems: ['error METRIC_UNSUPPORTED vectors.s'] },
  // indexes
  { name: 'Milvus Lite: explicit dense and sparse index types', caps: LITE, source: collection({ vectors: [dense('d'), sparse('s')] }),
    check: (p) => assert.deepEqual(p.vectors.map((v) => v.index.type), [EXPLICIT_INDEX.dense, EXPLICIT_INDEX.sparse]) },
  { name: 'HNSW chosen: Qdrant m / ef_construct carried over', source: collection({ vectors: [dense('', { hnsw: { m: 32, efConstruct: 200 } })] }),
    overrides: { vectors: [{ source: '', index: { type: 'HNSW' } }] },
    check: (p) => assert.deepEqual(v0(p).index, { type: 'HNSW', params: { M: 32, efConstruction: 200 } }) },
  { name: 'HNSW chosen with params: params kept', source: collection(),
    overrides: { vectors: [{ source: '', index: { type: 'HNSW', params: { M: 8, efConstruction: 64 } } }] },
    check: (p) => assert.deepEqual(v0(p).index, { type: 'HNSW', params: { M: 8, efConstruction: 64 } }) },
  { name: 'AUTOINDEX refused on Milvus Lite', caps: LITE, source: collection(), overrides: { vectors: [{ source: '', index: { type: 'AUTOINDEX' } }] },
    problems: ['error INVALID_INDEX vectors.(unnamed)'] },
  { name: 'unknown index type', source: collection({ vectors: [sparse('s')] }), overrides: { vectors: [{ source: 's', index: { type: 'HNSW' } }] },
    problems: ['error INVALID_INDEX vectors.s'] },
  // counts and limits
  { name: 'no vectors', source: collection({ vectors: [] }), problems: ['error NO_VECTORS vectors'] },
  { name: 'more vectors than the target allows', source: collection({ vectors: fiveVectors }),
    problems: ['error TOO_MANY_VECTORS vectors'], says: ['5 vectors', '4 vector fields', '--max-vector-fields 5'] },
  { name: '--max-vector-fields raises the limit', source: collection({ vectors: fiveVectors }), options: { maxVectorFields: 5 } },
  { name: '--max-vector-fields above 10 refused', source: collection(), options: { maxVectorFields: 11 },
    problems: ['error INVALID_OPTION vectors'] },
  { name: 'dim 32768 is fine', source: collection({ vectors: [dense('', { dim: 32768 })] }) },
  { name: 'dim above 32768', source: collection({ vectors: [dense('big', { dim: 32769 })] }),
    problems: ['error DIM_TOO_LARGE vectors.big'], says: ['32769', '32768'] },
  { name: 'dim 1 (Milvus needs 2)', source: collection({ vectors: [dense('', { dim: 1 })] }), problems: ['error DIM_TOO_SMALL vectors.(unnamed)'] },
  // missing vectors
  { name: 'missing vector → nullable field where supported', source: collection({ vectors: [dense('a'), dense('b', { missingCount: 7 })] }),
    check: (p) => assert.deepEqual(p.vectors.map((v) => v.nullable), [false, true]) },
  { name: 'missing vector, no nullable vectors, policy fail', caps: MILVUS_25,
    source: collection({ vectors: [dense('a'), dense('b', { missingCount: 7 })] }),
    problems: ['error MISSING_VECTOR vectors.b'], says: ['7 point(s)'], check: (p) => assert.equal(p.policies.missingVector, 'fail') },
  { name: 'missing vector, no nullable vectors, policy skip', caps: MILVUS_25,
    source: collection({ vectors: [dense('a'), dense('b', { missingCount: 7 })] }), overrides: { policies: { missingVector: 'skip' } },
    problems: ['warning MISSING_VECTOR vectors.b'], says: ['7 point(s)', 'skipped'] },
  { name: 'nullable is fixed', caps: MILVUS_25, source: collection({ vectors: [dense('a')] }),
    overrides: { vectors: [{ source: 'a', nullable: true }] }, problems: ['error FIXED_FIELD vectors.a'] },
  // payload
  { name: 'indexed payload key named like a field warns', source: collection({ payloadSchema: { id: { dataType: 'integer' } } }),
    problems: ['warning PAYLOAD_KEY_CLASH payload'], says: ['"id"', '"payload_id"'] },
  { name: 'clash rename skips names the payload uses', source: collection({
    payloadSchema: { vector: { dataType: 'keyword' }, payload_vector: { dataType: 'keyword' } } }),
  problems: ['warning PAYLOAD_KEY_CLASH payload'], says: ['"payload_vector_2"'] },
  // target
  { name: 'target: sanitised source name', source: collection({ name: 'my-docs' }), check: (p) => assert.equal(p.target, 'my_docs') },
  { name: 'target: invalid user name', source: collection(), overrides: { target: '1docs' }, problems: ['error INVALID_NAME target'] },
  { name: 'target exists', source: collection(), options: { existingTargets: ['docs'] },
    problems: ['error TARGET_EXISTS target'], says: ['"docs"'] },
  { name: 'target exists, append', source: collection(), options: { existingTargets: ['docs'] }, overrides: { ifExists: 'append' },
    problems: ['warning TARGET_APPEND target'], check: (p) => assert.equal(p.ifExists, 'append') },
  { name: 'target exists, drop', source: collection(), options: { existingTargets: ['docs'] }, overrides: { ifExists: 'drop' },
    problems: ['warning TARGET_DROP target'] },
  // duplicates and unknowns
  { name: 'two vectors sanitised to one name', source: collection({ vectors: [dense('a-b'), dense('a.b')] }),
    problems: ['error DUPLICATE_FIELD vectors.a.b'], says: ['"a_b"'] },
  { name: 'vector renamed onto the primary key', source: collection({ vectors: [dense('a')] }),
    overrides: { vectors: [{ source: 'a', field: 'id' }] }, problems: ['error DUPLICATE_FIELD vectors.a'], says: ['primary key'] },
  { name: 'override for a vector the source lacks', source: collection(), overrides: { vectors: [{ source: 'nope', field: 'x' }] },
    problems: ['error UNKNOWN_VECTOR vectors.nope'] },
  { name: 'description, policies and sourceCount', source: collection({ pointsCount: 123 }), overrides: { description: 'mine' },
    check: (p) => {
      assert.equal(p.description, 'mine');
      assert.deepEqual(p.policies, { nullPayloadValues: 'drop', missingVector: 'fail' });
      assert.equal(p.sourceCount, 123);
      assert.equal(p.dynamicField, true);
      assert.equal(p.partitionKey, null);
    } },
];

const brief = (p: Problem) => [p.severity, p.code, p.path].join(' ');

describe('planCollection', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { plan, problems } = planCollection(c.source, c.caps ?? MILVUS_26, c.overrides, c.options);
      assert.deepEqual(problems.map(brief).sort(), [...(c.problems ?? [])].sort());
      const text = problems.map((p) => `${p.message} ${p.fix ?? ''}`).join('\n');
      for (const s of c.says ?? []) assert.ok(text.includes(s), `expected "${s}" in:\n${text}`);
      for (const p of problems) {
        assert.equal(p.collection, c.source.name);
        assert.ok(p.message.length > 0);
        if (p.severity === 'error') assert.ok(p.fix, `${p.code} has no fix`);
      }
      c.check?.(plan);
    });
  }

  it('is deterministic', () => {
    const source = collection({ name: 'Ünïcode docs', vectors: [dense('image-emb'), sparse('text', { sparseModifier: 'idf' })] });
    assert.deepEqual(planCollection(source, LITE), planCollection(source, LITE));
  });
});

describe('planMigration', () => {
  it('refuses two collections on one target name', () => {
    const { collections, problems } = planMigration([collection({ name: 'a-b' }), collection({ name: 'a_b' })], MILVUS_26);
    assert.deepEqual(collections.map((c) => c.target), ['a_b', 'a_b']);
    assert.deepEqual(problems.map(brief), ['error DUPLICATE_TARGET target']);
    assert.match(problems[0]!.message, /"a-b" and "a_b" both map to target "a_b"/);
  });

  it('a rename resolves the clash; overrides reach the right collection', () => {
    const { collections, problems } = planMigration([collection({ name: 'a-b' }), collection({ name: 'a_b' })], MILVUS_26, {
      'a-b': { target: 'a_b_2' },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(collections.map((c) => c.target), ['a_b_2', 'a_b']);
  });

  it('refuses overrides for a collection not being migrated', () => {
    const { problems } = planMigration([collection()], MILVUS_26, { other: {} });
    assert.deepEqual(problems.map((p) => `${p.code} ${p.collection}`), ['UNKNOWN_COLLECTION other']);
  });
});

describe('names', () => {
  const table: Array<[string, string]> = [
    ['my-docs', 'my_docs'],
    ['docs', 'docs'],
    ['1st', '_1st'],
    ['', '_'],
    ['café', 'caf_'],
    ['📚books', '_books'],
    ['a.b c', 'a_b_c'],
    ['x'.repeat(300), 'x'.repeat(255)],
  ];
  for (const [input, output] of table) {
    it(`sanitizeName(${JSON.stringify(input.slice(0, 12))}) = ${JSON.stringify(output.slice(0, 12))}`, () => {
      assert.equal(sanitizeName(input), output);
      assert.ok(isValidName(output));
    });
  }

  it('validates user names with the rule', () => {
    assert.equal(nameError('ok_Name1'), null);
    assert.match(nameError('1a')!, /\^\[A-Za-z_\]/);
    assert.match(nameError('')!, /empty/);
    assert.match(nameError('a'.repeat(256))!, /256 characters/);
  });
});
