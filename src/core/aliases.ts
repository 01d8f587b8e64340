/**
 * The alias steps of a migration (plans from mapping/aliases.ts, RPCs behind Sink.pointAlias).
 *
 * - Right after a collection is verified, its aliases are pointed at it: an application that
 *   queries by alias never sees a half-loaded or unverified collection.
 * - `switch` aliases (the cutover, `--switch-alias`) wait for the job's last step, after EVERY
 *   collection verified, and move with AlterAlias: atomic on the server, so readers go from the
 *   old collection to the new one between two queries.
 * A failure throws (the collection, or the job, fails with the error); a resume runs the step
 * again, and pointAlias() reads before it writes, so nothing is done twice.
 */
import type { Sink } from './contracts.ts';
import { configError, isMigrationError } from './errors.ts';
import type { MigrationEvents } from './events.ts';
import type { AliasPlan, CollectionPlan } from './types.ts';

export interface AliasResult {
  name: string;
  action: 'created' | 'moved' | 'unchanged' | 'skipped';
  /** `moved` / `skipped`: where the alias pointed (and, for skipped, still points). */
  from?: string;
}

/** Points the non-switch aliases of `plan` at its target. Called after the collection verified. */
export function applyCollectionAliases(plan: CollectionPlan, sink: Sink, events: MigrationEvents): Promise<AliasResult[]> {
  return apply(plan, (plan.aliases ?? []).filter((a) => !a.switch), sink, events);
}

/** Repoints every `switch` alias of the job. Called once, after every collection verified. */
export async function switchAliases(collections: CollectionPlan[], sink: Sink, events: MigrationEvents): Promise<AliasResult[]> {
  const out: AliasResult[] = [];
  for (const plan of collections) out.push(...(await apply(plan, (plan.aliases ?? []).filter((a) => a.switch), sink, events)));
  return out;
}

async function apply(plan: CollectionPlan, aliases: AliasPlan[], sink: Sink, events: MigrationEvents): Promise<AliasResult[]> {
  if (aliases.length === 0) return [];
  if (!sink.pointAlias) {
    throw configError('ALIASES_UNSUPPORTED', `The target cannot create aliases, and the plan of "${plan.source}" lists ${aliases.map((a) => `"${a.name}"`).join(', ')}.`,
      'Plan again against this target (it leaves the aliases out), or pass --no-aliases.');
  }
  const results: AliasResult[] = [];
  for (const alias of aliases) {
    const result = await pointOne(plan, alias, sink);
    results.push(result);
    events.emit('collection:alias', { collection: plan.source, alias: alias.name, target: plan.target, action: result.action, ...(result.from !== undefined && { from: result.from }) });
  }
  return results;
}

async function pointOne(plan: CollectionPlan, alias: AliasPlan, sink: Sink): Promise<AliasResult> {
  const move = alias.switch === true || alias.onConflict === 'move';
  try {
    const outcome = await sink.pointAlias!(alias.name, plan.target, { move, mustExist: alias.switch === true });
    return outcome.action === 'moved' ? { name: alias.name, action: 'moved', from: outcome.from } : { name: alias.name, action: outcome.action };
  } catch (e) {
    // `skip`: an alias found on another collection stays there; the plan warned about it.
    if (alias.onConflict === 'skip' && isMigrationError(e) && e.code === 'ALIAS_EXISTS') return { name: alias.name, action: 'skipped' };
    throw e;
  }
}
