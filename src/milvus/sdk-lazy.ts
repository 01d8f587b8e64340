/**
 * The Milvus SDK's index loads its BulkWriter whether or not anything uses it, and with it
 * parquetjs, thrift, ws, bson, xxhash-wasm and the AWS S3 client: ~0.1 CPU s of every command's
 * start-up (`--help`, `migrate`, a detached job, `serve`), for code this tool never calls (bulk mode
 * writes its own import files, src/bulk). Before the SDK is first loaded, the CLI puts a stand-in
 * for that one module into the CommonJS cache: the same export names, each a getter that loads the
 * real module on first use. Whoever does use the BulkWriter gets the real classes; nobody else
 * pays for them.
 *
 * Only the SDK's index requires `./bulkwriter`. An `import` of the SDK (ours are ES modules) reads
 * every name the index exports, so each name is a stand-in for its class rather than a getter: a
 * Proxy that loads the real module on its first use (new, a call, a static, `extends`,
 * `instanceof`) and forwards to the real class from then on.
 */
import Module, { createRequire } from 'node:module';

/** The names the SDK's bulkwriter/index.js exports (checked against the real module by a test). */
export const SDK_BULKWRITER_EXPORTS = ['BulkWriter', 'VolumeManager', 'ColumnBuffer', 'JsonFormatter', 'ParquetFormatter', 'LocalStorage'] as const;

export const SDK_BULKWRITER_MODULE = '@zilliz/milvus2-sdk-node/dist/milvus/bulkwriter/index.js';

/**
 * Defers the SDK's bulkwriter module until one of its names is read. False (and nothing done)
 * when the SDK is not found there or the module is loaded already.
 */
export function deferSdkBulkWriter(): boolean {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(SDK_BULKWRITER_MODULE);
  } catch {
    return false;
  }
  if (require.cache[file]) return false;
  let real: Record<string, unknown> | undefined;
  const load = (): Record<string, unknown> => {
    if (!real) {
      // Out of the cache first, so require() runs the real module (and caches it in our place).
      if (require.cache[file] === stub) delete require.cache[file];
      real = require(file) as Record<string, unknown>;
    }
    return real;
  };
  const exports: Record<string, unknown> = {};
  Object.defineProperty(exports, '__esModule', { value: true });
  for (const name of SDK_BULKWRITER_EXPORTS) exports[name] = standIn(() => load()[name] as Constructor);
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = exports;
  require.cache[file] = stub;
  return true;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor = new (...args: any[]) => unknown;

/** A class that is loaded on its first use: `new`, calls, statics and `instanceof` reach the real one. */
function standIn(real: () => Constructor): Constructor {
  const proxy: Constructor = new Proxy(function standIn() {} as unknown as Constructor, {
    construct: (_t, args, newTarget) => Reflect.construct(real(), args, newTarget === proxy ? real() : newTarget) as object,
    apply: (_t, self, args) => Reflect.apply(real() as unknown as (...a: unknown[]) => unknown, self, args),
    get: (_t, key) => Reflect.get(real(), key),
    set: (_t, key, value) => Reflect.set(real(), key, value),
    has: (_t, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
  return proxy;
}

export const SDK_GRPC_MODULE = '@zilliz/milvus2-sdk-node/dist/milvus/utils/Grpc.js';
let shared = false;

type GetService = (proto: { serviceName: string }, options?: unknown) => unknown;

/**
 * Every MilvusClient the SDK makes builds its gRPC service classes from the whole Milvus proto
 * JSON, twice (proto-loader's fromJSON + grpc-js's loadPackageDefinition for the Milvus service,
 * then again for the telemetry service): 0.35 + 0.12 CPU s for the first client of a command and
 * 0.2-0.45 s for each later one (measured; a command makes one to a few: the plan's probe, the
 * job's sink, verify). A package built from the same proto JSON with the same loader options
 * holds the same service classes, so it is built once per options and every service of every later
 * client is taken from it, as the SDK's own getGRPCService does; each client still opens its own
 * channels. The SDK reads `getGRPCService` from this module's exports at each construction
 * (through its index's getters), so later clients see the shared one.
 */
export function shareSdkServiceClasses(): void {
  if (shared) return;
  shared = true;
  const require = createRequire(import.meta.url);
  try {
    const file = require.resolve(SDK_GRPC_MODULE);
    const grpc = require(file) as { getGRPCService?: GetService };
    const original = grpc.getGRPCService;
    if (typeof original !== 'function') return;
    // The SDK's own copies of the loader, grpc-js and its proto JSON, as its getGRPCService uses them.
    const sdkRequire = createRequire(file);
    const { fromJSON } = sdkRequire('@grpc/proto-loader') as { fromJSON: (json: unknown, options?: unknown) => object };
    const { loadPackageDefinition } = sdkRequire('@grpc/grpc-js') as { loadPackageDefinition: (definition: object) => object };
    const json = (sdkRequire('../proto-json/milvus') as { default?: unknown }).default;
    if (!json) return;
    const packages = new Map<string, object>();
    grpc.getGRPCService = (proto, options) => {
      const key = JSON.stringify(options ?? null);
      let pkg = packages.get(key);
      if (!pkg) packages.set(key, (pkg = loadPackageDefinition(fromJSON(json, options))));
      const service = proto.serviceName.split('.').reduce<unknown>((a, b) => (a as Record<string, unknown> | undefined)?.[b], pkg);
      // Anything unexpected: the SDK's own path, with its own error.
      return typeof service === 'function' && (service as { service?: unknown }).service ? service : original(proto, options);
    };
  } catch {
    // An SDK laid out differently: every client builds its own classes, as before.
  }
}
