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
import { registerSync } from './commands/sync.ts';
import { registerVerify } from './commands/verify.ts';
import { EXIT, reportError } from './exit.ts';
import { exitWhenFlushed } from './output.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('qdrant2milvus')
    .description('Move Qdrant collections into Milvus / Zilliz Cloud: completely, fast, and provably.')
    .version('0.1.0')
    .showHelpAfterError()
    // Commander has printed its message (usage mistake, --help, --version); main() picks the exit
    // code. Throwing, instead of exiting here, lets the output drain first.
    .exitOverride((err: CommanderError) => {
      throw err;
    });
  registerInspect(program);
  registerPlan(program);
  registerMigrate(program);
  registerVerify(program);
  registerSync(program);
  registerJobs(program);
  registerServe(program);
  return program;
}

async function main(): Promise<number> {
  // An error no command caught (a client's stream emitting after its caller gave up, say) ends the
  // process like any other error: one line with its code, never Node's stack trace.
  const crash = (e: unknown) => void exitWhenFlushed(reportError(e));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    await buildProgram().parseAsync(process.argv);
    return Number(process.exitCode ?? EXIT.OK);
  } catch (e) {
    // Usage mistakes are config errors: nothing moved.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.CONFIG;
    // Anything a command let escape: one line with its code, never a stack trace.
    return reportError(e);
  }
}

// Open gRPC channels or sockets of the clients must not keep a finished command alive, so the
// process exits explicitly, but only once stdout and stderr have been written out: on a pipe a
// large --json answer is still queued when the command returns.
await exitWhenFlushed(await main());
