/**
 * Fault injection for the bulk-import tests, like jobs/crash-hook.ts for the upsert path. Unset
 * (always, outside tests), every call is a no-op.
 *
 *   QDRANT2MILVUS_BULK_CRASH=<stage>:<collection>:<file seq>   SIGKILL this process at a stage of one file:
 *       writing    after a page went into the file (parts of it may be uploaded, the object is not there yet)
 *       uploading  right before the upload is ended (the object becomes visible)
 *       uploaded   after the upload was recorded, before the Import call
 *       importing  right after the task id was recorded (the task runs on without us)
 *   QDRANT2MILVUS_BULK_FAULT=bad-row:<collection>:<file seq>   write that file's second row with a
 *       vector one dimension short, so its import task fails half-way (Milvus fails the whole file)
 */
const crash = process.env.QDRANT2MILVUS_BULK_CRASH?.split(':') ?? [];
const fault = process.env.QDRANT2MILVUS_BULK_FAULT?.split(':') ?? [];

export const bulkCrash = {
  at(stage: string, collection: string, seq: number): void {
    if (crash.length === 3 && crash[0] === stage && crash[1] === collection && Number(crash[2]) === seq) {
      process.kill(process.pid, 'SIGKILL');
    }
  },
};

export const bulkFault = {
  /** Index in the page being added of the row to corrupt, or -1. */
  badRow(collection: string, seq: number, rowsInFile: number, pageRows: number): number {
    if (fault[0] !== 'bad-row' || fault[1] !== collection || Number(fault[2]) !== seq) return -1;
    const i = 1 - rowsInFile;
    return i >= 0 && i < pageRows ? i : -1;
  },
};
