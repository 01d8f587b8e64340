/**
 * Readiness of source collections: what each holds and whether it can be migrated as it is.
 * The CLI `inspect` and the HTTP API (the console's "Select Source and Target" screen) both call
 * describeReadiness(), so they judge every collection by the same plan() rules.
 */
import type { SourceReader } from './contracts.ts';
import type { Problem, SourceCollection, TargetCapabilities } from './types.ts';
import { planMigration } from '../mapping/plan.ts';

/** What a current Milvus (2.6.4 and later) can take from qdrant2milvus; used when no target is given. */
export const MILVUS_DEFAULT_CAPABILITIES: TargetCapabilities = {
  kind: 'milvus',
  version: 'v2.6.4 (assumed: no target given)',
  float16Vector: true,
  sparseVector: true,
  nullableVector: true,
  // The sink cannot write Array of Struct yet (see MilvusSink.capabilities).
  arrayOfStruct: false,
  autoIndex: true,
};

export interface CollectionReadiness extends SourceCollection {
  /** What plan() says with default settings (no overrides), errors and warnings. */
  problems: Problem[];
  /** No error among `problems`: a default plan would migrate it. */
  migratable: boolean;
}

/**
 * Describes `names` (default: every collection of the source) and plans each with default
 * settings against `caps`. Throws what the reader throws (config errors name the cause).
 * Existing target collections are not considered here: that is the plan's business, once the
 * user has chosen target names.
 */
export async function describeReadiness(reader: SourceReader, caps: TargetCapabilities, names?: string[]): Promise<CollectionReadiness[]> {
  const wanted = names && names.length > 0 ? names : await reader.listCollections();
  const described: SourceCollection[] = [];
  // One at a time: describe already runs several counts in parallel per collection.
  for (const name of wanted) described.push(await reader.describe(name));
  const { problems } = planMigration(described, caps, {}, {});
  return described.map((c) => {
    const own = problems.filter((p) => p.collection === c.name);
    return { ...c, problems: own, migratable: !own.some((p) => p.severity === 'error') };
  });
}
