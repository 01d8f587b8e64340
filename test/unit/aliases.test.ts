/** Alias planning (src/mapping/aliases.ts through planMigration): sanitising, conflicts, switches, --no-aliases. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Problem, SourceCollection } from '../../src/core/types.ts';
import { planMigration, type PlanOptions } from '../../src/mapping/plan.ts';
import type { CollectionOverrides } from '../../src/mapping/overrides.ts';
import { parsePlanFile } from '../../src/mapping/overrides.ts';
import { switchAlias } from '../../src/cli/flags.ts';
import { collection, LITE } from './mapping-fixtures.ts';

function planned(sources: SourceCollection[], options: PlanOptions = {}, overrides: Record<string, CollectionOverrides> = {}) {
  const r = planMigration(sources, LITE, overrides, options);
  const codes = (severity: Problem['severity']) => r.problems.filter((p) => p.severity === severity).map((p) => p.code);
  return { ...r, errors: codes('error'), warnings: codes('warning') };
}

const docs = (aliases: string[], name = 'docs') => collection({ name, aliases });

describe('alias planning', () => {
  it("lists the source collection's aliases, sanitised like collection names, and says which were renamed", () => {
    const r = planned([docs(['docs-live', 'docs_v1', '1st'])], { aliases: { targetAliases: new Map() } });
    assert.deepEqual(r.collections[0]!.aliases, [
      { name: 'docs_live', source: 'docs-live', onConflict: 'fail' },
      { name: 'docs_v1', source: 'docs_v1', onConflict: 'fail' },
      { name: '_1st', source: '1st', onConflict: 'fail' },
    ]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, ['ALIAS_RENAMED', 'ALIAS_RENAMED']);
  });

  it('--no-aliases plans none, not even those of a plan file', () => {
    const r = planned([docs(['live'])], { aliases: { carry: false } }, { docs: { aliases: [{ name: 'mine' }] } });
    assert.deepEqual(r.collections[0]!.aliases, []);
    assert.deepEqual(r.problems, []);
  });

  it('an alias on another target collection is an error by default; move and skip are warnings', () => {
    const targetAliases = new Map([['live', 'old_docs']]);
    const fail = planned([docs(['live'])], { aliases: { targetAliases } });
    assert.deepEqual(fail.errors, ['ALIAS_EXISTS']);
    assert.match(fail.problems[0]!.message, /"live" already points at target collection "old_docs"/);
    assert.match(fail.problems[0]!.fix!, /--alias-conflict move/);
    const move = planned([docs(['live'])], { aliases: { targetAliases, onConflict: 'move' } });
    assert.deepEqual([move.errors, move.warnings], [[], ['ALIAS_MOVE']]);
    assert.equal(move.collections[0]!.aliases![0]!.onConflict, 'move');
    const skip = planned([docs(['live'])], { aliases: { targetAliases, onConflict: 'skip' } });
    assert.deepEqual([skip.errors, skip.warnings], [[], ['ALIAS_SKIP']]);
  });

  it('an alias already on the planned target collection is no conflict (a re-run)', () => {
    const r = planned([docs(['live'])], { aliases: { targetAliases: new Map([['live', 'docs']]) } });
    assert.deepEqual(r.problems, []);
  });

  it('refuses an alias named like a collection, and one alias on two collections', () => {
    const taken = planned([docs(['products'])], { existingTargets: ['products'], aliases: { targetAliases: new Map() } });
    assert.deepEqual(taken.errors, ['ALIAS_NAME_TAKEN']);
    const twice = planned([docs(['a-b']), docs(['a.b'], 'other')], { aliases: { targetAliases: new Map() } });
    assert.ok(twice.errors.includes('DUPLICATE_ALIAS'), twice.errors.join());
  });

  it('checks a name typed into the plan file instead of rewriting it', () => {
    const { overrides, problems } = parsePlanFile({ collections: [{ source: 'docs', aliases: [{ name: 'bad-name' }, { name: 'ok_name', onConflict: 'move' }] }] });
    assert.deepEqual(problems, []);
    const r = planned([docs(['ignored'])], { aliases: { targetAliases: new Map() } }, overrides);
    assert.deepEqual(r.errors, ['INVALID_NAME']);
    assert.deepEqual(r.collections[0]!.aliases!.map((a) => [a.name, a.onConflict]), [['bad-name', 'fail'], ['ok_name', 'move']]);
  });

  it('a target without aliases: carried ones are a warning and left out; a switch is an error', () => {
    const r = planned([docs(['live'])], { aliases: { targetAliases: null } });
    assert.deepEqual([r.errors, r.warnings], [[], ['ALIASES_UNSUPPORTED']]);
    assert.deepEqual(r.collections[0]!.aliases, []);
    const sw = planned([docs([])], { aliases: { targetAliases: null, switches: [{ alias: 'prod' }] } });
    assert.deepEqual(sw.errors, ['SWITCH_ALIAS_UNSUPPORTED']);
  });

  it('--switch-alias needs an existing alias and, with several collections, says which one', () => {
    const targetAliases = new Map([['prod', 'docs_v1']]);
    const ok = planned([docs([])], { aliases: { targetAliases, switches: [{ alias: 'prod' }] } });
    assert.deepEqual([ok.errors, ok.warnings], [[], ['ALIAS_SWITCH']]);
    assert.deepEqual(ok.collections[0]!.aliases, [{ name: 'prod', onConflict: 'move', switch: true }]);
    const missing = planned([docs([])], { aliases: { targetAliases, switches: [{ alias: 'prd' }] } });
    assert.deepEqual(missing.errors, ['SWITCH_ALIAS_NOT_FOUND']);
    const two = [docs([]), docs([], 'other')];
    assert.deepEqual(planned(two, { aliases: { targetAliases, switches: [{ alias: 'prod' }] } }).errors, ['SWITCH_ALIAS_COLLECTION']);
    const named = planned(two, { aliases: { targetAliases, switches: [{ alias: 'prod', collection: 'other' }] } });
    assert.deepEqual(named.errors, []);
    assert.deepEqual(named.collections.map((c) => c.aliases!.length), [0, 1]);
  });
});

describe('aliases of a collection that --if-exists drop replaces', () => {
  it('are kept in the plan (recreated once the new data verified), with a warning; --no-aliases only warns', () => {
    const targetAliases = new Map([['live', 'docs'], ['elsewhere', 'other']]);
    const kept = planned([docs([])], { existingTargets: ['docs'], aliases: { targetAliases } }, { docs: { ifExists: 'drop' } });
    assert.deepEqual(kept.errors, []);
    assert.ok(kept.warnings.includes('ALIASES_ON_DROPPED'), kept.warnings.join());
    assert.deepEqual(kept.collections[0]!.aliases, [{ name: 'live', onConflict: 'fail' }]);
    const off = planned([docs([])], { existingTargets: ['docs'], aliases: { targetAliases, carry: false } }, { docs: { ifExists: 'drop' } });
    assert.ok(off.warnings.includes('ALIASES_ON_DROPPED'));
    assert.deepEqual(off.collections[0]!.aliases, []);
  });
});

describe('--switch-alias parser', () => {
  it('takes NAME or NAME=COLLECTION, repeatable, and refuses anything else when the command line is parsed', () => {
    assert.deepEqual(switchAlias('prod'), [{ alias: 'prod' }]);
    assert.deepEqual(switchAlias('b=docs', [{ alias: 'a' }]), [{ alias: 'a' }, { alias: 'b', collection: 'docs' }]);
    for (const bad of ['', '=docs', 'prod=', 'a=b=c']) assert.throws(() => switchAlias(bad), /NAME=COLLECTION/, bad);
  });
});
