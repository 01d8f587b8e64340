/**
 * The default transport: gRPC when Qdrant's gRPC port answers, REST (with a warning) when it does
 * not. gRPC is the default because it measured faster (docs/performance.md: 3-5x the points per
 * second of REST JSON for 768-d points, 1.5x for `rich`, at a third to a sixth of the client CPU);
 * REST stays the fallback because some deployments expose only the REST port (a proxy, a firewall).
 *
 * Only "nothing speaks gRPC there" falls back: a gRPC server that refuses the key or the TLS setup
 * is answered over gRPC, so its error is the one the user sees, never hidden behind REST.
 */
import { displayUrl } from './errors.ts';
import { speaksGrpc } from './probe.ts';
import type { CollectionConfig, QdrantTransport, ScrollRequest, ScrollResult } from './transport.ts';
import type { Point, PointId } from '../core/types.ts';
import type { SourceAlias } from '../core/contracts.ts';

export type TransportKind = 'rest' | 'grpc';

/** The gRPC address for a Qdrant URL: its scheme and host, with the gRPC port. */
export function grpcAddress(url: string, grpcPort = 6334): string {
  const u = new URL(url);
  u.port = String(grpcPort);
  return `${u.protocol}//${u.host}`;
}

const choices = new Map<string, Promise<TransportKind>>();

/**
 * The gRPC port to try: the one given, else Qdrant's 6334 when the REST URL uses Qdrant's 6333
 * (or no port: a proxy in front of a standard install). A REST URL on another port means a custom
 * layout (a mapped container port, a test server) where 6334 may be some other server entirely.
 */
function grpcPortToTry(url: string, grpcPort: number | undefined): number | undefined {
  if (grpcPort !== undefined) return grpcPort;
  const port = new URL(url).port;
  return port === '' || port === '6333' ? 6334 : undefined;
}

/**
 * gRPC if something speaks gRPC at the URL's host on the gRPC port, else REST with a warning.
 * Probed once per address and process (the CLI asks again when it records the job), so the
 * warning shows once.
 */
export function chooseTransport(url: string, grpcPort: number | undefined, warn: (message: string) => void): Promise<TransportKind> {
  const port = grpcPortToTry(url, grpcPort);
  const key = port === undefined ? url : grpcAddress(url, port);
  let choice = choices.get(key);
  if (!choice) {
    if (port === undefined) {
      warn(`${displayUrl(url)} is not on Qdrant's REST port 6333, so its gRPC port is unknown; reading over REST, which is slower. Pass --source-grpc-port to read over gRPC, or --source-rest to silence this warning.`);
      choice = Promise.resolve('rest');
    } else {
      const address = grpcAddress(url, port);
      choice = speaksGrpc(address).then((ok) => {
        if (ok) return 'grpc';
        warn(
          `Qdrant gRPC does not answer at ${new URL(address).host}; reading over REST instead, which is slower. ` +
            'Open the gRPC port, pass --source-grpc-port if gRPC listens elsewhere, or pass --source-rest to silence this warning.',
        );
        return 'rest';
      });
    }
    choices.set(key, choice);
  }
  return choice;
}

/** Delegates every call to the transport chooseTransport picks, deciding on the first call. */
export class AutoTransport implements QdrantTransport {
  private picked: Promise<QdrantTransport> | undefined;
  private current: QdrantTransport | undefined;

  constructor(
    private readonly options: { url: string; grpcPort?: number; warn: (message: string) => void },
    private readonly make: (kind: TransportKind) => QdrantTransport,
  ) {}

  get endpoint(): string {
    return this.current?.endpoint ?? displayUrl(this.options.url);
  }

  private pick(): Promise<QdrantTransport> {
    this.picked ??= chooseTransport(this.options.url, this.options.grpcPort, this.options.warn).then((kind) => {
      this.current = this.make(kind);
      return this.current;
    });
    return this.picked;
  }

  async check(): Promise<{ version: string }> {
    return (await this.pick()).check();
  }

  async listCollections(signal?: AbortSignal): Promise<string[]> {
    return (await this.pick()).listCollections(signal);
  }

  async collectionConfig(collection: string, signal?: AbortSignal): Promise<CollectionConfig> {
    return (await this.pick()).collectionConfig(collection, signal);
  }

  async count(collection: string, options?: { lackingVector?: string | string[]; signal?: AbortSignal }): Promise<number> {
    return (await this.pick()).count(collection, options);
  }

  async scroll(request: ScrollRequest): Promise<ScrollResult> {
    return (await this.pick()).scroll(request);
  }

  async retrieve(collection: string, ids: PointId[], signal?: AbortSignal, options?: { withVectors?: boolean; packedVectors?: boolean }): Promise<Point[]> {
    return (await this.pick()).retrieve(collection, ids, signal, options);
  }

  async sample(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]> {
    return (await this.pick()).sample(collection, limit, signal);
  }

  async listAliases(signal?: AbortSignal): Promise<SourceAlias[]> {
    return (await this.pick()).listAliases(signal);
  }

  async close(): Promise<void> {
    await this.current?.close();
  }
}
