/**
 * Aliases: which Milvus aliases each planned collection gets, and what stops them before any data
 * moves. Pure, like the rest of plan(): the source's aliases, the target's aliases and the user's
 * choices in, the plan's `aliases` lists and the problems out.
 *
 * - A Qdrant alias is carried under the same name, sanitised like a collection name (Milvus keeps
 *   aliases and collection names in one namespace with one rule); a renamed one is a warning,
 *   because applications query by that name.
 * - An alias the user typed (plan file, `--switch-alias`) is checked, never rewritten.
 * - An alias that already points at another target collection is a conflict: `fail` (error,
 *   default), `move` (repointed, warning) or `skip` (left alone, warning).
 * - `--switch-alias NAME[=COLLECTION]`: the cutover. NAME must exist on the target (it is what
 *   applications read today); it is repointed at the new collection as the job's last step.
 * - A target without alias RPCs (Milvus Lite 2.5): carried aliases are a warning and are left out
 *   of the plan (the data is still worth moving; the user is told what to recreate by hand);
 *   a switch is an error, because the cutover the user asked for cannot happen.
 */
import { getOwn } from '../core/own.ts';
import type { AliasConflict, AliasPlan, CollectionPlan, Problem, SourceCollection } from '../core/types.ts';
import { nameError, sanitizeName } from './names.ts';
import type { CollectionOverrides } from './overrides.ts';

/** `--switch-alias NAME[=COLLECTION]`: COLLECTION is a source or target name of the job. */
export interface SwitchRequest {
  alias: string;
  collection?: string;
}

export interface AliasOptions {
  /** Carry the source's aliases. Default true; false is `--no-aliases` (plan-file aliases too). */
  carry?: boolean;
  /** Default conflict choice for aliases that do not say (`--alias-conflict`). Default fail. */
  onConflict?: AliasConflict;
  switches?: SwitchRequest[];
  /** The target's aliases (alias → collection). Undefined: not listed, nothing is checked against
   *  the target; null: the target has no aliases. */
  targetAliases?: Map<string, string> | null;
  /** Collection names already in the target database. */
  existingTargets?: string[];
}

type Report = (severity: Problem['severity'], code: string, message: string, fix?: string) => void;

/**
 * Sets `aliases` on every plan of `collections` (same order as `sources`) and returns the problems.
 * Called by planMigration() after the collections are planned: the checks need every target name.
 */
export function planAliases(
  sources: SourceCollection[],
  collections: CollectionPlan[],
  overrides: Record<string, CollectionOverrides>,
  options: AliasOptions = {},
): Problem[] {
  const problems: Problem[] = [];
  const at = (collection: string, path: string): Report => (severity, code, message, fix) =>
    problems.push({ severity, collection, path, code, message, ...(fix !== undefined && { fix }) });
  const onConflict = options.onConflict ?? 'fail';
  collections.forEach((plan, i) => {
    const requested = getOwn(overrides, plan.source)?.aliases;
    plan.aliases = options.carry === false ? [] : requested
      ? userAliases(requested, onConflict, at(plan.source, 'aliases'))
      : carried(sources[i]?.aliases ?? [], onConflict, at(plan.source, 'aliases'));
  });
  addSwitches(collections, options.switches ?? [], (c) => at(c, 'aliases'));
  checkNames(collections, options.existingTargets ?? [], (c) => at(c, 'aliases'));
  if (options.targetAliases === null) dropUnsupported(collections, (c) => at(c, 'aliases'));
  else if (options.targetAliases) {
    keepOnDrop(collections, options.targetAliases, options.carry !== false, (c) => at(c, 'aliases'));
    checkTarget(collections, options.targetAliases, (c) => at(c, 'aliases'));
  }
  return problems;
}

function carried(names: string[], onConflict: AliasConflict, report: Report): AliasPlan[] {
  return names.map((source) => {
    const name = sanitizeName(source);
    if (name !== source) report('warning', 'ALIAS_RENAMED', `Qdrant alias "${source}" becomes Milvus alias "${name}" (Milvus names allow letters, digits and _ only).`,
      `Point the applications that use "${source}" at "${name}", or set another "name" for it under "aliases" in the plan file.`);
    return { name, source, onConflict };
  });
}

function userAliases(entries: NonNullable<CollectionOverrides['aliases']>, onConflict: AliasConflict, report: Report): AliasPlan[] {
  return entries.map((e) => {
    const bad = nameError(e.name);
    if (bad) report('error', 'INVALID_NAME', `Alias name "${e.name}" is not a valid Milvus name: ${bad}.`,
      'Use letters, digits and _ only, not starting with a digit ("name" under "aliases" in the plan file).');
    return { name: e.name, ...(e.source !== undefined && { source: e.source }), onConflict: e.onConflict ?? onConflict, ...(e.switch && { switch: true }) };
  });
}

function addSwitches(collections: CollectionPlan[], switches: SwitchRequest[], at: (collection: string) => Report): void {
  for (const sw of switches) {
    const matches = sw.collection === undefined ? collections
      : collections.filter((c) => c.source === sw.collection || c.target === sw.collection);
    const first = collections[0]?.source ?? '';
    if (matches.length !== 1) {
      const which = collections.map((c) => c.target).join(', ');
      at(sw.collection ?? first)('error', 'SWITCH_ALIAS_COLLECTION',
        sw.collection === undefined
          ? `--switch-alias ${sw.alias} does not say which of the job's ${collections.length} collections the alias should point at.`
          : `--switch-alias ${sw.alias}=${sw.collection} names no collection of this job.`,
        `Pass --switch-alias ${sw.alias}=COLLECTION with one of: ${which || '(no collections)'}.`);
      continue;
    }
    const plan = matches[0]!;
    const bad = nameError(sw.alias);
    if (bad) at(plan.source)('error', 'INVALID_NAME', `Alias name "${sw.alias}" (--switch-alias) is not a valid Milvus name: ${bad}.`,
      'Pass the alias exactly as the target has it.');
    plan.aliases = [...(plan.aliases ?? []).filter((a) => a.name !== sw.alias), { name: sw.alias, onConflict: 'move', switch: true }];
  }
}

/** Milvus keeps collection and alias names in one namespace per database, and one alias names one collection. */
function checkNames(collections: CollectionPlan[], existingTargets: string[], at: (collection: string) => Report): void {
  const owner = new Map<string, string>();
  const targets = new Set([...existingTargets, ...collections.map((c) => c.target)]);
  for (const plan of collections) {
    for (const alias of plan.aliases ?? []) {
      const other = owner.get(alias.name);
      if (other !== undefined) at(plan.source)('error', 'DUPLICATE_ALIAS',
        `Alias "${alias.name}" is planned for both "${other}" and "${plan.target}"; an alias points at one collection.`,
        'Rename or remove one of them under "aliases" in the plan file.');
      else owner.set(alias.name, plan.target);
      if (targets.has(alias.name)) at(plan.source)('error', 'ALIAS_NAME_TAKEN',
        `Alias "${alias.name}" has the name of a collection in the target database; Milvus keeps collection and alias names in one namespace.`,
        'Rename the alias under "aliases" in the plan file, or the target collection.');
    }
  }
}

function dropUnsupported(collections: CollectionPlan[], at: (collection: string) => Report): void {
  for (const plan of collections) {
    const aliases = plan.aliases ?? [];
    const switches = aliases.filter((a) => a.switch);
    for (const a of switches) at(plan.source)('error', 'SWITCH_ALIAS_UNSUPPORTED',
      `--switch-alias ${a.name}: the target has no aliases (it does not implement the alias RPCs, e.g. Milvus Lite 2.5).`,
      'Leave out --switch-alias and switch the applications to the new collection by name, or migrate to a Milvus that has aliases.');
    const carried = aliases.filter((a) => !a.switch);
    if (carried.length > 0) at(plan.source)('warning', 'ALIASES_UNSUPPORTED',
      `The target has no aliases (it does not implement the alias RPCs, e.g. Milvus Lite 2.5): ${carried.map((a) => `"${a.name}"`).join(', ')} will not be created for "${plan.target}".`,
      'Query the collection by its name on this target, or pass --no-aliases to silence this.');
    plan.aliases = switches;
  }
}

/**
 * `--if-exists drop` of a collection that aliases point at. Milvus 2.3.5 and Lite 3.2.2 drop the
 * aliases with the collection (probed); recent Milvus (2.5.5+, and the 2.4 branch since Feb 2025,
 * milvus-io/milvus#40148) refuses to drop a collection that has aliases. Either way the user must
 * know; and unless aliases are off, the plan keeps them so they come back once the new data verified.
 */
function keepOnDrop(collections: CollectionPlan[], existing: Map<string, string>, keep: boolean, at: (collection: string) => Report): void {
  for (const plan of collections) {
    if (plan.ifExists !== 'drop') continue;
    const names = [...existing].filter(([, target]) => target === plan.target).map(([alias]) => alias).sort();
    if (names.length === 0) continue;
    const planned = new Set((plan.aliases ?? []).map((a) => a.name));
    if (keep) plan.aliases = [...(plan.aliases ?? []), ...names.filter((n) => !planned.has(n)).map((name) => ({ name, onConflict: 'fail' as const }))];
    const list = names.map((n) => `"${n}"`).join(', ');
    at(plan.source)('warning', 'ALIASES_ON_DROPPED', `Collection "${plan.target}" will be dropped while alias${names.length > 1 ? 'es' : ''} ${list} point${names.length > 1 ? '' : 's'} at it: queries through ${names.length > 1 ? 'them' : 'it'} fail until the new data is verified${keep ? ' and the aliases are pointed at it again' : ' (--no-aliases: they are not recreated)'}.`,
      `Milvus 2.5.5 and later refuse to drop a collection that has aliases: drop them first (pymilvus client.drop_alias), or migrate into a new collection and use --switch-alias for the cutover.`);
  }
}

function checkTarget(collections: CollectionPlan[], existing: Map<string, string>, at: (collection: string) => Report): void {
  for (const plan of collections) {
    for (const alias of plan.aliases ?? []) {
      const now = existing.get(alias.name);
      const report = at(plan.source);
      if (alias.switch) {
        if (now === undefined) report('error', 'SWITCH_ALIAS_NOT_FOUND', `--switch-alias ${alias.name}: the target has no alias "${alias.name}" to repoint.`,
          `Name an alias the target has (${[...existing.keys()].join(', ') || 'it has none'}); to create a new alias, list it under "aliases" in the plan file instead.`);
        else if (now !== plan.target) report('warning', 'ALIAS_SWITCH', `Alias "${alias.name}" will be repointed from "${now}" to "${plan.target}" as the job's last step, after every collection is verified.`);
        continue;
      }
      if (now === undefined || now === plan.target) continue;
      if (alias.onConflict === 'fail') report('error', 'ALIAS_EXISTS', `Alias "${alias.name}" already points at target collection "${now}".`,
        `Pass --alias-conflict move (repoint it at "${plan.target}") or skip (leave it), or --no-aliases; in a plan file set its "onConflict" to "move" or "skip", or rename it.`);
      else if (alias.onConflict === 'move') report('warning', 'ALIAS_MOVE', `Alias "${alias.name}" points at "${now}"; it will be repointed at "${plan.target}" once "${plan.target}" is verified.`);
      else report('warning', 'ALIAS_SKIP', `Alias "${alias.name}" points at "${now}" and will be left there (--alias-conflict skip).`);
    }
  }
}
