import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CollectionPlan, MigrationPlan, SourceCollection, TargetCapabilities } from '../../src/core/types.ts';
import { parsePlanFile } from '../../src/mapping/overrides.ts';
import { planCollection, planMigration } from '../../src/mapping/plan.ts';
import { LITE, MILVUS_26, collection, dense, multi, sparse } from './mapping-fixtures.ts';

/** What the CLI writes and the user edits: a MigrationPlan as JSON text. */
function planFile(collections: CollectionPlan[], edit?: (json: MigrationPlan) => void): unknown {
  const json: MigrationPlan = { version: 1, source: { url: 'http://q:6333' }, target: { uri: 'http://m:19530', database: 'default' }, collections };
  const copy = JSON.parse(JSON.stringify(json)) as MigrationPlan;
  edit?.(copy);
  return JSON.parse(JSON.stringify(copy));
}

const rich: SourceCollection = collection({
  name: 'my-docs',
  idKinds: { int: true, uuid: true, intAbove63: false },
  vectors: [
    dense('image-emb', { datatype: 'float16', hnsw: { m: 32, efConstruct: 200 }, missingCount: 3 }),
    sparse('text', { sparseModifier: 'idf' }),
    multi('colbert', { distance: 'Euclid' }),
  ],
  payloadSchema: { id: { dataType: 'integer' } },
});

describe('parsePlanFile → planCollection', () => {
  const roundTrips: Array<[string, SourceCollection, TargetCapabilities]> = [
    ['Milvus 2.6, every vector kind', rich, MILVUS_26],
    ['Milvus Lite, fallbacks', collection({ vectors: [dense('a', { datatype: 'float16' }), sparse('s')] }), LITE],
  ];
  for (const [name, source, caps] of roundTrips) {
    it(`an unedited plan file gives the same plan and problems (${name})`, () => {
      const first = planCollection(source, caps);
      const parsed = parsePlanFile(planFile([first.plan]));
      assert.deepEqual(parsed.problems, []);
      const again = planCollection(source, caps, parsed.overrides[source.name]);
      assert.deepEqual(again, first);
    });
  }

  it('an unedited Manhattan plan is refused again; choosing a metric fixes it', () => {
    const source = collection({ vectors: [dense('m', { distance: 'Manhattan' })] });
    const first = planCollection(source, MILVUS_26);
    const unedited = parsePlanFile(planFile([first.plan]));
    assert.deepEqual(planCollection(source, MILVUS_26, unedited.overrides.docs).problems.map((p) => p.code), ['MANHATTAN_METRIC']);
    const edited = parsePlanFile(planFile([first.plan], (j) => { j.collections[0]!.vectors[0]!.metric = 'L2'; }));
    const again = planCollection(source, MILVUS_26, edited.overrides.docs);
    assert.deepEqual(again.problems, []);
    assert.equal(again.plan.vectors[0]!.metric, 'L2');
  });

  it('edits are re-validated: a changed type is refused, renames apply', () => {
    const first = planCollection(rich, MILVUS_26);
    const parsed = parsePlanFile(planFile([first.plan], (j) => {
      const c = j.collections[0]!;
      c.target = 'docs_v2';
      c.vectors[0]!.field = 'image';
      c.vectors[1]!.type = 'FloatVector';
    }));
    const again = planCollection(rich, MILVUS_26, parsed.overrides['my-docs']);
    assert.equal(again.plan.target, 'docs_v2');
    assert.equal(again.plan.vectors[0]!.field, 'image');
    assert.ok(again.problems.some((p) => p.code === 'TYPE_FIXED' && p.path === 'vectors.text'));
  });

  it('a minimal file that only renames works through planMigration', () => {
    const parsed = parsePlanFile({ collections: [{ source: 'docs', target: 'documents' }] });
    assert.deepEqual(parsed.problems, []);
    const { collections } = planMigration([collection()], MILVUS_26, parsed.overrides);
    assert.equal(collections[0]!.target, 'documents');
  });
});

describe('parsePlanFile errors name the JSON path', () => {
  const base = () => planCollection(collection(), MILVUS_26).plan;
  const table: Array<[string, unknown, string, RegExp]> = [
    ['a typo in a key', planFile([base()], (j) => { Object.assign(j.collections[0]!.vectors[0]!, { metirc: 'L2' }); }),
      'collections[0].vectors[0]', /metirc/],
    ['a metric Milvus lacks', planFile([base()], (j) => { Object.assign(j.collections[0]!.vectors[0]!, { metric: 'L1' }); }),
      'collections[0].vectors[0].metric', /COSINE/],
    ['a fixed value changed', planFile([base()], (j) => { Object.assign(j.collections[0]!, { dynamicField: false }); }),
      'collections[0].dynamicField', /true/],
    ['a wrong ifExists', planFile([base()], (j) => { Object.assign(j.collections[0]!, { ifExists: 'merge' }); }),
      'collections[0].ifExists', /append/],
    ['no collections', { version: 1 }, 'collections', /.+/],
    ['not an object', 42, '', /.+/],
  ];
  for (const [name, json, path, message] of table) {
    it(name, () => {
      const { overrides, problems } = parsePlanFile(json);
      assert.deepEqual(overrides, {});
      assert.equal(problems.length, 1, JSON.stringify(problems));
      const [p] = problems;
      assert.equal(p!.code, 'PLAN_FILE_INVALID');
      assert.equal(p!.path, path);
      assert.match(p!.message, message);
      if (path.startsWith('collections[0]')) assert.equal(p!.collection, 'docs');
    });
  }

  it('a source listed twice', () => {
    const { problems } = parsePlanFile({ collections: [{ source: 'docs' }, { source: 'docs' }] });
    assert.deepEqual(problems.map((p) => [p.code, p.path]), [['DUPLICATE_SOURCE', 'collections[1].source']]);
  });
});
