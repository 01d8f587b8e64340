/**
 * `qdrant2milvus inspect`: test the source connection and show what each collection holds and
 * whether it can be migrated. Without a target it judges against a current Milvus (2.6.4+);
 * with --target-uri it judges against that target's real capabilities.
 */
import { splitUserinfo } from '../../core/url-credentials.ts';
import type { Command } from 'commander';
import type { TargetCapabilities } from '../../core/types.ts';
import { formatProblem } from '../../core/planning.ts';
import { describeReadiness, MILVUS_DEFAULT_CAPABILITIES, type CollectionReadiness } from '../../core/readiness.ts';
import type { SourceReader } from '../../core/contracts.ts';
import {
  addSourceFlags, addTargetFlags, openSource, openTarget, resolveSource, resolveTarget, secretsOf,
  type SourceConnection, type SourceFlags, type TargetConnection, type TargetFlags,
} from '../connections.ts';
import { EXIT, reportError } from '../exit.ts';
import { PAYLOAD_SAMPLE_HELP, nameList, payloadSample } from '../flags.ts';
import { describeVector, printJson } from '../output.ts';
import { formatPayloadKeys } from '../payload-table.ts';

export { MILVUS_DEFAULT_CAPABILITIES };

interface InspectFlags extends SourceFlags, TargetFlags {
  json?: boolean;
  collections?: string[];
  payloadSample?: number;
}

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('test the source connection; list collections with counts, vectors, id kinds, payload schema and readiness')
    .option('--collections <names>', 'comma-separated collection names (default: all)', nameList)
    .option('--payload-sample <n>', PAYLOAD_SAMPLE_HELP, payloadSample)
    .option('--json', 'print one JSON object on stdout');
  addSourceFlags(cmd);
  addTargetFlags(cmd);
  cmd.action(async (flags: InspectFlags) => {
    process.exitCode = await inspect(flags);
  });
}

async function inspect(flags: InspectFlags): Promise<number> {
  let source: SourceConnection | undefined;
  let target: TargetConnection | undefined;
  let reader: SourceReader | undefined;
  try {
    source = resolveSource(flags);
    const wantsTarget = Boolean(flags.targetUri ?? process.env.MILVUS_URI);
    target = wantsTarget ? resolveTarget(flags) : undefined;
    reader = await openSource(source);
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
    const collections = await describeReadiness(reader, caps, flags.collections, flags.payloadSample !== undefined ? { payloadSample: flags.payloadSample } : {});
    if (flags.json) {
      printJson({ source: { url: splitUserinfo(source.url).url, version }, judgedAgainst: caps.version, collections });
    } else {
      printInspect(splitUserinfo(source.url).url, version, caps, collections);
    }
    return EXIT.OK;
  } catch (e) {
    return reportError(e, secretsOf(source, target));
  } finally {
    await reader?.close();
  }
}

function printInspect(
  url: string,
  version: string,
  caps: TargetCapabilities,
  collections: CollectionReadiness[],
): void {
  const out: string[] = [`Connected to Qdrant ${version} at ${url}: ${collections.length} collection(s). Readiness judged against ${caps.kind} ${caps.version}.`, ''];
  for (const c of collections) {
    const ids = [c.idKinds.int && 'int', c.idKinds.uuid && 'UUID', c.idKinds.intAbove63 && 'int > 2^63-1'].filter(Boolean).join(', ') || 'none';
    out.push(`${c.name}: ${c.pointsCount} points, ids: ${ids} — ${c.migratable ? 'ready to migrate' : 'NOT migratable as is'}`);
    for (const v of c.vectors) out.push(`  vector ${describeVector(v)}`);
    out.push(...formatPayloadKeys(c.payloadKeys ?? [], c.payloadPlan));
    for (const p of c.problems) out.push(`  ${formatProblem(p)}`);
    out.push('');
  }
  process.stdout.write(out.join('\n'));
}
