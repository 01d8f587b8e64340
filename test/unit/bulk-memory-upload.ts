/**
 * An ObjectUpload (src/bulk/objects.ts) that keeps the object in memory, for the import-file tests:
 * the bytes a file wrote, how they were split into writes, and whether it was ended or aborted.
 */
import type { ObjectUpload } from '../../src/bulk/objects.ts';

export interface MemoryUpload extends ObjectUpload {
  /** The object's bytes so far. */
  body(): Buffer;
  writes: number;
  state: 'open' | 'ended' | 'aborted';
}

export function memoryUpload(): MemoryUpload {
  const chunks: Uint8Array[] = [];
  const u: MemoryUpload = {
    writes: 0,
    state: 'open',
    body: () => Buffer.concat(chunks),
    write: async (chunk) => {
      // A copy, as an upload sends the bytes away: a writer that reuses a buffer shows up here.
      chunks.push(Uint8Array.from(chunk));
      u.writes += 1;
    },
    end: async () => {
      u.state = 'ended';
      return u.body().length;
    },
    abort: async () => {
      u.state = 'aborted';
    },
  };
  return u;
}
