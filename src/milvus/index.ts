/**
 * The sink: writes CollectionPlans' rows into Milvus, Zilliz Cloud or Milvus Lite.
 */
import type { Sink } from '../core/contracts.ts';
import { MilvusSink, type MilvusSinkOptions } from './sink.ts';

export { MilvusSink, TARGET_RETRY_DEFAULTS, type MilvusSinkOptions, type SinkRetryOptions } from './sink.ts';
export { capabilitiesFromVersion, parseVersion, targetKind } from './capabilities.ts';
export { DEFAULT_BATCH_BYTES } from './writer.ts';

/** Connects and checks the target; throws config MigrationErrors (unreachable, auth, database). */
export function createMilvusSink(opts: MilvusSinkOptions): Promise<Sink> {
  return MilvusSink.connect(opts);
}
