/** REST `CollectionInfo` for one collection, with counts computed from the data. */
import type { JsonObject } from '../../src/core/types.ts';
import type { Collection } from './collection.ts';
import { DEFAULT_INDEXING_THRESHOLD_KB } from './config.ts';
import { rawValuesAt } from './payload.ts';

/**
 * Qdrant builds an HNSW index for a segment once its vectors exceed `indexing_threshold` KB; below
 * that `indexed_vectors_count` stays 0. Sparse vectors are indexed as they arrive.
 */
function indexedVectorsCount(c: Collection, config: JsonObject): number {
  const optimizer = config.optimizer_config as JsonObject;
  const thresholdKb = Number(optimizer.indexing_threshold ?? DEFAULT_INDEXING_THRESHOLD_KB);
  let total = 0;
  for (const v of c.config.vectors.values()) {
    let present = 0;
    for (const p of c.points()) if (c.hasVector(p, v.name)) present++;
    if (v.kind === 'sparse') total += present;
    else if (thresholdKb > 0 && (present * v.size * 4) / 1024 >= thresholdKb) total += present;
  }
  return total;
}

/** Points holding a non-null value at the indexed path, as Qdrant's `payload_schema.points`. */
function indexedPoints(c: Collection, field: string): number {
  let n = 0;
  for (const p of c.points()) {
    if (rawValuesAt(p.payload, field).some((v) => v !== null && !(Array.isArray(v) && v.length === 0))) n++;
  }
  return n;
}

export function collectionInfo(c: Collection, config: JsonObject): JsonObject {
  const payload_schema: JsonObject = {};
  for (const [field, idx] of c.payloadIndexes) {
    payload_schema[field] = { ...idx, points: indexedPoints(c, field) };
  }
  return {
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: indexedVectorsCount(c, config),
    points_count: c.size,
    segments_count: c.size === 0 ? 1 : 2,
    config,
    payload_schema,
    update_queue: { length: 0 },
  };
}
