/**
 * qdrant2milvus command line: inspect → plan → migrate → verify.
 * Every command is a thin shell over src/core; exit codes are in exit.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerInspect } from './commands/inspect.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPlan } from './commands/plan.ts';
import { registerServe } from './commands/serve.ts';
import { registerVerify } from './commands/verify.ts';
import { EXIT } from './exit.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('qdrant2milvus')
    .description('Move Qdrant collections into Milvus / Zilliz Cloud: completely, fast, and provably.')
    .version('0.1.0')
    .showHelpAfterError()
    // Usage mistakes are config errors: nothing moved.
    .exitOverride((err: CommanderError) => {
      process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.CONFIG);
    });
  registerInspect(program);
  registerPlan(program);
  registerMigrate(program);
  registerVerify(program);
  registerJobs(program);
  registerServe(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
// Open gRPC channels or sockets of the clients must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
