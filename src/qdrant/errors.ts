/**
 * The source's user-facing errors, in one place so REST and gRPC say the same thing for the same
 * mistake. Messages name the endpoint (never the API key) and the reason; `fix` says what to do.
 * Classification uses status codes, gRPC codes and Node error codes, never message text.
 */
import { configError, MigrationError, systemError, transientError } from '../core/errors.ts';

/** Endpoint for messages: no userinfo, no trailing slash. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/** Node / undici / OpenSSL error codes along an error's cause chain (outermost first). */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 6 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if ((e as { name?: unknown }).name === 'TimeoutError') codes.push('TIMEOUT');
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  TIMEOUT: 'no answer in time',
};
/** The peer answered with something that is not what we spoke (wrong port or protocol). */
const PROTOCOL_MISMATCH = /^(HPE_|ERR_HTTP2_|UND_ERR_SOCKET$|ECONNRESET$|EPIPE$|ERR_SSL_)/;
const TLS_NOT_SPOKEN = /^(ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|ERR_SSL_HTTP_REQUEST|EPROTO)$/;
const TLS_CERT = /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_(GET|VERIFY)/;

export const unreachableReason = (error: unknown): string | undefined =>
  errorCodes(error).map((c) => UNREACHABLE[c]).find((r) => r !== undefined);
export const isProtocolMismatch = (error: unknown): boolean => errorCodes(error).some((c) => PROTOCOL_MISMATCH.test(c));
export const isTlsNotSpoken = (error: unknown): boolean => errorCodes(error).some((c) => TLS_NOT_SPOKEN.test(c));
export const tlsCertCode = (error: unknown): string | undefined => errorCodes(error).find((c) => TLS_CERT.test(c));

const PORT_HINT = "Qdrant's REST port is usually 6333 and its gRPC port 6334.";

export const sourceErrors = {
  unreachable: (url: string, reason: string, cause?: unknown) =>
    configError(
      'SOURCE_UNREACHABLE',
      `Cannot reach Qdrant at ${displayUrl(url)}: ${reason}.`,
      `Check the host and port and that Qdrant runs and is reachable from here (firewall, VPN). ${PORT_HINT}`,
      cause,
    ),
  grpcPortForRest: (url: string, cause?: unknown) =>
    configError(
      'SOURCE_GRPC_PORT_FOR_REST',
      `${displayUrl(url)} looks like Qdrant's gRPC port: it speaks HTTP/2 gRPC only, not the REST API; the REST port is usually 6333.`,
      'Point the URL at the REST port (usually 6333), or choose the gRPC transport for this port.',
      cause,
    ),
  restPortForGrpc: (grpcUrl: string, cause?: unknown) =>
    configError(
      'SOURCE_REST_PORT_FOR_GRPC',
      `${displayUrl(grpcUrl)} looks like Qdrant's REST port, not its gRPC port; the gRPC port is usually 6334.`,
      'Set the gRPC port to the one Qdrant serves gRPC on (usually 6334), or use the REST transport.',
      cause,
    ),
  expectsHttp: (url: string, cause?: unknown) =>
    configError(
      'SOURCE_EXPECTS_HTTP',
      `${displayUrl(url)} speaks plain HTTP, but the URL asks for https:// (TLS handshake failed: wrong version number).`,
      `Use http://${new URL(url).host} for this server, or enable TLS on it.`,
      cause,
    ),
  expectsHttps: (url: string, cause?: unknown) =>
    configError(
      'SOURCE_EXPECTS_HTTPS',
      `${displayUrl(url)} speaks HTTPS (TLS), but the URL asks for plain http://.`,
      `Use https://${new URL(url).host}.`,
      cause,
    ),
  tlsCert: (url: string, code: string, cause?: unknown) =>
    configError(
      'SOURCE_TLS_CERTIFICATE',
      `The TLS certificate of ${displayUrl(url)} is not trusted (${code}).`,
      'Use a certificate from a trusted CA, or point NODE_EXTRA_CA_CERTS at the CA file that signed it.',
      cause,
    ),
  unauthorized: (url: string, keyGiven: boolean, cause?: unknown) =>
    configError(
      'SOURCE_UNAUTHORIZED',
      `Qdrant at ${displayUrl(url)} answered 401 Unauthorized: ${
        keyGiven ? 'the API key was not accepted' : 'it requires an API key and none was given'
      }.`,
      'Give the API key (or JWT) of this Qdrant cluster; a read-only key is enough for the source.',
      cause,
    ),
  forbidden: (url: string, what: string, cause?: unknown) =>
    configError(
      'SOURCE_FORBIDDEN',
      `Qdrant at ${displayUrl(url)} answered 403 Forbidden to ${what}: the API key lacks access (e.g. a JWT restricted to other collections).`,
      'Use a key that may read every collection you migrate (a read-only key is enough).',
      cause,
    ),
  notQdrant: (url: string, what: string, cause?: unknown) =>
    configError(
      'SOURCE_NOT_QDRANT',
      `${displayUrl(url)} answered, but it is not Qdrant (${what}).`,
      `Check the host and port. ${PORT_HINT}`,
      cause,
    ),
  protocol: (url: string, cause?: unknown) =>
    configError(
      'SOURCE_PROTOCOL_MISMATCH',
      `${displayUrl(url)} closed the connection or answered in a protocol we did not expect (wrong port, or http/https mixed up?).`,
      `Check the scheme and port. ${PORT_HINT}`,
      cause,
    ),
  collectionNotFound: (url: string, name: string, available?: string[]) =>
    configError(
      'SOURCE_COLLECTION_NOT_FOUND',
      `Collection "${name}" does not exist in Qdrant at ${displayUrl(url)}.` +
        (available ? ` Available: ${available.length ? available.join(', ') : '(none)'}.` : ''),
      'Pick one of the available collections (names are case-sensitive).',
    ),
  /** Network failure during normal operation: the server was fine at check(), so probably passing. */
  connection: (url: string, cause: unknown) =>
    transientError('SOURCE_CONNECTION', `Connection to Qdrant at ${displayUrl(url)} failed (${errorCodes(cause)[0] ?? 'network error'}).`, cause),
  /** HTTP 429 / gRPC RESOURCE_EXHAUSTED: the server is up and asks us to slow down. */
  rateLimited: (url: string, status: string, cause?: unknown, retryAfterSeconds?: number) =>
    transientError('SOURCE_RATE_LIMITED', `Qdrant at ${displayUrl(url)} is rate-limiting requests (${status}).`, cause, retryAfterSeconds),
  unavailable: (url: string, status: string, cause?: unknown, retryAfterSeconds?: number) =>
    transientError('SOURCE_UNAVAILABLE', `Qdrant at ${displayUrl(url)} is unavailable or overloaded (${status}).`, cause, retryAfterSeconds),
  rejected: (url: string, what: string, detail: string, cause?: unknown) =>
    systemError('SOURCE_REQUEST_REJECTED', `Qdrant at ${displayUrl(url)} rejected ${what}: ${detail}`, cause),
  badResponse: (url: string, detail: string, cause?: unknown) =>
    systemError('SOURCE_BAD_RESPONSE', `Unexpected answer from Qdrant at ${displayUrl(url)}: ${detail}`, cause),
};

/** Parses Retry-After: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export const isNotFound = (e: unknown): e is MigrationError =>
  e instanceof MigrationError && e.code === 'SOURCE_COLLECTION_NOT_FOUND';
