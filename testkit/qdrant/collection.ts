/**
 * One collection's data: points kept in Qdrant's scroll order (integer ids ascending, then UUIDs
 * ascending) for binary-searched `offset`, vectors in per-name columns indexed by a point's slot.
 */
import type { JsonObject, PointId } from '../../src/core/types.ts';
import type { CollectionConfig } from './config.ts';
import { comparePointIds } from './ids.ts';
import { DenseColumn, MapColumn, type Column, type StoredVector } from './vectors.ts';

export interface StoredPoint {
  id: PointId;
  /** Index into the vector columns; stable for the life of the point. */
  slot: number;
  payload: JsonObject;
}

export interface PayloadIndex {
  data_type: string;
  params?: JsonObject;
}

export class Collection {
  readonly columns = new Map<string, Column>();
  readonly payloadIndexes = new Map<string, PayloadIndex>();
  private readonly byId = new Map<PointId, StoredPoint>();
  private sorted: StoredPoint[] = [];
  private unsorted = false;
  private nextSlot = 0;
  /**
   * The next operation number, counted as Qdrant 1.19 does (probed): creating the collection
   * takes 0, an upsert takes one, a payload index two (reporting the second).
   */
  operationId = 1;

  constructor(
    readonly name: string,
    readonly config: CollectionConfig,
  ) {
    for (const v of config.vectors.values()) {
      this.columns.set(v.name, v.kind === 'dense' ? new DenseColumn(v.size) : new MapColumn());
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /** All points in scroll order. Sorting is deferred to the first read after out-of-order inserts. */
  points(): readonly StoredPoint[] {
    if (this.unsorted) {
      this.sorted.sort((a, b) => comparePointIds(a.id, b.id));
      this.unsorted = false;
    }
    return this.sorted;
  }

  /** Index of the first point whose id is >= `offset` in scroll order. */
  lowerBound(offset: PointId): number {
    const points = this.points();
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePointIds(points[mid]!.id, offset) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: PointId): StoredPoint | undefined {
    return this.byId.get(id);
  }

  /** Replaces the point's vectors and payload wholesale, as Qdrant's upsert does. */
  put(id: PointId, vectors: Map<string, StoredVector>, payload: JsonObject): void {
    let point = this.byId.get(id);
    if (point) {
      point.payload = payload;
      for (const column of this.columns.values()) column.delete(point.slot);
    } else {
      point = { id, slot: this.nextSlot++, payload };
      this.byId.set(id, point);
      const last = this.sorted[this.sorted.length - 1];
      if (last && comparePointIds(last.id, id) > 0) this.unsorted = true;
      this.sorted.push(point);
    }
    for (const [name, v] of vectors) {
      const column = this.columns.get(name)!;
      if (column instanceof DenseColumn) column.set(point.slot, v as Float32Array);
      else column.set(point.slot, v as Exclude<StoredVector, Float32Array>);
    }
  }

  /** Removes a point; false when there was none. */
  delete(id: PointId): boolean {
    const point = this.byId.get(id);
    if (!point) return false;
    this.byId.delete(id);
    for (const column of this.columns.values()) column.delete(point.slot);
    this.sorted.splice(this.sorted.indexOf(point), 1);
    return true;
  }

  hasVector(point: StoredPoint, name: string): boolean {
    return this.columns.get(name)?.has(point.slot) ?? false;
  }

  vector(point: StoredPoint, name: string): StoredVector | undefined {
    return this.columns.get(name)?.get(point.slot);
  }
}
