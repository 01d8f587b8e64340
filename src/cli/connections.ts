/**
 * Source and target connection flags, shared by every command. Environment variables stand in for
 * flags (QDRANT_URL, QDRANT_API_KEY, MILVUS_URI, MILVUS_TOKEN, MILVUS_DB); a flag wins.
 */
import type { Command } from 'commander';
import { checkEndpoint, SOURCE_ENDPOINT, TARGET_ENDPOINT } from '../core/endpoints.ts';
import { configError } from '../core/errors.ts';
import { intIn, nonBlank, oneOf } from './flags.ts';
import type { Sink, SourceReader } from '../core/contracts.ts';
// The Qdrant and Milvus clients are imported on first use: together they take ~1.4 s to load,
// which `jobs list`, `jobs cancel` and --help should not pay.

export interface SourceFlags {
  sourceUrl?: string;
  sourceApiKey?: string;
  sourceTransport?: 'rest' | 'grpc' | 'auto';
  sourceGrpc?: boolean;
  sourceRest?: boolean;
  sourceGrpcPort?: number;
}

export interface TargetFlags {
  targetUri?: string;
  targetToken?: string;
  targetDb?: string;
}

export interface SourceConnection {
  url: string;
  apiKey?: string;
  /** 'auto' (the default): gRPC when its port answers, else REST with a warning. */
  transport: 'rest' | 'grpc' | 'auto';
  grpcPort?: number;
}

export interface TargetConnection {
  uri: string;
  token?: string;
  database: string;
}

export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option('--source-url <url>', 'Qdrant REST endpoint, e.g. http://localhost:6333 (env QDRANT_URL)')
    .option('--source-api-key <key>', 'Qdrant API key (env QDRANT_API_KEY; prefer the env var: flags show in `ps`)')
    .option('--source-grpc', 'read the source over gRPC only (the default tries gRPC and falls back to REST with a warning)')
    .option('--source-rest', 'read the source over REST only')
    .option('--source-transport <auto|grpc|rest>', 'the same choice as one flag (default auto)', oneOf(['auto', 'grpc', 'rest'] as const))
    .option('--source-grpc-port <port>', 'Qdrant gRPC port, 1 to 65535 (env QDRANT_GRPC_PORT; default 6334)', intIn(1, 65535));
}

export function addTargetFlags(cmd: Command): Command {
  return cmd
    .option('--target-uri <uri>', 'Milvus / Zilliz Cloud URI, e.g. http://localhost:19530 (env MILVUS_URI)')
    .option('--target-token <token>', 'Milvus token `user:password` or Zilliz API key (env MILVUS_TOKEN)')
    .option('--target-db <name>', 'target database (env MILVUS_DB; default `default`)', nonBlank);
}

export function resolveSource(flags: SourceFlags, fallback?: { url: string }): SourceConnection {
  const url = flags.sourceUrl ?? process.env.QDRANT_URL ?? fallback?.url;
  if (!url?.trim()) throw configError('SOURCE_URL_MISSING', 'No Qdrant endpoint given.', 'Pass --source-url http://HOST:6333 or set QDRANT_URL.');
  const transport = transportOf(flags);
  const apiKey = flags.sourceApiKey ?? process.env.QDRANT_API_KEY ?? undefined;
  return { url: endpoint(url, SOURCE_ENDPOINT), apiKey: apiKey || undefined, transport, grpcPort: flags.sourceGrpcPort ?? grpcPortFromEnv() };
}

/** QDRANT_GRPC_PORT stands in for --source-grpc-port, checked like the flag. */
function grpcPortFromEnv(): number | undefined {
  const raw = process.env.QDRANT_GRPC_PORT;
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return intIn(1, 65535)(raw);
  } catch (e) {
    throw configError('SOURCE_GRPC_PORT_INVALID', `QDRANT_GRPC_PORT="${raw}" is not a port: ${(e as Error).message}`, 'Set QDRANT_GRPC_PORT to Qdrant\'s gRPC port (default 6334), or unset it.');
  }
}

function transportOf(flags: SourceFlags): SourceConnection['transport'] {
  const chosen = [flags.sourceGrpc && 'grpc', flags.sourceRest && 'rest', flags.sourceTransport].filter((t): t is string => Boolean(t));
  if (new Set(chosen).size > 1) {
    throw configError('SOURCE_TRANSPORT_INVALID', `Conflicting source transports: ${chosen.join(' and ')}.`, 'Pass one of --source-grpc, --source-rest.');
  }
  const transport = chosen[0] ?? 'auto';
  if (transport !== 'rest' && transport !== 'grpc' && transport !== 'auto') {
    throw configError('SOURCE_TRANSPORT_INVALID', `--source-transport must be auto, grpc or rest, not "${transport}".`, 'Use --source-grpc or --source-rest, or leave both out to try gRPC first.');
  }
  return transport;
}

/** The transport a job records: 'auto' is decided now (gRPC probed once, warning shown once). */
export async function concreteTransport(c: SourceConnection): Promise<'rest' | 'grpc'> {
  if (c.transport !== 'auto') return c.transport;
  const { chooseTransport } = await import('../qdrant/index.ts');
  return chooseTransport(c.url, c.grpcPort, (m) => process.stderr.write(`warning: ${m}\n`));
}

export function resolveTarget(flags: TargetFlags, fallback?: { uri: string; database: string }): TargetConnection {
  const uri = flags.targetUri ?? process.env.MILVUS_URI ?? fallback?.uri;
  if (!uri?.trim()) throw configError('TARGET_URI_MISSING', 'No Milvus / Zilliz Cloud URI given.', 'Pass --target-uri http://HOST:19530 or set MILVUS_URI.');
  const token = flags.targetToken ?? process.env.MILVUS_TOKEN ?? undefined;
  const database = flags.targetDb ?? (process.env.MILVUS_DB || fallback?.database || 'default');
  return { uri: endpoint(uri, TARGET_ENDPOINT), token: token || undefined, database };
}

/** The checked endpoint; a `host:port` without scheme is used as http:// and the user is told. */
function endpoint(raw: string, role: typeof SOURCE_ENDPOINT): string {
  const { url, notice } = checkEndpoint(raw, role);
  if (notice) process.stderr.write(`notice: ${notice}\n`);
  return url;
}

export async function openSource(c: SourceConnection): Promise<SourceReader> {
  const { createQdrantReader } = await import('../qdrant/index.ts');
  return createQdrantReader({ url: c.url, apiKey: c.apiKey, transport: c.transport, grpcPort: c.grpcPort });
}

export async function openTarget(c: TargetConnection): Promise<Sink> {
  const { createMilvusSink } = await import('../milvus/index.ts');
  return createMilvusSink({ uri: c.uri, token: c.token, database: c.database });
}

/** The secrets of a run, to scrub from anything printed. */
export function secretsOf(source?: SourceConnection, target?: TargetConnection): string[] {
  return [source?.apiKey, target?.token].filter((s): s is string => Boolean(s));
}
