/**
 * Crash injection for the resume tests: with QDRANT2MILVUS_CRASH_AT set, the job process kills
 * itself with SIGKILL at a chosen point, exactly as a power cut or `kill -9` would, so the tests can
 * prove that a resume ends with exactly the source's points. Unset (always, outside tests), every
 * call is a no-op.
 *
 *   QDRANT2MILVUS_CRASH_AT=<phase>:<collection>          at the start of a phase (create, copy, load, verify, done)
 *   QDRANT2MILVUS_CRASH_AT=checkpoint:<collection>:<n>   right after the n-th checkpoint of a collection
 *                                                        that covers acknowledged rows (the saves that
 *                                                        only record a fresh range split do not count)
 */
const spec = process.env.QDRANT2MILVUS_CRASH_AT?.split(':') ?? [];
const checkpoints = new Map<string, number>();

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}

export const crashHook = {
  atPhase(phase: string, collection: string): void {
    if (spec.length === 2 && spec[0] === phase && spec[1] === collection) die();
  },
  afterCheckpoint(collection: string, cp: { cursor: string | null; done: boolean; written: number; rejected?: number }): void {
    if (spec[0] !== 'checkpoint' || spec[1] !== collection) return;
    // "Mid-collection" means after data moved: a range saved before its first page is not that.
    if (cp.cursor === null && !cp.done && cp.written === 0 && !cp.rejected) return;
    const n = (checkpoints.get(collection) ?? 0) + 1;
    checkpoints.set(collection, n);
    if (n === Number(spec[2])) die();
  },
};
