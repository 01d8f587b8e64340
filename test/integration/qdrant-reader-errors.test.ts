/**
 * Connection mistakes a user makes, and the error check() answers with, over REST and gRPC:
 * nothing listening, no answer, unknown host, the other protocol's port, http vs https, a server
 * that is not Qdrant, a missing/wrong API key (401) and a key without access (403).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MigrationError } from '../../src/core/errors.ts';
import { createQdrantReader, type QdrantReaderOptions } from '../../src/qdrant/index.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { SERVER_ONLY, TRANSPORTS, type Transport } from '../helpers/qdrant-source.ts';

const REAL = process.env.QDRANT_URL;
const KEY = 'k3y-that-must-never-be-echoed';
const READ_ONLY_KEY = 'read-0nly-key-value';

const listen = (server: net.Server) => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
const sockets = new Set<net.Socket>();
const track = (server: net.Server) => server.on('connection', (s: net.Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s))));

let secured: QdrantTestServer;
let closedPort: number;
let hangingPort: number;
let notQdrantPort: number;
let httpsPort: number | undefined;
let proxyPort: number | undefined;
const servers: net.Server[] = [];
let certDir: string | undefined;

/** A self-signed cert via the openssl CLI; undefined (tests skipped, reason printed) without it. */
function selfSigned(): { key: Buffer; cert: Buffer } | undefined {
  try {
    certDir = mkdtempSync(join(tmpdir(), 'q2m-cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'k.pem'), '-out', join(certDir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(join(certDir, 'k.pem')), cert: readFileSync(join(certDir, 'c.pem')) };
  } catch {
    return undefined;
  }
}

// Made at load time: `skip` options are evaluated when tests are declared, before `before` runs.
const tls = selfSigned();

before(async () => {
  secured = await startQdrantTestServer({ port: 0, grpcPort: 0, apiKey: KEY, readOnlyApiKey: READ_ONLY_KEY });
  const closed = net.createServer();
  closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  const hanging = track(net.createServer(() => undefined));
  hangingPort = await listen(hanging);
  const other = track(http.createServer((_q, s) => s.setHeader('content-type', 'application/json').end('{"title":"some other service"}')));
  notQdrantPort = await listen(other);
  servers.push(hanging, other);
  if (tls) {
    const secure = track(https.createServer(tls, (_q, s) => s.setHeader('content-type', 'application/json').end('{"title":"qdrant - vector search engine","version":"1.19.0"}')));
    httpsPort = await listen(secure);
    // Like nginx: TLS on the port, and a plain-HTTP request answered "400 plain HTTP sent to HTTPS port".
    const proxy = track(
      net.createServer({ pauseOnConnect: true }, (socket) =>
        socket.once('readable', () => {
          const first = socket.read(1) as Buffer | null;
          if (!first) return void socket.destroy();
          socket.unshift(first);
          if (first[0] === 0x16) secure.emit('connection', socket);
          else socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nConnection: close\r\n\r\nThe plain HTTP request was sent to HTTPS port');
        }),
      ),
    );
    proxyPort = await listen(proxy);
    servers.push(secure, proxy);
  }
});

after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await secured.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

/** Runs check() with the transport's view of "host:port": REST takes it from the URL, gRPC from grpcPort. */
function check(transport: Transport, url: string, port: number, extra: Partial<QdrantReaderOptions> = {}) {
  const u = new URL(url);
  if (transport === 'rest') u.port = String(port);
  const reader = createQdrantReader({ url: u.toString(), transport, grpcPort: port, timeoutMs: 2000, ...extra });
  return reader.check().finally(() => reader.close());
}

async function expectError(p: Promise<unknown>, code: string, mention?: RegExp): Promise<void> {
  let caught: unknown;
  await p.then(
    () => assert.fail(`expected ${code}, but check() passed`),
    (e: unknown) => (caught = e),
  );
  assert.ok(caught instanceof MigrationError, `not a MigrationError: ${String(caught)}`);
  assert.equal(caught.code, code, caught.describe());
  assert.equal(caught.kind, 'config');
  assert.ok(caught.fix, 'says how to fix it');
  if (mention) assert.match(caught.describe(), mention);
  assert.ok(!caught.describe().includes(KEY) && !caught.describe().includes(READ_ONLY_KEY), 'never echoes the key');
  console.log(`#   ${caught.code}: ${caught.describe()}`);
}

const realPorts = () => {
  const u = new URL(REAL!);
  return { url: REAL!, rest: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), grpc: Number(process.env.QDRANT_GRPC_PORT ?? 6334) };
};

for (const transport of TRANSPORTS) {
  describe(`check() over ${transport} names the connection mistake`, () => {
    const local = 'http://127.0.0.1';
    const restPort = () => (REAL ? realPorts().rest : secured.port);
    const grpcPort = () => (REAL ? realPorts().grpc : secured.grpcPort!);
    const base = () => (REAL ? realPorts().url : secured.restUrl);
    const apiKey = () => (REAL ? process.env.QDRANT_API_KEY : KEY);

    it('nothing listens on the port', () => expectError(check(transport, local, closedPort), 'SOURCE_UNREACHABLE', /connection refused/));
    it('the server accepts but never answers', () => expectError(check(transport, local, hangingPort, { timeoutMs: 400 }), 'SOURCE_UNREACHABLE', /no answer in time/));
    it('the host name does not resolve', () => expectError(check(transport, 'http://no-such-host.invalid', 6333), 'SOURCE_UNREACHABLE', /host name/));

    it(transport === 'rest' ? 'the REST URL points at the gRPC port' : 'the gRPC port is the REST port', () =>
      transport === 'rest'
        ? expectError(check('rest', base(), grpcPort(), { apiKey: apiKey() }), 'SOURCE_GRPC_PORT_FOR_REST', /gRPC port.*6333/)
        : expectError(check('grpc', base(), restPort(), { apiKey: apiKey() }), 'SOURCE_REST_PORT_FOR_GRPC', /REST port.*6334/),
    );

    it('https:// against a plain-HTTP server', { skip: REAL?.startsWith('https:') ? 'QDRANT_URL is https' : false }, () => {
      const port = transport === 'rest' ? restPort() : grpcPort();
      return expectError(check(transport, base().replace(/^http:/, 'https:'), port, { apiKey: apiKey() }), 'SOURCE_EXPECTS_HTTP', /http:\/\//);
    });

    it('http:// against an HTTPS server', { skip: tls === undefined && 'needs the openssl CLI for a test certificate' }, () =>
      expectError(check(transport, local, httpsPort!), 'SOURCE_EXPECTS_HTTPS', /https:\/\//),
    );

    it('http:// against a TLS proxy that answers plain HTTP with 400 (nginx)', { skip: tls === undefined && 'needs the openssl CLI for a test certificate' }, () =>
      expectError(check(transport, local, proxyPort!), 'SOURCE_EXPECTS_HTTPS', /https:\/\//),
    );

    it('a server that is not Qdrant', () => expectError(check(transport, local, notQdrantPort), 'SOURCE_NOT_QDRANT', /not Qdrant/));

    it('no API key, then a wrong one: 401', { skip: SERVER_ONLY }, async () => {
      const port = transport === 'rest' ? secured.port : secured.grpcPort!;
      await expectError(check(transport, local, port), 'SOURCE_UNAUTHORIZED', /none was given/);
      await expectError(check(transport, local, port, { apiKey: `${KEY}-typo` }), 'SOURCE_UNAUTHORIZED', /not accepted/);
    });

    it('a read-only key is enough for the source', { skip: SERVER_ONLY }, async () => {
      const port = transport === 'rest' ? secured.port : secured.grpcPort!;
      assert.match((await check(transport, local, port, { apiKey: READ_ONLY_KEY })).version, /^1\./);
    });

    it('a key without access: 403', { skip: SERVER_ONLY }, async () => {
      const port = transport === 'rest' ? secured.port : secured.grpcPort!;
      secured.faults.configure({ rules: [{ route: transport === 'rest' ? 'GET /collections' : 'GRPC /qdrant.Collections/List', errorRate: 1, errorStatus: 403 }] });
      try {
        await expectError(check(transport, local, port, { apiKey: KEY }), 'SOURCE_FORBIDDEN', /403/);
      } finally {
        secured.faults.clear();
      }
    });
  });
}
