/**
 * How the API reaches the source and target a request names. Each request opens its own
 * connections and closes them before answering: the API keeps no connection (and no credential)
 * between requests. Tests may pass their own Connectors to createApp().
 */
import type { Sink, SourceReader } from '../core/contracts.ts';
import { openSource, openTarget } from '../cli/connections.ts';
import type { SourceConnectionInput, TargetConnectionInput } from './schemas/requests.ts';

export interface Connectors {
  source(c: SourceConnectionInput): SourceReader | Promise<SourceReader>;
  target(c: TargetConnectionInput): Promise<Sink>;
}

export const defaultConnectors: Connectors = {
  source: (c) => openSource({ url: c.url, apiKey: c.apiKey, transport: 'rest' }),
  target: (c) => openTarget({ uri: c.uri, token: c.token, database: c.database ?? 'default' }),
};

/** Runs `fn` with a checked source reader (check() first: it names a wrong URL or key). */
export async function withSource<T>(connectors: Connectors, c: SourceConnectionInput, fn: (reader: SourceReader, version: string) => Promise<T>): Promise<T> {
  const reader = await connectors.source(c);
  try {
    const { version } = await reader.check();
    return await fn(reader, version);
  } finally {
    await reader.close().catch(() => undefined);
  }
}

export async function withTarget<T>(connectors: Connectors, c: TargetConnectionInput, fn: (sink: Sink) => Promise<T>): Promise<T> {
  const sink = await connectors.target(c);
  try {
    return await fn(sink);
  } finally {
    await sink.close().catch(() => undefined);
  }
}

export function withBoth<T>(connectors: Connectors, s: SourceConnectionInput, t: TargetConnectionInput, fn: (reader: SourceReader, sink: Sink) => Promise<T>): Promise<T> {
  return withSource(connectors, s, (reader) => withTarget(connectors, t, (sink) => fn(reader, sink)));
}
