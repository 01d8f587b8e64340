/**
 * An S3-compatible server for the bulk-import tests (issue 14), in the launcher shape of
 * testkit/milvus/launcher.ts: free loopback port, ready check, stop, no orphans.
 *
 *   const s3 = await startS3();                  // moto, in memory, any credentials
 *   ... s3.endpoint, s3.accessKey, s3.secretKey, s3.port
 *   await s3.stop();
 *
 * Engines:
 *   moto   PyPI `moto[server]` (pinned in testkit/s3/requirements.txt, venv `.venv-s3` built on first
 *          use by testkit/python.ts): `moto_server -H 127.0.0.1 -p P`. Start ~1.5 s. Holds objects
 *          in memory: a kill loses them (crash tests kill the migration, not the S3 server).
 *   minio  a MinIO binary where one is present: `$MINIO_BIN server DIR --address 127.0.0.1:P`,
 *          credentials minioadmin/minioadmin. Nothing installs it (a Go build takes ~200 s and
 *          150 MB): tests that want it skip without MINIO_BIN.
 *
 * Both run through testkit/milvus/pdeathsig.py, so a SIGKILLed test runner leaves no server behind.
 * Ready: an unauthenticated GET / answers with any HTTP status (the server parses requests).
 */
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVenv } from '../python.ts';
import { detach, freePort, host, sleep, spawnServer, type ServerProcess } from '../milvus/process.ts';

export type S3Engine = 'moto' | 'minio';

export interface S3Options {
  /** Default moto. */
  engine?: S3Engine;
  /** 0 or absent: a free port. */
  port?: number;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

export interface S3Server {
  engine: S3Engine;
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
  pid: number;
  /** SIGTERM, SIGKILL after 5 s; waits for exit. Idempotent. */
  stop(): Promise<void>;
}

const pdeathsig = join(dirname(fileURLToPath(import.meta.url)), '..', 'milvus', 'pdeathsig.py');

/** Whether a MinIO binary is available (MINIO_BIN). */
export function minioAvailable(): boolean {
  return Boolean(process.env.MINIO_BIN);
}

export async function startS3(opts: S3Options = {}): Promise<S3Server> {
  const engine = opts.engine ?? 'moto';
  const port = opts.port || (await freePort());
  let proc: ServerProcess;
  let accessKey = 'q2m-test-access';
  let secretKey = 'q2m-test-secret';
  if (engine === 'moto') {
    const venv = await ensureVenv('s3');
    proc = spawnServer(venv.python, [pdeathsig, venv.bin('moto_server'), '-H', host, '-p', String(port)], { dataDir: '', ownsDir: false });
  } else if (engine === 'minio') {
    const bin = process.env.MINIO_BIN;
    if (!bin) throw new Error('MinIO needs MINIO_BIN=/path/to/minio (build: GOFLAGS=-mod=mod go install github.com/minio/minio@latest)');
    const dataDir = await mkdtemp(join(tmpdir(), 'q2m-minio-'));
    accessKey = 'minioadmin';
    secretKey = 'minioadmin';
    const env = { MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey };
    const python = (await ensureVenv('s3')).python;
    proc = spawnServer(python, [pdeathsig, bin, 'server', dataDir, '--address', `${host}:${port}`, '--console-address', `${host}:${await freePort()}`], { dataDir, ownsDir: true, env });
  } else {
    throw new Error(`unknown S3 engine "${String(engine)}": use moto or minio`);
  }
  const failure = await Promise.race([
    proc.exited.then((how) => `exited early (${how})`),
    waitHttp(port, Date.now() + (opts.startTimeoutMs ?? 60_000)),
  ]);
  if (failure !== undefined) {
    await proc.stop('SIGKILL', 0);
    throw new Error(`${engine} S3 server on ${host}:${port} did not start: ${failure}\n--- output (tail) ---\n${proc.output()}`);
  }
  detach(proc.child);
  return {
    engine,
    endpoint: `http://${host}:${port}`,
    host,
    port,
    accessKey,
    secretKey,
    pid: proc.child.pid!,
    stop: () => proc.stop('SIGTERM', 5000),
  };
}

/** Resolves undefined once GET / gets any HTTP answer, else a reason at the deadline. */
async function waitHttp(port: number, deadline: number): Promise<string | undefined> {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const answer = await new Promise<string | undefined>((resolve) => {
      const req = request({ host, port, path: '/', method: 'GET', timeout: 2000 }, (res) => {
        res.resume();
        resolve(undefined);
      });
      req.on('error', (e) => resolve(e.message));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
    if (answer === undefined) return undefined;
    last = answer;
    await sleep(200);
  }
  return `no HTTP answer before the deadline (last: ${last})`;
}
