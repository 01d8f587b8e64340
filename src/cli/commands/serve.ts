/**
 * `qdrant2milvus serve`: the HTTP API and the web console on one origin, jobs run in this process.
 * Loopback by default; any other address needs an access token. Ctrl-C / SIGTERM cancel the
 * running jobs cleanly (resumable) and stop.
 */
import type { Command } from 'commander';
import { AUTH_TOKEN_ENV, DEFAULT_PORT } from '../../api/server-options.ts';
import { EXIT, reportError } from '../exit.ts';
import { intIn, nonBlank } from '../flags.ts';
import { addDataDirFlag } from '../run-job.ts';

interface ServeFlags {
  host: string;
  port: number;
  dataDir?: string;
  authToken?: string;
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the HTTP API and the web console (jobs run in this process)')
    .option('--host <address>', 'interface to bind; anything but loopback needs an access token', '127.0.0.1')
    .option('--port <port>', `port, 0 to 65535 (0 picks a free one)`, intIn(0, 65535), DEFAULT_PORT)
    .option('--auth-token <token>', `access token every API call must send as "Authorization: Bearer <token>" (env ${AUTH_TOKEN_ENV}; prefer the env var: flags show in \`ps\`)`, nonBlank)
    .addHelpText('after', '\nJobs a crash left IN_PROGRESS are marked FAILED at start (not resumed automatically): resume them from the Jobs page or with `qdrant2milvus jobs resume ID`.');
  addDataDirFlag(cmd);
  cmd.action(async (flags: ServeFlags) => {
    process.exitCode = await serveUntilStopped(flags);
  });
}

async function serveUntilStopped(flags: ServeFlags): Promise<number> {
  const authToken = flags.authToken ?? process.env[AUTH_TOKEN_ENV] ?? undefined;
  try {
    // The API (hono, zod schemas, the engine) is loaded only when serving.
    const { startServer } = await import('../../api/server.ts');
    const server = await startServer({ host: flags.host, port: flags.port, dataDir: flags.dataDir, authToken });
    const say = (text: string) => process.stdout.write(`${text}\n`);
    say(`qdrant2milvus console: ${server.url}`);
    say(`  API: ${server.url}api (OpenAPI: ${server.url}api/openapi.json)${authToken ? '; access token required' : ''}`);
    say(`  jobs: ${server.store.dataDir}`);
    if (!server.consoleBuilt) say('  the console is not built: run `npm run build:web` (the API works meanwhile)');
    for (const id of server.recovered) say(`  job ${id} was interrupted by a crash: marked FAILED; resume it from the Jobs page or with \`qdrant2milvus jobs resume ${id}\``);
    say('Press Ctrl-C to stop.');
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const running = server.engine.activeJobs();
    say(`\n${signal}: stopping${running.length ? ` (cancelling ${running.length} running job(s); resume them later)` : ''}...`);
    await server.stop();
    return EXIT.OK;
  } catch (e) {
    return reportError(e, [authToken]);
  }
}
