/**
 * Connecting to the target: one MilvusClient per sink, checked with GetVersion and a database probe
 * before anything else runs, so a wrong URI, token or database fails fast as a config error.
 */
import { splitUserinfo, userinfoSecrets } from '../core/url-credentials.ts';
import { MilvusClient, promisify } from '@zilliz/milvus2-sdk-node';
import { MigrationError, configError, redact } from '../core/errors.ts';
import { isMilvusLite } from './capabilities.ts';
import { shareSdkServiceClasses } from './sdk-lazy.ts';
import { RawGrpcClient } from '../transcode/grpc-raw.ts';
import { Grpc, databaseMissing, fromThrown, grpcCode, Merr, statusFailed, type ErrorContext, type MilvusStatus } from './errors.ts';

export interface MilvusConnectOptions {
  /** `http://host:19530`, `https://…zillizcloud.com`, or `host:port`. */
  uri: string;
  /** `user:password` or an API key. Never logged, never put in an error. */
  token?: string;
  /** Default `default`. */
  database?: string;
  /** Per-RPC deadline in ms. Default 120 000 (a 16 MB upsert on a busy cluster can take a while). */
  timeoutMs?: number;
  /** Client-side cap on one gRPC message in bytes, for proxies with a lower limit than Milvus.
   *  Default: none (the server's limit applies). A request above it is split like one the server refused. */
  maxMessageBytes?: number;
}

export interface MilvusConnection {
  client: MilvusClient;
  /** As GetVersion reports it, e.g. `v2.6.4` or `milvus_lite-3.2.2`; undefined when the server does
   *  not implement GetVersion (Milvus Lite 2.5.1). */
  version: string | undefined;
  /** Milvus Lite 3.x (it says so in GetVersion): writes to one collection must be serialised, and
   *  its status codes are its own, not merr codes. */
  lite: boolean;
  uri: string;
  database: string;
  /** For messages: `uri` + database, no secret. */
  describe(collection?: string): string;
  /** What to call SDK methods with, for error mapping. */
  ctx(op: string, collection?: string): ErrorContext;
  /**
   * Our own gRPC client (grpc-raw.ts, on its own HTTP/2 connection over a socket) for the Upsert /
   * Insert requests (raw-call.ts), made on first use; undefined where the SDK's channel must carry
   * them: TLS (https://), a gRPC or HTTP proxy in the environment (grpc-js honours grpc_proxy /
   * https_proxy / http_proxy, this client does not), a client-side message cap (maxMessageBytes:
   * grpc-js enforces it).
   */
  rawWrites(): RawGrpcClient | undefined;
  close(): Promise<void>;
}

/** Proxy variables grpc-js reads (http_proxy.ts): with any of them set, writes stay on its channel. */
const PROXY_VARIABLES = ['grpc_proxy', 'https_proxy', 'http_proxy', 'GRPC_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY'];

/**
 * The origin our own HTTP/2 client can reach the target at with what the SDK would send: plaintext
 * only (`http://host:port` or `host:port`), no proxy, no message cap; else undefined.
 */
export function rawWriteOrigin(uri: string, opts: { maxMessageBytes?: number }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (opts.maxMessageBytes) return undefined;
  if (PROXY_VARIABLES.some((v) => env[v])) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http') return undefined;
  let url: URL;
  try {
    url = new URL(scheme ? uri : `http://${uri}`);
  } catch {
    return undefined;
  }
  // Without a port the SDK connects to what grpc-js makes of the bare host: leave that to it.
  if (!url.port || url.username || url.password) return undefined;
  return `http://${url.host}`;
}

export async function connectMilvus(opts: MilvusConnectOptions): Promise<MilvusConnection> {
  const database = opts.database || 'default';
  // `user:password@` in the URI is the token when none is given (the SDK would not parse it out).
  const { url: uri, userinfo } = splitUserinfo(opts.uri);
  const token = opts.token ?? userinfo;
  const secrets = [...secretsOf(token), ...userinfoSecrets(opts.uri)];
  const shown = redact(uri, secrets);
  const where = `Milvus at ${shown} (database ${database})`;
  shareSdkServiceClasses();
  const client = new MilvusClient({
    address: uri,
    token,
    database,
    timeout: opts.timeoutMs ?? 120_000,
    ssl: uri.startsWith('https://'),
    // The engine retries transient errors with backoff; the SDK's own retries would multiply them.
    maxRetries: 1,
    logLevel: 'error',
    // No client telemetry heartbeats: Milvus Lite does not implement them, and we send nothing extra.
    telemetry: { enabled: false },
    channelOptions: {
      // grpc-js backs reconnects off up to 120 s: after a 20 s target restart the channel would sit
      // idle for ~25 s more while our retries fail fast. 5 s caps how late we notice it is back.
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5000,
      // The SDK pings every 10 s even when idle; gRPC servers with default settings (Milvus Lite's
      // Python server) answer that with GOAWAY "too_many_pings". Deadlines catch dead peers anyway.
      'grpc.keepalive_time_ms': 300_000,
      'grpc.keepalive_permit_without_calls': 0,
      ...(opts.maxMessageBytes ? { 'grpc.max_send_message_length': opts.maxMessageBytes } : {}),
    },
  });
  // The SDK connects in its constructor; GetVersion below awaits and reports that outcome.
  client.connectPromise.catch(() => undefined);
  let version: string | undefined;
  try {
    // An RPC the server does not implement comes back from the SDK as an OK answer of `{}` (its
    // retry interceptor rewrites UNIMPLEMENTED), so "no status" means the RPC is missing.
    const res = (await client.getVersion()) as { version?: string; status?: MilvusStatus };
    if (statusFailed(res.status)) throw res.status;
    version = res.status ? res.version || undefined : undefined;
    await checkDatabase(client, database, where, shown);
  } catch (e) {
    await client.closeConnection().catch(() => undefined);
    throw connectError(e, where, secrets);
  }
  const lite = isMilvusLite(version);
  const rawOrigin = rawWriteOrigin(uri, opts);
  // The headers the SDK's metadata interceptor adds to every call (its getAuthString and database).
  const rawHeaders: Record<string, string> = { dbname: database, ...(token ? { authorization: Buffer.from(token, 'utf8').toString('base64') } : {}) };
  let raw: RawGrpcClient | undefined;
  const conn: MilvusConnection = {
    client,
    version,
    lite,
    uri,
    database,
    describe: (collection) => (collection ? `collection ${collection} in ${where}` : where),
    ctx: (op, collection) => ({ op, target: conn.describe(collection), secrets, lite }),
    rawWrites: () => (rawOrigin ? (raw ??= new RawGrpcClient(rawOrigin, rawHeaders)) : undefined),
    close: async () => {
      raw?.close();
      raw = undefined;
      await client.closeConnection().catch(() => undefined);
    },
  };
  return conn;
}

/** The token and the forms it travels in (base64 in the authorization header), for redaction. */
export function secretsOf(token: string | undefined): string[] {
  if (!token) return [];
  return [token, Buffer.from(token, 'utf8').toString('base64'), ...token.split(':').slice(1)];
}

/**
 * ShowCollections fails when the database is missing (GetVersion does not look at it). Every Milvus
 * build implements it, so an answer without a status (UNIMPLEMENTED, see above) means the URI points
 * at some other gRPC server, e.g. Qdrant's gRPC port.
 */
async function checkDatabase(client: MilvusClient, database: string, where: string, shown: string): Promise<void> {
  // Raw: the SDK's showCollections() post-processes the answer and crashes on `{}` ("reading 'forEach'").
  const res = (await promisify(client.channelPool, 'ShowCollections', { db_name: database }, client.timeout)) as { status?: MilvusStatus };
  if (!res.status) throw notMilvus(shown);
  if (res.status.code === Merr.databaseNotFound) throw databaseMissing(where, res.status);
  if (database !== 'default') await checkDatabasesExist(client, where);
  // Milvus Lite answers an unknown database with code 1 (not 800): confirm with ListDatabases,
  // which Milvus Lite 2.5 does not implement (no status: no confirmation either way).
  if (statusFailed(res.status)) {
    const dbs = await client.listDatabases().catch(() => undefined);
    if (dbs?.status && !statusFailed(dbs.status) && !(dbs.db_names ?? []).includes(database)) throw databaseMissing(where, res.status);
    throw res.status;
  }
}

/**
 * Milvus Lite 2.5.1 implements neither ListDatabases nor CreateDatabase and answers every db_name
 * from one namespace: a job for database `x` would silently write into `default`. No ListDatabases
 * answer means no databases.
 */
async function checkDatabasesExist(client: MilvusClient, where: string): Promise<void> {
  const dbs = (await promisify(client.channelPool, 'ListDatabases', {}, client.timeout)) as { status?: MilvusStatus };
  if (dbs.status) return;
  throw configError(
    'TARGET_DATABASE_UNSUPPORTED',
    `${where}: this target has no databases (it does not implement ListDatabases), so every database name means the same one.`,
    'Use the default database (leave --target-db / MILVUS_DB unset), or migrate to a Milvus with databases (2.2.9 or later).',
  );
}

/** `uri` already redacted. */
export function notMilvus(uri: string, cause?: unknown): MigrationError {
  return configError(
    'TARGET_NOT_MILVUS',
    `${uri} is not a Milvus server: it answers gRPC but does not implement the Milvus service.`,
    'Point the target URI at Milvus\'s gRPC port (19530 by default; Zilliz Cloud: the https://…:443 endpoint), not at Qdrant or another service.',
    cause,
  );
}

function connectError(e: unknown, where: string, secrets: string[]): MigrationError {
  if (e instanceof MigrationError) return e;
  const code = grpcCode(e);
  if (code === Grpc.UNAVAILABLE || code === Grpc.DEADLINE_EXCEEDED) {
    return configError(
      'TARGET_UNREACHABLE',
      `Cannot reach ${where}.`,
      'Check the URI (scheme, host, port: Milvus gRPC listens on 19530; Zilliz Cloud needs https://…:443; an HTTP-only server such as Qdrant\'s REST port also ends here), that the server is running, and that no firewall blocks it.',
      e,
    );
  }
  const status = e as { code?: number; error_code?: string };
  if (code === Grpc.UNAUTHENTICATED || code === Grpc.PERMISSION_DENIED || [1400, 1401, 1800].includes(status.code ?? -1)) {
    return configError(
      'TARGET_AUTH',
      `${where} refused the token.`,
      'Pass a valid token: `user:password` for Milvus with authentication on, or an API key for Zilliz Cloud.',
      e,
    );
  }
  if (typeof status.code === 'number' && code === undefined) {
    const reason = (e as { reason?: string }).reason ?? '';
    return configError('TARGET_CHECK_FAILED', `${where} answered the connection check with an error: ${redact(reason, secrets)}`, undefined, e);
  }
  return fromThrown(e, { op: 'connect', target: where, secrets });
}
