/**
 * A bounded async queue between pipeline stages: producers wait when it is full, so memory holds
 * at most `capacity` items however fast the source is, and consumers wait when it is empty.
 *
 * `refillAt`: once producers found the queue full, they wait until it has drained to this many
 * items, then all go on at once (default capacity - 1: each take lets one producer on). Against a
 * slow target this turns one producer's burst of work per item taken into one burst of several
 * producers' work every few items: the process wakes from idle less often (src/core/pipeline.ts).
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly waitingTakers: Array<(item: T | undefined) => void> = [];
  private readonly waitingPutters: Array<() => void> = [];
  private closed = false;
  /** Producers found the queue full and wait until it has drained to `refillAt`. */
  private draining = false;

  constructor(
    private readonly capacity: number,
    private readonly refillAt = capacity - 1,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`queue capacity must be >= 1, got ${capacity}`);
    if (!(refillAt >= 0 && refillAt < capacity)) throw new RangeError(`queue refillAt must be in [0, capacity), got ${refillAt}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Resolves once the item is queued (or handed to a waiting taker); false if the queue closed. */
  async put(item: T): Promise<boolean> {
    while (!this.closed && (this.draining || this.items.length >= this.capacity)) {
      this.draining = true;
      await new Promise<void>((resolve) => this.waitingPutters.push(resolve));
    }
    if (this.closed) return false;
    const taker = this.waitingTakers.shift();
    if (taker) taker(item);
    else this.items.push(item);
    return true;
  }

  /** The next item; undefined once the queue is closed and empty. */
  take(): Promise<T | undefined> {
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      if (this.draining && this.items.length <= this.refillAt) {
        this.draining = false;
        for (const putter of this.waitingPutters.splice(0)) putter();
      }
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waitingTakers.push(resolve));
  }

  /** No more puts: takers drain what is queued, then get undefined; waiting putters get false. */
  close(): void {
    this.closed = true;
    for (const taker of this.waitingTakers.splice(0)) taker(undefined);
    for (const putter of this.waitingPutters.splice(0)) putter();
  }

  /** Close and drop what is queued (on failure: nothing queued will be written). */
  abort(): void {
    this.items.length = 0;
    this.close();
  }
}
