/**
 * Where `plan`, `migrate` and `verify` get their plan: an edited plan file (--plan), re-validated,
 * or flags (--collections, --if-exists, ...). Either way it goes through buildPlan().
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { configError } from '../core/errors.ts';
import { buildPlan, type PlanResult } from '../core/planning.ts';
import type { AliasConflict, IfExists, Problem } from '../core/types.ts';
import { parsePlanFile, type CollectionOverrides } from '../mapping/overrides.ts';
import { addSourceFlags, addTargetFlags, openSource, openTarget, resolveSource, resolveTarget, type SourceConnection, type SourceFlags, type TargetConnection, type TargetFlags } from './connections.ts';
import type { Sink, SourceReader } from '../core/contracts.ts';
import { PAYLOAD_SAMPLE_HELP, intIn, nameList, oneOf, payloadSample, switchAlias } from './flags.ts';
import type { SwitchRequest } from '../mapping/aliases.ts';

export interface PlanFlags extends SourceFlags, TargetFlags {
  plan?: string;
  collections?: string[];
  ifExists?: IfExists;
  missingVector?: 'fail' | 'skip';
  maxVectorFields?: number;
  /** false with --no-aliases (commander's negated flag; default true). */
  aliases?: boolean;
  aliasConflict?: AliasConflict;
  switchAlias?: SwitchRequest[];
  /** `--payload-sample N` (default 1000; 0: none). */
  payloadSample?: number;
}

export function addPlanFlags(cmd: Command): Command {
  addSourceFlags(cmd);
  addTargetFlags(cmd);
  return cmd
    .option('--plan <file>', 'a plan file written by `plan -o` (and maybe edited); it is validated again')
    .option('--collections <names>', 'comma-separated source collections (default: all)', nameList)
    .option('--if-exists <fail|append|drop>', 'when a target collection exists: fail (default), append into it, or drop it first', oneOf(['fail', 'append', 'drop'] as const))
    .option('--missing-vector <fail|skip>', 'points lacking a named vector the target cannot hold as null: fail (default) or skip them', oneOf(['fail', 'skip'] as const))
    .option('--max-vector-fields <n>', "the target's proxy.maxVectorFieldNum if raised above 4 (1 to 10)", intIn(1, 10))
    .option('--no-aliases', "do not carry the source collections' aliases to the target")
    .option('--alias-conflict <fail|move|skip>', 'when a carried alias already points at another target collection: fail (default, before any data moves), move it, or skip it', oneOf(['fail', 'move', 'skip'] as const))
    .option('--payload-sample <n>', PAYLOAD_SAMPLE_HELP, payloadSample)
    .option('--switch-alias <name[=collection]>', 'cutover: repoint this existing target alias at the new collection as the last step, after everything verified (repeatable)', switchAlias);
}

export interface PlanSession {
  source: SourceConnection;
  target: TargetConnection;
  reader: SourceReader;
  sink: Sink;
  result: PlanResult;
  close(): Promise<void>;
}

/** How a command that only reads existing targets (verify, sync) plans. */
export interface PlanSessionDefaults {
  /**
   * The targets exist and nothing is created or dropped: every collection is planned as
   * `append`, whatever the plan file (whose `"ifExists": "fail"` from `plan -o` would refuse the
   * very target to check) or `--if-exists` say.
   */
  targetsExist?: true;
  /** false: plan no alias step at all, whatever the flags say. */
  aliases?: false;
}

/** Connects to both sides and builds the plan. The caller closes the session. */
export async function openPlanSession(flags: PlanFlags, defaults: PlanSessionDefaults = {}): Promise<PlanSession> {
  // Flag values were checked when the command line was parsed (flags.ts).
  const file = flags.plan ? await readPlanFile(flags.plan) : undefined;
  if (file && defaults.targetsExist) for (const o of Object.values(file.overrides)) delete o.ifExists;
  const source = resolveSource(flags, file?.source);
  const target = resolveTarget(flags, file?.target);
  const reader = await openSource(source);
  let sink: Sink | undefined;
  const close = async () => {
    await Promise.allSettled([reader.close(), sink?.close()]);
  };
  try {
    await reader.check();
    sink = await openTarget(target);
    // undefined: every source collection. A plan file always names its own (never empty, see readPlanFile).
    const collections = file ? Object.keys(file.overrides) : flags.collections;
    const result = await buildPlan(
      {
        sourceUrl: source.url,
        target: { uri: target.uri, database: target.database },
        collections,
        overrides: file?.overrides,
        ifExists: defaults.targetsExist ? 'append' : flags.ifExists,
        missingVector: flags.missingVector,
        maxVectorFields: flags.maxVectorFields,
        aliases: defaults.aliases ?? flags.aliases,
        aliasConflict: flags.aliasConflict,
        switchAliases: defaults.aliases === false ? undefined : flags.switchAlias,
        payloadSample: flags.payloadSample,
      },
      reader,
      sink,
    );
    return { source, target, reader, sink, result, close };
  } catch (e) {
    await close();
    throw e;
  }
}

interface PlanFileInput {
  source?: { url: string };
  target?: { uri: string; database: string };
  overrides: Record<string, CollectionOverrides>;
}

async function readPlanFile(path: string): Promise<PlanFileInput> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw configError('PLAN_FILE_UNREADABLE', `Cannot read plan file ${path}: ${(e as Error).message}.`, 'Pass the file written by `qdrant2milvus plan -o FILE`, with valid JSON.', e);
  }
  const { overrides, problems } = parsePlanFile(json);
  if (problems.length > 0) throw planFileError(path, problems);
  // "collections": [] must not fall back to "every collection of the source".
  if (Object.keys(overrides).length === 0) {
    throw configError('PLAN_FILE_INVALID', `Plan file ${path} lists no collections.`, 'List the collections to migrate under "collections", or write a fresh plan with `qdrant2milvus plan --collections NAMES -o FILE`.');
  }
  const raw = json as { source?: { url: string }; target?: { uri: string; database: string } };
  return { source: raw.source, target: raw.target, overrides };
}

function planFileError(path: string, problems: Problem[]) {
  const lines = problems.map((p) => `  ${p.path ?? ''}: ${p.message}`).join('\n');
  return configError('PLAN_FILE_INVALID', `Plan file ${path} is not valid:\n${lines}`, problems[0]?.fix ?? 'Correct the plan file.');
}
