/**
 * Turns a failed first contact into the config error that names the user's mistake.
 *
 * The raw failures are ambiguous (a parse error, a reset, a closed socket all look alike), so when
 * the cheap classification by error code is not conclusive we probe the same host:port and ask
 * what it speaks: TLS? gRPC over HTTP/2? Qdrant's REST API? The answer names the mistake.
 */
import { ConnectError, ConnectErrorCode as Code } from '@qdrant/js-client-grpc';
import type { MigrationError } from '../core/errors.ts';
import {
  isProtocolMismatch,
  isTlsNotSpoken,
  sourceErrors,
  tlsCertCode,
  unreachableReason,
} from './errors.ts';
import { isQdrantRoot, speaksGrpc, speaksTls, tryRestRoot, type RestRoot } from './probe.ts';

const isHttps = (url: string) => new URL(url).protocol === 'https:';
const withScheme = (url: string, scheme: 'http' | 'https') => url.replace(/^https?:/, `${scheme}:`);

/** REST: GET / failed at the network level. */
export async function diagnoseRestFailure(url: string, error: unknown): Promise<MigrationError> {
  if (isHttps(url) && isTlsNotSpoken(error)) {
    // https:// to a plain port: the plain port may be Qdrant's gRPC port rather than its REST one.
    if (await speaksGrpc(withScheme(url, 'http'))) return sourceErrors.grpcPortForRest(url, error);
    return sourceErrors.expectsHttp(url, error);
  }
  const cert = tlsCertCode(error);
  if (cert) return sourceErrors.tlsCert(url, cert, error);
  const reason = unreachableReason(error);
  if (reason) return sourceErrors.unreachable(url, reason, error);
  if (isProtocolMismatch(error)) {
    if (!isHttps(url) && (await speaksTls(url))) return sourceErrors.expectsHttps(url, error);
    if (await speaksGrpc(url)) return sourceErrors.grpcPortForRest(url, error);
    return sourceErrors.protocol(url, error);
  }
  return sourceErrors.unreachable(url, `network error (${(error as Error).message})`, error);
}

/** REST: GET / answered, but not like Qdrant (e.g. a proxy's "plain HTTP sent to HTTPS port"). */
export async function diagnoseRestAnswer(url: string, root: RestRoot): Promise<MigrationError> {
  if (!isHttps(url) && root.status === 400 && (await speaksTls(url))) return sourceErrors.expectsHttps(url);
  const title = root.title ? `, title "${root.title}"` : ', no "title" naming Qdrant';
  return sourceErrors.notQdrant(url, `GET / answered HTTP ${root.status}${title}`);
}

/** gRPC: the first call failed. `grpcUrl` is the scheme://host:grpcPort actually dialled. */
export async function diagnoseGrpcFailure(grpcUrl: string, error: unknown, keyGiven: boolean, step: string): Promise<MigrationError> {
  const code = error instanceof ConnectError ? error.code : undefined;
  if (code === Code.Unauthenticated) return sourceErrors.unauthorized(grpcUrl, keyGiven, error);
  if (code === Code.PermissionDenied) return sourceErrors.forbidden(grpcUrl, step, error);
  if (isHttps(grpcUrl) && isTlsNotSpoken(error)) {
    if (isQdrantRoot(await tryRestRoot(withScheme(grpcUrl, 'http')))) return sourceErrors.restPortForGrpc(grpcUrl, error);
    return sourceErrors.expectsHttp(grpcUrl, error);
  }
  const cert = tlsCertCode(error);
  if (cert) return sourceErrors.tlsCert(grpcUrl, cert, error);
  const reason = unreachableReason(error) ?? (code === Code.DeadlineExceeded ? 'no answer in time' : undefined);
  if (reason) return sourceErrors.unreachable(grpcUrl, reason, error);
  // Anything else (protocol error, UNIMPLEMENTED from an HTTP/2-capable REST server, ...): look.
  if (!isHttps(grpcUrl) && (await speaksTls(grpcUrl))) return sourceErrors.expectsHttps(grpcUrl, error);
  const root = await tryRestRoot(grpcUrl);
  if (isQdrantRoot(root)) return sourceErrors.restPortForGrpc(grpcUrl, error);
  if (root) return sourceErrors.notQdrant(grpcUrl, `it answers plain HTTP/1.1 (HTTP ${root.status}), not gRPC`, error);
  if (code === Code.Unimplemented) return sourceErrors.notQdrant(grpcUrl, 'it speaks gRPC but has no Qdrant service', error);
  if (isProtocolMismatch(error) || code === Code.Internal || code === Code.Unknown) return sourceErrors.protocol(grpcUrl, error);
  return sourceErrors.unreachable(grpcUrl, `gRPC error ${code === undefined ? '' : Code[code]}`.trim(), error);
}
