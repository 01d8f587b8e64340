/**
 * From "these collections, this target" to a checked MigrationPlan. The CLI (`plan`, `migrate`,
 * `verify`) and the HTTP API both call buildPlan(), so the console's preview, the plan file and
 * the migration itself come from one function.
 */
import { splitUserinfo } from './url-credentials.ts';
import type { Sink, SourceReader } from './contracts.ts';
import { configError } from './errors.ts';
import { getOwn, setOwn } from './own.ts';
import type { AliasConflict, IfExists, MigrationPlan, Problem, SourceCollection, TargetCapabilities } from './types.ts';
import { planMigration } from '../mapping/plan.ts';
import type { CollectionOverrides } from '../mapping/overrides.ts';
import type { SwitchRequest } from '../mapping/aliases.ts';

export interface PlanRequest {
  sourceUrl: string;
  target: { uri: string; database: string };
  /** Source collection names; undefined = every collection of the source. An empty list is an
   *  error (NO_COLLECTIONS_SELECTED): "none" must never turn into "all". */
  collections?: string[];
  overrides?: Record<string, CollectionOverrides>;
  ifExists?: IfExists;
  missingVector?: 'fail' | 'skip';
  maxVectorFields?: number;
  /** Carry the source's aliases (default true; false: `--no-aliases`). */
  aliases?: boolean;
  /** `--alias-conflict`: default choice when a planned alias exists on another target collection. */
  aliasConflict?: AliasConflict;
  /** `--switch-alias NAME[=COLLECTION]`, for the cutover. */
  switchAliases?: SwitchRequest[];
  /** Points sampled per collection for the payload keys (`--payload-sample`; default 1000, 0: none). */
  payloadSample?: number;
}

export interface PlanResult {
  plan: MigrationPlan;
  problems: Problem[];
  sources: SourceCollection[];
  capabilities: TargetCapabilities;
}

export async function buildPlan(request: PlanRequest, reader: SourceReader, sink: Sink): Promise<PlanResult> {
  if (request.collections?.length === 0) {
    throw configError('NO_COLLECTIONS_SELECTED', 'No collection was selected.', 'Name the collections to migrate (e.g. --collections a,b), or leave the selection out to take every collection.');
  }
  const [capabilities, available, existingTargets] = await Promise.all([
    sink.capabilities(),
    reader.listCollections(),
    sink.listCollections(),
  ]);
  const names = request.collections ?? available;
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw configError(
      'SOURCE_COLLECTION_NOT_FOUND',
      `Source collection${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} not found at ${request.sourceUrl}.`,
      `Pick from: ${available.join(', ') || '(the source has no collections)'}.`,
    );
  }
  const sources: SourceCollection[] = [];
  for (const name of names) sources.push(await reader.describe(name, request.payloadSample !== undefined ? { payloadSample: request.payloadSample } : {}));
  const carry = request.aliases !== false;
  const sourceAliases = carry && reader.listAliases ? await reader.listAliases() : [];
  for (const s of sources) if (reader.listAliases && carry) s.aliases = sourceAliases.filter((a) => a.collection === s.name).map((a) => a.alias);
  const overrides: Record<string, CollectionOverrides> = {};
  for (const s of sources) {
    const o: CollectionOverrides = { ...(request.overrides ? getOwn(request.overrides, s.name) : {}) };
    if (request.ifExists && !o.ifExists) o.ifExists = request.ifExists;
    if (request.missingVector && !o.policies?.missingVector) o.policies = { ...o.policies, missingVector: request.missingVector };
    setOwn(overrides, s.name, o);
  }
  // The target's aliases are read only when something may create one (a plan with none never asks).
  const wantsAliases = (carry && sources.some((s) => s.aliases?.length)) || Boolean(request.switchAliases?.length)
    || Object.values(request.overrides ?? {}).some((o) => o.aliases?.length || o.ifExists === 'drop') || request.ifExists === 'drop';
  const targetAliases = wantsAliases ? (sink.listAliases ? await sink.listAliases() : null) : undefined;
  const { collections, problems } = planMigration(sources, capabilities, overrides, {
    maxVectorFields: request.maxVectorFields,
    existingTargets,
    aliases: { carry, onConflict: request.aliasConflict, switches: request.switchAliases, targetAliases },
  });
  return {
    plan: { version: 1, source: { url: splitUserinfo(request.sourceUrl).url }, target: { ...request.target, uri: splitUserinfo(request.target.uri).url }, collections },
    problems,
    sources,
    capabilities,
  };
}

export function planErrors(problems: Problem[]): Problem[] {
  return problems.filter((p) => p.severity === 'error');
}

/** One line per problem, for terminals and logs. */
export function formatProblem(p: Problem): string {
  const where = [p.collection, p.path].filter(Boolean).join(' › ');
  return `${p.severity === 'error' ? 'error' : 'warning'} [${p.code}] ${where ? `${where}: ` : ''}${p.message}${p.fix ? `\n    fix: ${p.fix}` : ''}`;
}
