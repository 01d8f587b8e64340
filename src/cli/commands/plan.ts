/** `qdrant2milvus plan`: build (or re-validate) the MigrationPlan and show it. Moves no data. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { estimateModes, formatModeEstimate } from '../../bulk/estimate.ts';
import { formatProblem, planErrors } from '../../core/planning.ts';
import { secretsOf } from '../connections.ts';
import { EXIT, reportError } from '../exit.ts';
import { formatPlan, printJson, toJson } from '../output.ts';
import { addPlanFlags, openPlanSession, type PlanFlags } from '../plan-input.ts';

interface PlanCommandFlags extends PlanFlags {
  output?: string;
  json?: boolean;
}

export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description('build the schema mapping for the chosen collections; write it with -o, edit it, pass it back with --plan')
    .option('-o, --output <file>', 'write the plan as JSON to this file')
    .option('--json', 'print the plan and its problems as JSON on stdout');
  addPlanFlags(cmd);
  cmd.action(async (flags: PlanCommandFlags) => {
    process.exitCode = await plan(flags);
  });
}

async function plan(flags: PlanCommandFlags): Promise<number> {
  let secrets: string[] = [];
  try {
    const session = await openPlanSession(flags);
    secrets = secretsOf(session.source, session.target);
    await session.close();
    const { plan: migrationPlan, problems } = session.result;
    if (flags.output) await writeFile(flags.output, `${toJson(migrationPlan)}\n`);
    if (flags.json) {
      // Both write modes' cost per collection (issue 14 §4): `migrate --mode upsert|bulk`.
      const modes = migrationPlan.collections.map((c) => ({ collection: c.source, ...estimateModes(c) }));
      printJson({ plan: migrationPlan, problems, modes });
    } else {
      const text = migrationPlan.collections.map(formatPlan).join('\n\n');
      process.stdout.write(`${text}\n`);
      process.stdout.write(`\nWrite modes (migrate --mode upsert|bulk):\n${migrationPlan.collections.map((c) => `  ${formatModeEstimate(c, 'upsert')}`).join('\n')}\n`);
      if (flags.output) process.stdout.write(`\nPlan written to ${flags.output}. Edit names, description or index there (promote payload keys with "mode": "field", set "partitionKey"), then pass --plan ${flags.output}.\n`);
    }
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return planErrors(problems).length > 0 ? EXIT.CONFIG : EXIT.OK;
  } catch (e) {
    return reportError(e, secrets);
  }
}
