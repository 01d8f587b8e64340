/**
 * The compare engine's pure core: a merge of two key-ordered streams of batches.
 *
 * `verify --full` (and `sync`, which repairs what verify reports) walk the source and the target
 * side by side. Each side arrives as batches whose keys ascend across the whole stream; the merge
 * holds at most ONE batch of each side at a time, so memory is bounded by the batch sizes whatever
 * the collection size: that is the bound, by construction, not by a flush threshold.
 *
 * Outcomes per key: only in the source (`missing` from the target), only in the target (`extra`),
 * or on both sides (`both`, for the caller to compare by content). A key repeated on the target
 * side (real Milvus keeps duplicates that a plain insert made) is reported as `extra` again, with
 * `duplicate: true`. A stream that goes backwards is not something a merge can answer: it throws
 * OrderError, naming the side, so a target that ignores `ORDER BY pk` is found, never trusted.
 */

export type MergeEvent<W, G> =
  | { kind: 'missing'; want: W }
  | { kind: 'extra'; got: G; duplicate: boolean }
  | { kind: 'both'; want: W; got: G };

export interface MergeSides<W, G, K> {
  keyOfWant: (w: W) => K;
  keyOfGot: (g: G) => K;
  /** Negative when a sorts before b in the order both streams follow. */
  compare: (a: K, b: K) => number;
}

export class OrderError extends Error {
  constructor(
    readonly side: 'source' | 'target',
    readonly previous: string,
    readonly next: string,
  ) {
    super(`The ${side} stream is not in key order: ${next} came after ${previous}.`);
    this.name = 'OrderError';
  }
}

/** One side of the merge: the current batch and a position in it; refills from the iterator. */
class Cursor<T, K> {
  private batch: T[] = [];
  private at = 0;
  private last: K | undefined;
  private done = false;

  constructor(
    private readonly it: AsyncIterator<T[]>,
    private readonly key: (t: T) => K,
    private readonly compare: (a: K, b: K) => number,
    private readonly side: 'source' | 'target',
    private readonly allowEqual: boolean,
  ) {}

  /** The current item, refilling (skipping empty batches) when the batch is used up. */
  async peek(): Promise<T | undefined> {
    while (this.at >= this.batch.length && !this.done) {
      const next = await this.it.next();
      if (next.done) this.done = true;
      else {
        this.batch = next.value;
        this.at = 0;
      }
    }
    return this.at < this.batch.length ? this.batch[this.at] : undefined;
  }

  /** True when the batch is used up: the merge yields what it has before the next refill. */
  get drained(): boolean {
    return this.at >= this.batch.length;
  }

  take(): T {
    const item = this.batch[this.at++]!;
    const k = this.key(item);
    if (this.last !== undefined) {
      const c = this.compare(this.last, k);
      if (c > 0 || (c === 0 && !this.allowEqual)) throw new OrderError(this.side, String(this.last), String(k));
    }
    this.last = k;
    return item;
  }

  /** The key of the item taken last (to tell a duplicate). */
  get lastKey(): K | undefined {
    return this.last;
  }
}

/**
 * Merges `source` and `target` (each a stream of batches in ascending key order) and yields the
 * outcomes in key order, one array per step where a side needed a new batch: the caller compares
 * and reports them, then the merge reads on (backpressure: nothing is read ahead of the caller).
 */
export async function* mergeOrdered<W, G, K>(
  source: AsyncIterable<W[]>,
  target: AsyncIterable<G[]>,
  sides: MergeSides<W, G, K>,
): AsyncGenerator<Array<MergeEvent<W, G>>> {
  const src = new Cursor(source[Symbol.asyncIterator](), sides.keyOfWant, sides.compare, 'source', false);
  const tgt = new Cursor(target[Symbol.asyncIterator](), sides.keyOfGot, sides.compare, 'target', true);
  let out: Array<MergeEvent<W, G>> = [];
  while (true) {
    const [w, g] = [await src.peek(), await tgt.peek()];
    if (w === undefined && g === undefined) break;
    if (g === undefined) out.push({ kind: 'missing', want: src.take() });
    else if (w === undefined) out.push(takeExtra(tgt, sides.compare));
    else {
      const c = sides.compare(sides.keyOfWant(w), sides.keyOfGot(g));
      // A target key equal to the one just matched is a duplicate of it, whatever the source holds next.
      if (tgt.lastKey !== undefined && sides.compare(tgt.lastKey, sides.keyOfGot(g)) === 0) out.push(takeExtra(tgt, sides.compare));
      else if (c < 0) out.push({ kind: 'missing', want: src.take() });
      else if (c > 0) out.push(takeExtra(tgt, sides.compare));
      else out.push({ kind: 'both', want: src.take(), got: tgt.take() });
    }
    if ((src.drained || tgt.drained) && out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

function takeExtra<W, G, K>(tgt: Cursor<G, K>, compare: (a: K, b: K) => number): MergeEvent<W, G> {
  const before = tgt.lastKey;
  const got = tgt.take();
  const duplicate = before !== undefined && compare(before, tgt.lastKey!) === 0;
  return { kind: 'extra', got, duplicate };
}

/**
 * The window fallback: a target that returns each `pk > last LIMIT n` window complete (the n
 * smallest keys) but not sorted inside it. Sorting each window restores the order with memory
 * bounded by the window; OrderError still catches a target whose windows overlap.
 */
export async function* sortedWindows<T, K>(windows: AsyncIterable<T[]>, key: (t: T) => K, compare: (a: K, b: K) => number): AsyncGenerator<T[]> {
  for await (const w of windows) yield [...w].sort((a, b) => compare(key(a), key(b)));
}

/**
 * Reads one item ahead of the consumer, so the producer's I/O (a scroll, a query) overlaps the
 * consumer's work on the previous item. Memory: at most two items alive.
 */
export async function* prefetch<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  const it = items[Symbol.asyncIterator]();
  let next = it.next();
  try {
    while (true) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      // The read-ahead may fail while the consumer works; its rejection is awaited next turn.
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    // An early exit (error, abort, break) closes the producer too.
    await it.return?.();
  }
}
