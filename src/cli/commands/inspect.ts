/**
 * `qdrant2milvus inspect`: test the source connection and show what each collection holds and
 * whether it can be migrated. Without a target it judges against a current Milvus (2.6.4+);
 * with --target-uri it judges against that target's real capabilities.
 */
import type { Command } from 'commander';
import { planMigration } from '../../mapping/plan.ts';
import type { SourceCollection, TargetCapabilities, Problem } from '../../core/types.ts';
import { formatProblem } from '../../core/planning.ts';
import { addSourceFlags, addTargetFlags, openSource, openTarget, resolveSource, resolveTarget, secretsOf, type SourceFlags, type TargetFlags } from '../connections.ts';
import { EXIT, reportError } from '../exit.ts';
import { describeVector, printJson } from '../output.ts';

/** What a current Milvus (2.6.4 and later) can hold; used when no target is given. */
export const MILVUS_DEFAULT_CAPABILITIES: TargetCapabilities = {
  kind: 'milvus',
  version: 'v2.6.4 (assumed: no target given)',
  float16Vector: true,
  sparseVector: true,
  nullableVector: true,
  arrayOfStruct: true,
  autoIndex: true,
};

interface InspectFlags extends SourceFlags, TargetFlags {
  json?: boolean;
  collections?: string;
}

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('test the source connection; list collections with counts, vectors, id kinds, payload schema and readiness')
    .option('--collections <names>', 'comma-separated collection names (default: all)')
    .option('--json', 'print one JSON object on stdout');
  addSourceFlags(cmd);
  addTargetFlags(cmd);
  cmd.action(async (flags: InspectFlags) => {
    process.exitCode = await inspect(flags);
  });
}

async function inspect(flags: InspectFlags): Promise<number> {
  const source = resolveSource(flags);
  const reader = openSource(source);
  const wantsTarget = Boolean(flags.targetUri ?? process.env.MILVUS_URI);
  const target = wantsTarget ? resolveTarget(flags) : undefined;
  try {
    const { version } = await reader.check();
    let caps = MILVUS_DEFAULT_CAPABILITIES;
    if (target) {
      const sink = await openTarget(target);
      try {
        caps = await sink.capabilities();
      } finally {
        await sink.close();
      }
    }
    const all = await reader.listCollections();
    const names = flags.collections ? flags.collections.split(',').map((s) => s.trim()).filter(Boolean) : all;
    const described: SourceCollection[] = [];
    for (const name of names) described.push(await reader.describe(name));
    const { problems } = planMigration(described, caps, {}, {});
    const collections = described.map((c) => ({
      ...c,
      problems: problems.filter((p) => p.collection === c.name),
      migratable: !problems.some((p) => p.collection === c.name && p.severity === 'error'),
    }));
    if (flags.json) {
      printJson({ source: { url: source.url, version }, judgedAgainst: caps.version, collections });
    } else {
      printInspect(source.url, version, caps, collections);
    }
    return EXIT.OK;
  } catch (e) {
    return reportError(e, secretsOf(source, target));
  } finally {
    await reader.close();
  }
}

function printInspect(
  url: string,
  version: string,
  caps: TargetCapabilities,
  collections: Array<SourceCollection & { problems: Problem[]; migratable: boolean }>,
): void {
  const out: string[] = [`Connected to Qdrant ${version} at ${url}: ${collections.length} collection(s). Readiness judged against ${caps.kind} ${caps.version}.`, ''];
  for (const c of collections) {
    const ids = [c.idKinds.int && 'int', c.idKinds.uuid && 'UUID', c.idKinds.intAbove63 && 'int > 2^63-1'].filter(Boolean).join(', ') || 'none';
    out.push(`${c.name}: ${c.pointsCount} points, ids: ${ids} — ${c.migratable ? 'ready to migrate' : 'NOT migratable as is'}`);
    for (const v of c.vectors) out.push(`  vector ${describeVector(v)}`);
    const payload = Object.entries(c.payloadSchema);
    if (payload.length > 0) out.push(`  payload index: ${payload.map(([k, s]) => `${k} (${s.dataType})`).join(', ')}`);
    for (const p of c.problems) out.push(`  ${formatProblem(p)}`);
    out.push('');
  }
  process.stdout.write(out.join('\n'));
}
