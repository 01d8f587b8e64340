/**
 * The gRPC side of the Qdrant test server: `qdrant.Qdrant`, `qdrant.Collections` and `qdrant.Points`
 * served with @grpc/grpc-js from Qdrant's own 1.19 protos, over the same QdrantStore as REST.
 *
 * - Protos: `$QDRANT_PROTO_DIR`, else the vendored `testkit/qdrant/reference/qdrant-proto-1.19`. Loaded with `longs: String` so uint64 ids and int64 payload integers stay exact.
 * - Auth: the `api-key` metadata (or `authorization: Bearer …`), as Qdrant reads it. Missing or wrong
 *   → UNAUTHENTICATED; the read-only key on a write RPC → PERMISSION_DENIED. HealthCheck is open,
 *   as in Qdrant.
 * - Errors: QdrantApiError's HTTP status → gRPC code (404 NOT_FOUND, 400/422 INVALID_ARGUMENT, …).
 * - Faults: `faults.check("GRPC /qdrant.Points/Scroll")` before each call; 429 → RESOURCE_EXHAUSTED
 *   with `retry-after` metadata, 502/503/504 → UNAVAILABLE, other 5xx → INTERNAL, close → UNAVAILABLE.
 * - RPCs not implemented here answer UNIMPLEMENTED (grpc-js does that for absent handlers).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultController } from './faults.ts';
import { QdrantApiError, type QdrantStore } from './store.ts';
import {
  collectionsService, pointsService, qdrantService, type Access, type RpcSpec, type ServiceSpec,
} from './grpc-handlers.ts';
import type { Msg } from './grpc-values.ts';
import { PreEncoded } from './grpc-fast.ts';
import { responseType, withoutDefaults } from './grpc-presence.ts';

export interface GrpcServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1 (never bind wider in tests). */
  host?: string;
  /** When set, every call but HealthCheck must carry it (or readOnlyApiKey). */
  apiKey?: string;
  /** Grants read RPCs only. */
  readOnlyApiKey?: string;
  faults?: FaultController;
}

export interface GrpcServerHandle {
  port: number;
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function protoDir(): string {
  return process.env.QDRANT_PROTO_DIR ?? resolve(REPO_ROOT, 'testkit', 'qdrant', 'reference', 'qdrant-proto-1.19');
}

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
};

// Parsing the protos takes ~0.5 s; tests start many servers, so load once per directory.
const packages = new Map<string, grpc.GrpcObject>();

function loadQdrantPackage(dir: string): grpc.GrpcObject {
  let pkg = packages.get(dir);
  if (!pkg) {
    const def = protoLoader.loadSync('qdrant.proto', { ...LOADER_OPTIONS, includeDirs: [dir] });
    pkg = grpc.loadPackageDefinition(def).qdrant as grpc.GrpcObject;
    packages.set(dir, pkg);
  }
  return pkg;
}

/** The service as proto-loader defines it, except that a response already encoded (a Buffer,
 *  see grpc-fast.ts) is sent as it is, and others lose their proto3 defaults (grpc-presence.ts). */
function serviceDefinition(pkg: grpc.GrpcObject, name: string, dir: string): grpc.ServiceDefinition {
  const service = (pkg[name] as grpc.ServiceClientConstructor).service;
  return Object.fromEntries(
    Object.entries(service).map(([method, def]) => {
      const serialize = def.responseSerialize;
      const type = responseType(dir, name, method);
      return [method, { ...def, responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : serialize(withoutDefaults(type, v))) }];
    }),
  ) as grpc.ServiceDefinition;
}

/** QdrantApiError's HTTP status → the gRPC code Qdrant's tonic layer uses for it. */
export function grpcCodeForHttpStatus(status: number): grpc.status {
  if (status === 400 || status === 422) return grpc.status.INVALID_ARGUMENT;
  if (status === 401) return grpc.status.UNAUTHENTICATED;
  if (status === 403) return grpc.status.PERMISSION_DENIED;
  if (status === 404) return grpc.status.NOT_FOUND;
  if (status === 409) return grpc.status.ALREADY_EXISTS;
  if (status === 429) return grpc.status.RESOURCE_EXHAUSTED;
  if (status === 502 || status === 503 || status === 504) return grpc.status.UNAVAILABLE;
  return grpc.status.INTERNAL;
}

function statusError(code: grpc.status, details: string, metadata?: grpc.Metadata): Partial<grpc.StatusObject> {
  return { code, details, metadata: metadata ?? new grpc.Metadata() };
}

function presentedKey(md: grpc.Metadata): string | undefined {
  const key = md.get('api-key')[0];
  if (key !== undefined) return String(key);
  const auth = md.get('authorization')[0];
  return auth !== undefined ? String(auth).replace(/^Bearer\s+/i, '') : undefined;
}

/** Null when the call may proceed, else the status to answer. */
function authorize(opts: GrpcServerOptions, md: grpc.Metadata, access: Access): Partial<grpc.StatusObject> | null {
  if (access === 'open' || (opts.apiKey === undefined && opts.readOnlyApiKey === undefined)) return null;
  const key = presentedKey(md);
  if (key !== undefined && key === opts.apiKey) return null;
  if (key !== undefined && key === opts.readOnlyApiKey) {
    return access === 'read' ? null : statusError(grpc.status.PERMISSION_DENIED, 'Forbidden: Global manage access is required');
  }
  return statusError(grpc.status.UNAUTHENTICATED, key === undefined ? 'Must provide an API key or an Authorization bearer token' : 'Invalid API key or JWT');
}

async function faultStatus(
  faults: FaultController,
  path: string,
): Promise<Partial<grpc.StatusObject> | null> {
  const decision = await faults.check(`GRPC ${path}`);
  if (decision.kind === 'ok') return null;
  // Resetting the HTTP/2 stream or session was tried: the official JS client then reports INTERNAL
  // (RST_STREAM) or CANCELLED (session gone), never UNAVAILABLE, which is what a gRPC client sees
  // for a lost connection. So a "close" answers UNAVAILABLE directly, distinguishable by its text.
  if (decision.kind === 'close') return statusError(grpc.status.UNAVAILABLE, 'connection closed (injected fault)');
  if (decision.kind === 'absent') return statusError(grpc.status.UNIMPLEMENTED, `The server does not implement the method ${path}`);
  const md = new grpc.Metadata();
  if (decision.retryAfter !== undefined) md.set('retry-after', String(decision.retryAfter));
  const details = decision.status === 429 ? 'Too many requests (injected fault)' : `Service error ${decision.status} (injected fault)`;
  return statusError(grpcCodeForHttpStatus(decision.status), details, md);
}

function wrap(path: string, spec: RpcSpec, opts: GrpcServerOptions): grpc.handleUnaryCall<Msg, Msg> {
  return (call, callback) => {
    void (async () => {
      const started = process.hrtime.bigint();
      if (opts.faults) {
        const fault = await faultStatus(opts.faults, path);
        if (fault) return callback(fault);
      }
      const denied = authorize(opts, call.metadata, spec.access);
      if (denied) return callback(denied);
      try {
        const res = spec.handle(call.request);
        const time = Number(process.hrtime.bigint() - started) / 1e9;
        if (res instanceof PreEncoded) return callback(null, res.withTime(time) as unknown as Msg);
        res.time = time;
        callback(null, res);
      } catch (err) {
        // The store words errors for REST; Qdrant's gRPC layer says "in body", not "in JSON body".
        const details = err instanceof QdrantApiError ? err.message.replace(/^(Validation|Format) error in JSON body/, '$1 error in body') : '';
        if (err instanceof QdrantApiError) return callback(statusError(grpcCodeForHttpStatus(err.status), details));
        callback(statusError(grpc.status.INTERNAL, `Service internal error: ${(err as Error).message}`));
      }
    })();
  };
}

function implementation(service: string, spec: ServiceSpec, opts: GrpcServerOptions): grpc.UntypedServiceImplementation {
  return Object.fromEntries(Object.entries(spec).map(([method, rpc]) => [method, wrap(`/qdrant.${service}/${method}`, rpc, opts)]));
}

export async function startGrpcServer(store: QdrantStore, opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const dir = protoDir();
  const pkg = loadQdrantPackage(dir);
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 256 * 1024 * 1024 });
  const services: Array<[string, ServiceSpec]> = [
    ['Qdrant', qdrantService()],
    ['Collections', collectionsService(store)],
    ['Points', pointsService(store)],
  ];
  for (const [name, spec] of services) server.addService(serviceDefinition(pkg, name, dir), implementation(name, spec, opts));
  const host = opts.host ?? '127.0.0.1';
  const port = await new Promise<number>((res, rej) => {
    server.bindAsync(`${host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? rej(err) : res(p)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((res) => {
        // Graceful first so in-flight calls finish; force after a moment so tests never hang.
        const timer = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          res();
        });
      }),
  };
}
