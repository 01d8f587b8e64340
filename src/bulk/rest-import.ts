/**
 * Import jobs through Milvus 2.4+'s REST API (the one Zilliz Cloud serves), behind the same
 * Importer interface as the gRPC path. UNTESTED AGAINST A LIVE SERVER: no server installable here
 * has it (Milvus 2.3.5 has only the gRPC Import). Its requests follow the documented API and
 * test/unit/bulk-rest-import.test.ts checks their shapes:
 *
 *   POST {uri}/v2/vectordb/jobs/import/create        {dbName, collectionName, files: [[key], ...]}  → data.jobId
 *   POST {uri}/v2/vectordb/jobs/import/get_progress  {dbName, jobId}  → data.state Pending|Importing|Completed|Failed, data.reason, data.details[].fileName
 *   POST {uri}/v2/vectordb/jobs/import/list          {dbName, collectionName}  → data.records[].jobId
 *
 * Each inner list of `files` is one file (row-based JSON or Parquet): one job takes several files (filesPerTask).
 * Auth: `Authorization: Bearer <token>` (`user:password` or a Zilliz API key). Success is
 * `code` 0 (Milvus) or 200 (Zilliz Cloud); anything else is an error with the server's message.
 */
import { configError, redact, transientError } from '../core/errors.ts';
import type { Importer, TaskState } from './importer.ts';

export interface RestImportOptions {
  /** The cluster's endpoint, e.g. `https://in01-xxx.zillizcloud.com` or `http://milvus:19530`. */
  uri: string;
  token?: string;
  database?: string;
  /** Injected by tests. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Most files one REST import job takes (Milvus's default `maxFilesPerImportReq` is 1024). */
export const REST_FILES_PER_JOB = 1024;

interface Envelope<T> {
  code?: number;
  message?: string;
  data?: T;
}

export function restTaskState(state: string | undefined): TaskState {
  switch (state) {
    case 'Completed':
      return 'completed';
    case 'Failed':
      return 'failed';
    case 'Pending':
      return 'pending';
    default:
      return 'running';
  }
}

export function restImporter(o: RestImportOptions): Importer {
  const base = o.uri.replace(/\/+$/, '').replace(/^(?!https?:\/\/)/, 'http://');
  const dbName = o.database || 'default';
  const doFetch = o.fetch ?? globalThis.fetch;
  const post = async <T>(path: string, body: Record<string, unknown>): Promise<T> => {
    const url = `${base}/v2/vectordb/jobs/import/${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    } catch (e) {
      throw transientError('BULK_IMPORT_UNAVAILABLE', `POST ${url} failed: ${redact((e as Error).message, [o.token])}`, e);
    }
    if (res.status === 404) throw configError('BULK_IMPORT_UNSUPPORTED', `${base} has no REST import API (POST ${url}: 404).`, 'Use --bulk-api grpc (Milvus 2.2-2.3) or --mode upsert.');
    if (res.status >= 500 || res.status === 429) throw transientError('BULK_IMPORT_UNAVAILABLE', `POST ${url}: HTTP ${res.status}.`);
    const env = (await res.json().catch(() => ({}))) as Envelope<T>;
    if (res.status >= 400 || (env.code !== 0 && env.code !== 200)) {
      throw configError('BULK_IMPORT_REFUSED', `POST ${url} refused (HTTP ${res.status}, code ${env.code}): ${redact(env.message ?? 'no message', [o.token])}.`, 'Check the token, database, collection and that the files are in the bucket the cluster reads.');
    }
    return env.data as T;
  };
  const progress = (jobId: string) =>
    post<{ state?: string; reason?: string; importedRows?: number; details?: Array<{ fileName?: string }> }>('get_progress', { dbName, jobId });
  return {
    kind: 'rest',
    filesPerTask: REST_FILES_PER_JOB,
    async available() {
      try {
        await post('list', { dbName });
        return true;
      } catch {
        return false;
      }
    },
    async submit(collection, keys) {
      const data = await post<{ jobId?: string }>('create', { dbName, collectionName: collection, files: keys.map((k) => [k]) });
      if (!data?.jobId) throw configError('BULK_NO_TASK', `Import of ${keys.length} file(s) into ${collection} returned no job id.`, 'Check the cluster\'s import settings.');
      return String(data.jobId);
    },
    async status(jobId) {
      const data = await progress(jobId);
      const state = restTaskState(data?.state);
      return { state, rows: data?.importedRows, ...(state === 'failed' ? { reason: data?.reason || 'no reason given' } : {}) };
    },
    async findTask(collection, key) {
      const data = await post<{ records?: Array<{ jobId?: string; collectionName?: string }> }>('list', { dbName, collectionName: collection });
      for (const r of data?.records ?? []) {
        if (!r.jobId || (r.collectionName && r.collectionName !== collection)) continue;
        const p = await progress(r.jobId);
        if ((p?.details ?? []).some((d) => d.fileName === key || d.fileName?.endsWith(`/${key}`))) return r.jobId;
      }
      return undefined;
    },
  };
}
