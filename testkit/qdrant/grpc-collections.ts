/**
 * gRPC ↔ REST-JSON conversions for collection configuration: `CreateCollection` → the REST body of
 * `PUT /collections/{name}`, and REST `CollectionInfo` → gRPC `CollectionInfo`.
 */
import type { JsonObject, JsonValue } from '../../src/core/types.ts';
import { asMsg, structFromGrpc, structToGrpc, toNumber, type Msg } from './grpc-values.ts';

const DATATYPE_FROM_GRPC: Record<string, string> = { Float32: 'float32', Float16: 'float16', Uint8: 'uint8' };
const DATATYPE_TO_GRPC: Record<string, string> = { float32: 'Float32', float16: 'Float16', uint8: 'Uint8' };
const PAYLOAD_TYPE_TO_GRPC: Record<string, string> = {
  keyword: 'Keyword', integer: 'Integer', float: 'Float', geo: 'Geo', text: 'Text', bool: 'Bool',
  datetime: 'Datetime', uuid: 'Uuid',
};
const FIELD_TYPE_FROM_GRPC: Record<string, string> = {
  FieldTypeKeyword: 'keyword', FieldTypeInteger: 'integer', FieldTypeFloat: 'float', FieldTypeGeo: 'geo',
  FieldTypeText: 'text', FieldTypeBool: 'bool', FieldTypeDatetime: 'datetime', FieldTypeUuid: 'uuid',
};

/** Copies numeric / boolean members of a *Diff message, dropping the unset ones. */
function plain(m: unknown, keys: string[]): JsonObject | undefined {
  const src = asMsg(m);
  if (!src) return undefined;
  const out: JsonObject = {};
  for (const k of keys) {
    const v = src[k];
    if (typeof v === 'boolean') out[k] = v;
    else if (v !== undefined && v !== null && toNumber(v) !== undefined) out[k] = toNumber(v) as number;
  }
  return out;
}

const HNSW_KEYS = ['m', 'ef_construct', 'full_scan_threshold', 'max_indexing_threads', 'on_disk', 'payload_m'];
const WAL_KEYS = ['wal_capacity_mb', 'wal_segments_ahead', 'wal_retain_closed'];
const OPTIMIZER_KEYS = [
  'deleted_threshold', 'vacuum_min_vector_number', 'default_segment_number', 'max_segment_size',
  'memmap_threshold', 'indexing_threshold', 'flush_interval_sec',
];

function vectorParamsFromGrpc(p: Msg): JsonObject {
  const out: JsonObject = { size: toNumber(p.size) ?? 0, distance: String(p.distance ?? 'UnknownDistance') };
  const hnsw = plain(p.hnsw_config, HNSW_KEYS);
  if (hnsw) out.hnsw_config = hnsw;
  if (typeof p.on_disk === 'boolean') out.on_disk = p.on_disk;
  if (typeof p.datatype === 'string' && DATATYPE_FROM_GRPC[p.datatype]) out.datatype = DATATYPE_FROM_GRPC[p.datatype] as string;
  if (asMsg(p.multivector_config)) out.multivector_config = { comparator: 'max_sim' };
  return out;
}

/** gRPC `CreateCollection` → REST create body (what the store's createCollection takes). */
export function createBodyFromGrpc(req: Msg): JsonObject {
  const body: JsonObject = {};
  const vc = asMsg(req.vectors_config);
  if (vc?.config === 'params') body.vectors = vectorParamsFromGrpc(asMsg(vc.params) ?? {});
  if (vc?.config === 'params_map') {
    const map = asMsg(asMsg(vc.params_map)?.map) ?? {};
    body.vectors = Object.fromEntries(Object.entries(map).map(([k, p]) => [k, vectorParamsFromGrpc(asMsg(p) ?? {})]));
  }
  const sparse = asMsg(asMsg(req.sparse_vectors_config)?.map);
  if (sparse) {
    body.sparse_vectors = Object.fromEntries(Object.entries(sparse).map(([k, raw]) => {
      const p = asMsg(raw) ?? {};
      const out: JsonObject = {};
      if (p.modifier !== undefined) out.modifier = p.modifier === 'Idf' ? 'idf' : 'none';
      const index = plain(p.index, ['full_scan_threshold', 'on_disk']);
      if (index) out.index = index;
      return [k, out];
    }));
  }
  const extras: Array<[string, JsonValue | undefined]> = [
    ['hnsw_config', plain(req.hnsw_config, HNSW_KEYS)],
    ['wal_config', plain(req.wal_config, WAL_KEYS)],
    ['optimizers_config', plain(req.optimizers_config, OPTIMIZER_KEYS)],
    ['shard_number', toNumber(req.shard_number)],
    ['replication_factor', toNumber(req.replication_factor)],
    ['write_consistency_factor', toNumber(req.write_consistency_factor)],
    ['on_disk_payload', typeof req.on_disk_payload === 'boolean' ? req.on_disk_payload : undefined],
  ];
  for (const [k, v] of extras) if (v !== undefined) body[k] = v;
  if (asMsg(req.metadata) && Object.keys(asMsg(req.metadata) ?? {}).length > 0) body.metadata = structFromGrpc(req.metadata);
  return body;
}

/** gRPC field index request → REST `field_schema` (a type name, or {type, ...params}). */
export function fieldSchemaFromGrpc(req: Msg): unknown {
  const type = FIELD_TYPE_FROM_GRPC[String(req.field_type ?? 'FieldTypeKeyword')] ?? 'keyword';
  const params = asMsg(req.field_index_params);
  const inner = params ? asMsg(params[String(params.index_params)]) : undefined;
  if (!inner) return type;
  const out: JsonObject = { type };
  for (const [k, v] of Object.entries(inner)) {
    if (typeof v === 'boolean' || typeof v === 'number') out[k] = v;
    else if (typeof v === 'string' && k === 'tokenizer') out[k] = v.toLowerCase();
    else if (typeof v === 'string' && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

// ---- REST CollectionInfo → gRPC ----

function num(v: unknown): string | undefined {
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
}

function vectorParamsToGrpc(p: JsonObject): Msg {
  const out: Msg = { size: num(p.size), distance: p.distance };
  if (asMsg(p.hnsw_config)) out.hnsw_config = p.hnsw_config;
  if (typeof p.on_disk === 'boolean') out.on_disk = p.on_disk;
  if (typeof p.datatype === 'string') out.datatype = DATATYPE_TO_GRPC[p.datatype];
  if (asMsg(p.multivector_config)) out.multivector_config = { comparator: 'MaxSim' };
  return out;
}

function vectorsConfigToGrpc(v: unknown): Msg | undefined {
  const m = asMsg(v) as JsonObject | undefined;
  if (!m) return undefined;
  if ('size' in m) return { params: vectorParamsToGrpc(m) };
  const map = Object.entries(m).map(([k, p]) => [k, vectorParamsToGrpc(p as JsonObject)]);
  return { params_map: { map: Object.fromEntries(map) } };
}

function sparseConfigToGrpc(v: unknown): Msg | undefined {
  const m = asMsg(v);
  if (!m) return undefined;
  const map = Object.entries(m).map(([k, raw]) => {
    const p = asMsg(raw) ?? {};
    const out: Msg = {};
    if (p.modifier) out.modifier = p.modifier === 'idf' ? 'Idf' : 'None';
    if (asMsg(p.index)) out.index = plain(p.index, ['full_scan_threshold', 'on_disk']);
    return [k, out];
  });
  return { map: Object.fromEntries(map) };
}

/** REST optimizer_config → OptimizersConfigDiff (max_optimization_threads is a oneof there). */
function optimizerToGrpc(v: unknown): Msg {
  const m = asMsg(v) ?? {};
  const out: Msg = plain(m, OPTIMIZER_KEYS) ?? {};
  const threads = m.max_optimization_threads;
  if (typeof threads === 'number') out.max_optimization_threads = { value: String(threads) };
  // REST's null ("pick automatically") is the Auto setting on the gRPC side, as Qdrant reports it.
  else if (threads === 'auto' || threads === null || threads === undefined) out.max_optimization_threads = { setting: 'Auto' };
  return out;
}

function paramsToGrpc(p: Msg): Msg {
  return {
    shard_number: toNumber(p.shard_number) ?? 1,
    on_disk_payload: p.on_disk_payload === true,
    vectors_config: vectorsConfigToGrpc(p.vectors),
    replication_factor: toNumber(p.replication_factor),
    write_consistency_factor: toNumber(p.write_consistency_factor),
    sparse_vectors_config: sparseConfigToGrpc(p.sparse_vectors),
  };
}

/**
 * REST `params` ({type, is_tenant, ...}) → the PayloadIndexParams oneof member of that type. Only
 * the boolean params are carried (is_tenant, is_principal, lookup, range, ...): the ones the reader
 * uses; real Qdrant sends the rest too, and a client must not depend on them.
 */
function indexParamsToGrpc(v: unknown): Msg | undefined {
  const p = asMsg(v);
  if (!p || typeof p.type !== 'string') return undefined;
  const inner: Msg = {};
  for (const [k, x] of Object.entries(p)) if (typeof x === 'boolean') inner[k] = x;
  return { [`${p.type}_index_params`]: inner };
}

function payloadSchemaToGrpc(v: unknown): Record<string, Msg> {
  const out: Record<string, Msg> = {};
  for (const [k, raw] of Object.entries(asMsg(v) ?? {})) {
    const s = asMsg(raw) ?? {};
    const params = indexParamsToGrpc(s.params);
    out[k] = { data_type: PAYLOAD_TYPE_TO_GRPC[String(s.data_type)] ?? 'UnknownType', ...(params && { params }), points: num(s.points) };
  }
  return out;
}

/** REST CollectionInfo (what the store reports) → gRPC CollectionInfo. */
export function collectionInfoToGrpc(info: Msg): Msg {
  const config = asMsg(info.config) ?? {};
  const status = String(info.status ?? 'green');
  return {
    status: status.charAt(0).toUpperCase() + status.slice(1),
    optimizer_status: { ok: info.optimizer_status === 'ok' || info.optimizer_status === undefined, error: '' },
    segments_count: num(info.segments_count) ?? '1',
    points_count: num(info.points_count),
    indexed_vectors_count: num(info.indexed_vectors_count),
    payload_schema: payloadSchemaToGrpc(info.payload_schema),
    config: {
      params: paramsToGrpc(asMsg(config.params) ?? {}),
      hnsw_config: plain(config.hnsw_config, HNSW_KEYS),
      optimizer_config: optimizerToGrpc(config.optimizer_config),
      wal_config: plain(config.wal_config, WAL_KEYS),
      metadata: structToGrpc(asMsg(config.metadata) as JsonObject | undefined),
    },
    warnings: [],
    update_queue: { length: '0' },
  };
}
