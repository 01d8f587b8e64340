/**
 * Readiness of source collections: what each holds and whether it can be migrated as it is.
 * The CLI `inspect` and the HTTP API (the console's "Select Source and Target" screen) both call
 * describeReadiness(), so they judge every collection by the same plan() rules.
 */
import type { DescribeOptions, SourceReader } from './contracts.ts';
import type { PayloadKeyPlan } from './payload-schema.ts';
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
  // What Milvus 2.6 takes for payload keys (docs: scalar index, JSON path index, Timestamptz, Geometry).
  scalar: {
    types: ['Bool', 'Int64', 'Double', 'VarChar', 'Timestamptz', 'Geometry', 'Array'],
    arrayElementTypes: ['Bool', 'Int64', 'Double', 'VarChar'],
    nullable: true,
    indexTypes: {
      Bool: ['INVERTED', 'BITMAP'], Int64: ['INVERTED', 'STL_SORT', 'BITMAP'], Double: ['INVERTED', 'STL_SORT'], VarChar: ['INVERTED', 'BITMAP'],
      Timestamptz: ['INVERTED', 'STL_SORT'], Geometry: ['RTREE'], Array: ['INVERTED', 'BITMAP'],
    },
    jsonPathIndex: true,
    textMatch: true,
    partitionKey: true,
  },
};

export interface CollectionReadiness extends SourceCollection {
  /** What plan() says with default settings (no overrides), errors and warnings. */
  problems: Problem[];
  /** No error among `problems`: a default plan would migrate it. */
  migratable: boolean;
  /** What a default plan does with each payload key (all dynamic; the carried indexes). */
  payloadPlan?: PayloadKeyPlan[];
}

/**
 * Describes `names` (default: every collection of the source) and plans each with default
 * settings against `caps`. Throws what the reader throws (config errors name the cause).
 * Existing target collections are not considered here: that is the plan's business, once the
 * user has chosen target names.
 */
export async function describeReadiness(reader: SourceReader, caps: TargetCapabilities, names?: string[], options: DescribeOptions = {}): Promise<CollectionReadiness[]> {
  const wanted = names && names.length > 0 ? names : await reader.listCollections();
  const described: SourceCollection[] = [];
  // One at a time: describe already runs several counts in parallel per collection.
  for (const name of wanted) described.push(await reader.describe(name, options));
  const { problems, collections } = planMigration(described, caps, {}, {});
  return described.map((c, i) => {
    const own = problems.filter((p) => p.collection === c.name);
    const payloadPlan = collections[i]?.payload;
    return { ...c, problems: own, migratable: !own.some((p) => p.severity === 'error'), ...(payloadPlan && { payloadPlan }) };
  });
}
