/**
 * Starts a real Milvus server for tests, demos and the test matrix (issue 9): one launcher shape
 * for every engine, so a test names a leg, not a command line.
 *
 *   const milvus = await startMilvus({ engine: 'lite25' });   // free port, fresh temp dir
 *   const client = new MilvusClient({ address: milvus.uri, token: milvus.token });
 *   ...
 *   await milvus.stop();                                         // graceful; SIGKILL after a grace period
 *
 * Engines (each from its own pinned, git-ignored venv built on first use by testkit/python.ts):
 *   lite3         Milvus Lite 3.2.2: a Python re-implementation of the protocol; the default target
 *                 of `npm test` and the demo (lite3.ts). Start ~1.3 s.
 *   lite25        Milvus Lite 2.5.1: Milvus's own C++ engine as one binary; FLAT only, no GetVersion
 *                 (lite25.ts). Start < 1 s.
 *   standalone23  Milvus 2.3.5 standalone: the real Go proxy, coordinators, nodes and embedded etcd;
 *                 one vector field, no sparse/float16; fixed internal ports, so ONE per machine
 *                 behind a machine-wide lock (standalone23.ts). Start 10-20 s, ~800 MB.
 *
 * `uri` is `http://127.0.0.1:PORT`: MilvusClient's `address` strips the scheme (plain gRPC, no TLS)
 * and pymilvus's `uri` wants the scheme, so one string serves both. Every engine binds loopback
 * only and dies with the process that started it (process.ts).
 */
import { startLite25 } from './lite25.ts';
import { startLite3 } from './lite3.ts';
import { startStandalone23 } from './standalone23.ts';

export type MilvusEngine = 'lite3' | 'lite25' | 'standalone23';
export const milvusEngines: readonly MilvusEngine[] = ['lite3', 'lite25', 'standalone23'];

export interface MilvusOptions {
  /** Default lite3. */
  engine?: MilvusEngine;
  /** 0 or absent: a free port (retried on another one if the bind races). */
  port?: number;
  /** Absent: a fresh temp dir, removed on stop. Given: kept, so a restart sees the same data. */
  dataDir?: string;
  /** standalone23 only: `--authorization-enabled true`; the server's token is then `root:Milvus`. */
  auth?: boolean;
  /** standalone23 only: keep segments and read bulk-import files in this S3 server instead of the
   *  local disk (`common.storageType=minio`); Milvus creates the bucket. Absent: local disk. */
  storage?: S3Storage;
  /** How long to wait for the server to answer (after the standalone23 lock is held).
   *  Default 60 s for the lites, 180 s for standalone23 (2 busy cores). */
  startTimeoutMs?: number;
}

/** An S3-compatible server (testkit/s3/launcher.ts) for Milvus's object storage. */
export interface S3Storage {
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** Default `a-bucket` (Milvus's own default). */
  bucket?: string;
  /** Object key prefix of Milvus's own files. Default `files` (Milvus's default rootPath). */
  rootPath?: string;
}

export interface MilvusServer {
  engine: MilvusEngine;
  /** `http://127.0.0.1:PORT`: pass as MilvusClient `address` (and pymilvus `uri`). */
  uri: string;
  /** Set when the server requires one (standalone23 with auth). */
  token?: string;
  host: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Graceful stop (SIGKILL after a grace period); waits for exit; removes a temp data dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (the whole server, no graceful shutdown), waits for exit; keeps the data dir: for crash
   *  tests, which then start the same engine on the same `dataDir` (and port) again. */
  kill(): Promise<void>;
}

/** @deprecated name kept for existing callers: the lite3 options and server. */
export type MilvusLiteOptions = Omit<MilvusOptions, 'engine' | 'auth'>;
export type MilvusLite = MilvusServer;

export function startMilvus(opts: MilvusOptions = {}): Promise<MilvusServer> {
  const engine = opts.engine ?? 'lite3';
  switch (engine) {
    case 'lite3':
      return startLite3(opts);
    case 'lite25':
      return startLite25(opts);
    case 'standalone23':
      return startStandalone23(opts);
    default:
      throw new Error(`unknown Milvus engine "${String(engine)}": use one of ${milvusEngines.join(', ')}`);
  }
}

/** Milvus Lite 3.2.2 (the lite3 engine): the default integration-test target. */
export function startMilvusLite(opts: MilvusLiteOptions = {}): Promise<MilvusServer> {
  return startLite3(opts);
}

export { freePort } from './process.ts';
