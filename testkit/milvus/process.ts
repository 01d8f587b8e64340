/**
 * What every Milvus engine launcher shares: spawning a server process that cannot outlive the test
 * process, remembering its output for error messages, stopping it (gracefully or with SIGKILL),
 * and free loopback ports.
 *
 * No orphans, three ways: each server is spawned in the caller's process group (killing the test
 * runner's group kills it); it dies with its parent through PR_SET_PDEATHSIG (serve.py, serve23.py,
 * pdeathsig.py); and the exit and signal handlers installed here SIGKILL every live server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';

export const host = '127.0.0.1';
const live = new Map<ChildProcess, { dataDir: string; ownsDir: boolean }>();

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves with how the process ended ("exit code 1", "SIGKILL", an error message). */
  exited: Promise<string>;
  /** The last ~8 KB of stdout+stderr. */
  output(): string;
  /** Resolves once a line matching `pattern` was printed (never, if it is not). */
  printed(pattern: RegExp): Promise<void>;
  /** SIGTERM/SIGINT (`signal`), SIGKILL after `graceMs`; waits for exit; removes an owned data dir. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
  /** SIGKILL, waits for exit, keeps the data dir (for crash tests). */
  kill(): Promise<void>;
}

export function spawnServer(
  cmd: string, args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; dataDir: string; ownsDir: boolean },
): ServerProcess {
  installExitHandlers();
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env, PYTHONUNBUFFERED: '1', Q2M_PARENT_PID: String(process.pid) },
  });
  live.set(child, { dataDir: opts.dataDir, ownsDir: opts.ownsDir });
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.on('error', (err) => resolve(err.message));
  });
  void exited.then(() => live.delete(child));

  let text = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8192);
    for (const w of [...waiters]) {
      if (w.pattern.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const alive = () => child.exitCode === null && child.signalCode === null;
  // detach() unrefs the child; whoever waits for its exit must keep the event loop alive meanwhile.
  const awaitExit = async () => {
    child.ref();
    await exited;
  };
  const ownedDir = async () => {
    if (opts.ownsDir) await rm(opts.dataDir, { recursive: true, force: true });
  };
  let stopping: Promise<void> | undefined;
  return {
    child,
    exited,
    output: () => text.trimEnd(),
    printed: (pattern) =>
      pattern.test(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve })),
    stop: (signal, graceMs) =>
      (stopping ??= (async () => {
        if (alive()) {
          child.kill(signal);
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await awaitExit();
          clearTimeout(timer);
        }
        await ownedDir();
      })()),
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      await awaitExit();
    },
  };
}

/** Lets a test process that forgot stop() still exit; the exit handler then kills the server. */
export function detach(child: ChildProcess): void {
  child.unref();
  // With stdio 'pipe' these are net.Sockets, though typed as plain Readables.
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();
}

/** A port the kernel considers free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether 127.0.0.1:port can be bound now. Node binds without SO_REUSEPORT, so this also fails
 * when a gRPC server (which sets SO_REUSEPORT) holds the port: the check that catches two C++ or
 * Go Milvus servers silently sharing one port.
 */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const [child, { dataDir, ownsDir }] of live) {
      child.kill('SIGKILL');
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 2 });
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else handles this signal (e.g. cli.ts): they own a clean stop(); 'exit' is the backstop.
      if (process.listenerCount(signal) > 1) return;
      killAll();
      // Keep the signal's usual meaning: terminate.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
