/**
 * Where decoded dense vectors live: Float32Arrays cut from a few large blocks instead of one
 * JS number per component. A vector arrives in Qdrant's ScrollResponse as packed little-endian
 * float32 at an arbitrary byte offset (a Float32Array needs 4-byte alignment), so its bytes are
 * copied once, with memcpy, into the current block; the vector is a view of those bytes. The
 * vectors of one page are consecutive in a block, so the Upsert encoder can usually hand a
 * whole column over as one slice (see columns.ts).
 *
 * A block is sized by what is left of the response (never more floats than bytes remain / 4), so
 * a page of small vectors and large payloads does not reserve memory it cannot use; a view keeps
 * its block alive only as long as the rows of that page live.
 */
import { endianness } from 'node:os';
import { FreeList } from '../core/free-list.ts';

const littleEndian = endianness() === 'LE';

/** Floats per block at most (4 MiB): large enough for a page of 768-d points in a few blocks. */
const MAX_BLOCK_FLOATS = 1 << 20;

/**
 * Blocks reused from page to page. A page of 768-d points fills about 1 MB of arena and 0.2 MB of
 * payload JSON; made fresh for every page, at 40k points/s, that was ~170 MB/s of buffers for the
 * GC to find and free (docs/performance.md). A page's blocks come back here only when whoever
 * holds its points says they are done (PageMemory.release: the pipeline, once the page's write is
 * acknowledged); a page never released leaves its blocks to the GC, as before.
 */
export class BlockPool {
  /** Only blocks made here come back: never a buffer someone else may still write or share. */
  private readonly made = new WeakSet<ArrayBuffer>();
  /** Blocks and bytes made because no free block fitted (a miss each), for tests and benches. */
  readonly misses = { blocks: 0, bytes: 0 };
  private readonly list = new FreeList<ArrayBuffer>({
    size: (b) => b.byteLength,
    make: (bytes) => {
      const block = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
      this.made.add(block);
      this.misses.blocks++;
      this.misses.bytes += bytes;
      return block;
    },
    step: 2 ** 16,
    // Sized by what is in flight, not by a count: a free block was lent before, so the list never
    // holds more than the pages in flight held at once (each reader's page, the queue of R + W
    // pages, the W being written: 12 pages of 2 blocks, ~16 MB, for 768-d at the defaults). A
    // fixed 32 blocks was enough there but not past 16 pages in flight (more readers or writers):
    // blocks released together beyond 32 were dropped and made again for the next pages. Bound:
    // 64 MiB of free blocks per pool (a transport has two: pages and raw answers), the count
    // bound only caps take()'s scan.
    keep: 1024,
    maxBytes: 32 * 2 ** 20,
    maxFreeBytes: 64 * 2 ** 20,
  });

  /** The smallest free block of at least `n` bytes, else a new one (contents: whatever was there). */
  take(n: number): ArrayBuffer {
    return this.list.take(n);
  }

  /** `block` may be handed out again (ignored unless made here, if too large, or if already free). */
  give(block: ArrayBuffer): void {
    if (this.made.has(block)) this.list.give(block);
  }
}

/** The blocks one decoded page uses (arenas, payload JSON), handed back to the pool together. */
export class PageMemory {
  private readonly held: ArrayBuffer[] = [];

  constructor(private readonly pool: BlockPool | undefined) {}

  /** A block of at least `n` bytes for this page. */
  take(n: number): ArrayBuffer {
    if (!this.pool) return Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer;
    const block = this.pool.take(n);
    this.held.push(block);
    return block;
  }

  /** Nothing refers to the page's points, rows or encoded requests any more: its blocks may be reused. Idempotent. */
  release(): void {
    for (const block of this.held.splice(0)) this.pool!.give(block);
  }
}

export class FloatArena {
  private block = new Float32Array(0);
  private bytes = new Uint8Array(0);
  private used = 0;

  constructor(private readonly memory?: PageMemory) {}

  /**
   * The float32s in `buf[start, end)` (little-endian) as a Float32Array of (end - start) / 4
   * components. `remaining`: bytes of the response from `start` on, an upper bound of the floats
   * still to come, for sizing a new block.
   */
  take(buf: Uint8Array, start: number, end: number, remaining: number): Float32Array {
    const n = (end - start) >> 2;
    const view = this.alloc(n, remaining);
    const at = view.byteOffset >> 2;
    // A plain Uint8Array view: cheaper to make than a Buffer subarray, and set() is one memcpy.
    if (littleEndian) this.bytes.set(new Uint8Array(buf.buffer, buf.byteOffset + start, n * 4), at * 4);
    else {
      const dv = new DataView(buf.buffer, buf.byteOffset + start, n * 4);
      for (let i = 0; i < n; i++) view[i] = dv.getFloat32(i * 4, true);
    }
    return view;
  }

  /**
   * `n` floats of the current block (a new one when it is full), for the caller to fill (sparse.ts
   * writes Milvus's sparse pairs there). `remaining`: as for take(), an upper bound in bytes / 4.
   */
  alloc(n: number, remaining: number): Float32Array {
    if (this.used + n > this.block.length) {
      const floats = Math.max(n, Math.min(MAX_BLOCK_FLOATS, remaining >> 2));
      // Not zero-filled (every float is written before it is read): a page's worth of memset saved.
      const block = this.memory ? this.memory.take(floats * 4) : (Buffer.allocUnsafeSlow(floats * 4).buffer as ArrayBuffer);
      this.block = new Float32Array(block, 0, block.byteLength >> 2);
      this.bytes = new Uint8Array(this.block.buffer);
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    return this.block.subarray(at, at + n);
  }
}
