/**
 * Milvus's import jobs, behind one interface for the two APIs that exist:
 *
 * - gRPC `Import` / `GetImportState` / `ListImportTasks` (Milvus 2.2-2.3; the SDK's bulkInsert):
 *   one file per task. Probed on Milvus 2.3.5 here.
 * - REST `/v2/vectordb/jobs/import/*` (Milvus 2.4+, Zilliz Cloud): several files per job. Built from
 *   the documented API (rest-import.ts) and unit-tested against its request shapes only: no server
 *   here has it.
 *
 * A task is the unit of atomicity: it imports all of its files or none (one bad row fails the task),
 * and a file imported twice duplicates its rows, so the caller records each task before it submits
 * another and never submits a file twice (copy.ts).
 */
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { configError } from '../core/errors.ts';
import { withRetry, type RetryOptions } from '../core/retry.ts';
import { call, type ErrorContext } from '../milvus/errors.ts';

export type TaskState = 'pending' | 'running' | 'completed' | 'failed';

export interface TaskStatus {
  state: TaskState;
  /** Rows the task imported (completed tasks). */
  rows?: number;
  /** Why it failed, as the server says. */
  reason?: string;
}

export interface Importer {
  readonly kind: 'grpc' | 'rest';
  /** Most files one task takes. */
  readonly filesPerTask: number;
  /** Whether the target runs imports at all (Milvus Lite does not): a probe, not a version check. */
  available(): Promise<boolean>;
  /** Starts one task over `keys` (object keys in the target's bucket); resolves with its id. */
  submit(collection: string, keys: string[]): Promise<string>;
  status(taskId: string): Promise<TaskStatus>;
  /** The task that took `key`, if the server knows one: a resumed job whose submit answer was lost
   *  asks this before it submits the file again. */
  findTask(collection: string, key: string): Promise<string | undefined>;
}

interface ImportStateResponse {
  id?: string | number;
  state?: string;
  row_count?: string | number;
  infos?: Array<{ key: string; value: string }>;
  status?: { error_code?: string | number; code?: number; reason?: string };
}

/** Milvus 2.3's ImportState names, to ours. */
export function grpcTaskState(state: string | undefined): TaskState {
  switch (state) {
    case 'ImportCompleted':
      return 'completed';
    case 'ImportFailed':
    case 'ImportFailedAndCleaned':
      return 'failed';
    case 'ImportPending':
      return 'pending';
    default:
      // ImportStarted, ImportPersisted (rows written, index building): still running.
      return 'running';
  }
}

export function grpcImporter(client: MilvusClient, ctx: (op: string, collection?: string) => ErrorContext, retry: RetryOptions = {}): Importer {
  const rpc = <T>(fn: () => Promise<T>) => withRetry(() => fn(), retry);
  const info = (r: ImportStateResponse, key: string) => r.infos?.find((i) => i.key === key)?.value;
  return {
    kind: 'grpc',
    filesPerTask: 1,
    async available() {
      // Milvus Lite answers UNIMPLEMENTED, which the SDK turns into an OK answer of `{}`: no status.
      const res = (await client.listImportTasks({ collection_name: '_q2m_probe', limit: 1 }).catch(() => ({}))) as { status?: unknown };
      return res.status !== undefined;
    },
    async submit(collection, keys) {
      const res = await rpc(() => call(ctx('Import', collection), () => client.bulkInsert({ collection_name: collection, files: keys })));
      const id = (res as { tasks?: Array<string | number> }).tasks?.[0];
      if (id === undefined) throw configError('BULK_NO_TASK', `Import of ${keys.join(', ')} into ${collection} started no task.`, 'Check that the target runs import jobs (Milvus 2.2+, not Milvus Lite).');
      return String(id);
    },
    async status(taskId) {
      const res = (await rpc(() => call(ctx('GetImportState'), () => client.getImportState({ task: taskId as unknown as number })))) as unknown as ImportStateResponse;
      const state = grpcTaskState(res.state);
      return { state, rows: Number(res.row_count ?? 0), ...(state === 'failed' ? { reason: info(res, 'failed_reason') ?? 'no reason given' } : {}) };
    },
    async findTask(collection, key) {
      const res = (await rpc(() => call(ctx('ListImportTasks', collection), () => client.listImportTasks({ collection_name: collection, limit: 0 })))) as unknown as { tasks?: ImportStateResponse[] };
      const task = (res.tasks ?? []).find((t) => (info(t, 'files') ?? '').split(',').includes(key));
      return task?.id === undefined ? undefined : String(task.id);
    },
  };
}

