/**
 * Buffers reused by size, for the hot path's page and request memory (Qdrant answers, arenas,
 * payload JSON, Upsert requests). Made fresh per page, that memory lives outside V8's heap and
 * every few tens of MB of it forces a garbage collection (docs/performance.md). A buffer comes
 * back only when its holder says nothing reads it any more; what the list does not keep is left
 * to the GC, as before.
 */
export interface FreeListOptions<T> {
  /** Its size in bytes. */
  size(buffer: T): number;
  /** A new buffer of exactly `bytes` (contents: whatever was there: every user writes before it reads). */
  make(bytes: number): T;
  /** New buffers are rounded up to this, so slightly different sizes reuse each other's buffers. */
  step: number;
  /** Free buffers kept at most: beyond the pages or writes in flight a buffer is just garbage. */
  keep: number;
  /** Larger buffers are never kept: a rare huge page must not stay resident. */
  maxBytes: number;
  /** Bytes of free buffers kept at most (default: no bound but `keep`); the oldest go first. */
  maxFreeBytes?: number;
}

export class FreeList<T> {
  private readonly free: T[] = [];
  private freeBytes = 0;

  constructor(private readonly options: FreeListOptions<T>) {}

  /** The smallest free buffer of at least `n` bytes, else a new one. */
  take(n: number): T {
    const { size } = this.options;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const s = size(this.free[i]!);
      if (s >= n && (best < 0 || s < size(this.free[best]!))) best = i;
    }
    if (best >= 0) {
      const buffer = this.free.splice(best, 1)[0]!;
      this.freeBytes -= size(buffer);
      return buffer;
    }
    return this.options.make(Math.ceil(n / this.options.step) * this.options.step);
  }

  /** `buffer` may be handed out again (ignored when too large or already free). */
  give(buffer: T): void {
    const { size, maxBytes, keep, maxFreeBytes = Infinity } = this.options;
    if (size(buffer) > maxBytes || this.free.includes(buffer)) return;
    this.free.push(buffer);
    this.freeBytes += size(buffer);
    while (this.free.length > keep || this.freeBytes > maxFreeBytes) this.freeBytes -= size(this.free.shift()!);
  }
}
