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
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { MilvusEngine, MilvusServer } from './launcher.ts';

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
 * Whether nothing listens on `port` now (any address, IPv4 or IPv6), from /proc/net/tcp{,6}.
 * Checked before starting the C++ and Go servers: gRPC binds with SO_REUSEPORT, so a second server
 * handed a taken port would start and silently share it. Only LISTEN counts: right after a server
 * was killed its accepted connections linger (FIN_WAIT, TIME_WAIT) without stopping a restart on
 * the same port, and a bind-based check would wrongly call the port taken.
 */
export async function portIsFree(port: number): Promise<boolean> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) return false;
    }
  }
  return true;
}

/**
 * Polls until ShowCollections on 127.0.0.1:port answers Success (undefined), or returns why not by
 * `deadline` (or once `gone()` says the server died). A server that does not implement an RPC
 * answers `{}` through the SDK (its interceptor turns UNIMPLEMENTED into OK), so only a real
 * status counts. Each attempt uses a fresh client: the SDK connects in its constructor and every
 * later call of that client rethrows a failed connect.
 */
export async function waitForShowCollections(
  port: number, token: string | undefined, deadline: number, gone: () => boolean,
): Promise<string | undefined> {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (gone()) return `exited (last answer: ${last})`;
    if (await tcpOpen(port)) {
      const client = new MilvusClient({
        address: `${host}:${port}`,
        token,
        timeout: 5000,
        // grpc-js shares connections per address by default: one stuck on a failed attempt would stall the next.
        // Keepalive as the sink's (src/milvus/client.ts): the SDK's default 10 s pings go on after
        // closeConnection() and Milvus answers GOAWAY "too_many_pings", which grpc-js prints on stderr.
        channelOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 },
      });
      try {
        await client.connectPromise;
        const res = await client.showCollections();
        if (res.status?.error_code === 'Success') return undefined;
        last = JSON.stringify(res.status ?? res);
      } catch (err) {
        // After a kill/restart, Milvus 2.3.5 answers DEADLINE_EXCEEDED or "not ready" for a while.
        last = (err as Error).message;
      } finally {
        await client.closeConnection().catch(() => undefined);
      }
    } else {
      last = 'port not open yet';
    }
    await sleep(300);
  }
  return `timed out; last answer: ${last}`;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Direct children of `pid`, from /proc (Linux). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent pid; the command name before it may hold spaces.
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Children, grandchildren and so on of `pid`, nearest first. */
export function descendantPids(pid: number): number[] {
  const all: number[] = [];
  for (let level = childPids(pid); level.length > 0; level = level.flatMap(childPids)) all.push(...level);
  return all;
}

/** Waits until none of `pids` runs any more (zombies count as gone), or throws after `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs: number, what: string): Promise<void> {
  const running = (pid: number) => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (pids.some(running)) {
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pids.filter(running).join(', ')}) still running after ${timeoutMs} ms`);
    await sleep(100);
  }
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

/**
 * What a launcher returns for a server that stops on SIGTERM (both Lites): detached from the
 * caller's event loop, `stop` with a grace period, `kill` keeping the data dir.
 */
export function sigtermServer(engine: MilvusEngine, proc: ServerProcess, port: number, dataDir: string, stopGraceMs: number): MilvusServer {
  detach(proc.child);
  return {
    engine,
    uri: `http://${host}:${port}`,
    host,
    port,
    dataDir,
    pid: proc.child.pid!,
    stop: () => proc.stop('SIGTERM', stopGraceMs),
    kill: () => proc.kill(),
  };
}

