/**
 * The id set of the split benchmark, and its test server child.
 *
 * `idAt(i)`: 90% integers with gaps (1, 4, 7, ...), then 10% UUIDs, so a split crosses the
 * int/UUID border as in a mixed collection. Vectors are 2-d and payloads empty: the split reads
 * ids only, so a bigger point would change the seeding time, not the measurement.
 *
 * Run as a child (`node --import tsx bench/split-ids.ts N`): starts the Qdrant test server on free
 * loopback ports, seeds collection `split_ids` with N points, prints `READY <restUrl> <grpcPort>`
 * and serves until killed. Its own process, so its CPU is not counted as ours.
 */
import { compareIds } from '../src/core/ids.ts';
import type { PointId } from '../src/core/types.ts';
import type { Dataset } from '../testkit/datasets/index.ts';

export const SPLIT_COLLECTION = 'split_ids';

export function idAt(i: number, count: number): PointId {
  const ints = Math.floor(count * 0.9);
  if (i < ints) return BigInt(i) * 3n + 1n;
  const hex = (i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

export function splitDataset(count: number): Dataset {
  return {
    collection: SPLIT_COLLECTION,
    config: { vectors: { size: 2, distance: 'Dot' } },
    count,
    *points() {
      for (let i = 0; i < count; i++) yield { id: idAt(i, count), vector: [1, 0], payload: {} };
    },
  };
}

/** Every id in Qdrant's order, for exact range sizes. */
export function sortedIds(count: number): PointId[] {
  return Array.from({ length: count }, (_, i) => idAt(i, count)).sort(compareIds);
}

/** Points in each range cut by `boundaries` (ascending), by binary search in the sorted ids. */
export function rangeSizes(sorted: readonly PointId[], boundaries: readonly PointId[]): number[] {
  const lowerBound = (id: PointId) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(sorted[mid]!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const edges = [0, ...boundaries.map(lowerBound), sorted.length];
  return edges.slice(1).map((e, i) => e - edges[i]!);
}

if (process.argv[1]?.endsWith('split-ids.ts')) {
  const count = Number(process.argv[2]);
  const { startQdrantTestServer } = await import('../testkit/qdrant/server.ts');
  const server = await startQdrantTestServer({ grpcPort: 0 });
  server.store.seed(splitDataset(count));
  console.log(`READY ${server.restUrl} ${server.grpcPort}`);
  const stop = () => void server.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
