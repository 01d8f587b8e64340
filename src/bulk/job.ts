/**
 * Bulk mode in a job (issue 14): the job spec's fields, and what the engine calls to get the
 * collection copier (MigrationOptions.copy) for a bulk job.
 *
 * Job spec (JobSpec.options, stored as JSON; no secret in it):
 *   mode: 'upsert' | 'bulk'                    default 'upsert'
 *   bulk: {
 *     endpoint: string   S3-compatible endpoint the target's data nodes read, e.g. http://minio:9000
 *     bucket:   string   the target's bucket (Milvus: minio.bucketName, default a-bucket)
 *     prefix:   string   object key prefix for this tool's files (default q2m); files go under <prefix>/<job id>/
 *     api?:     'grpc' | 'rest'   grpc: Import RPC, one file per task (Milvus 2.2-2.3, probed on 2.3.5);
 *                        rest: /v2/vectordb/jobs/import (Milvus 2.4+, Zilliz Cloud; untested against a live server)
 *     fileBytes?: number import file size (default 64 MiB)
 *     format?:  'parquet' | 'json'   import file format (default DEFAULT_BULK_FORMAT, formats.ts)
 *     region?:  string   the bucket's region, for request signing (default us-east-1; MinIO ignores it)
 *   }
 * The access and secret keys are sealed in the job store (BulkFileLog.saveCredentials) right after
 * the job is created: `saveBulkCredentials(store.dataDir, job.id, { accessKey, secretKey })`.
 */
import { configError } from '../core/errors.ts';
import type { CopyOptions, CopyStats } from '../core/pipeline.ts';
import { withUserinfo } from '../core/url-credentials.ts';
import { connectMilvus } from '../milvus/client.ts';
import type { Secrets } from '../jobs/job-secrets.ts';
import type { Job } from '../jobs/types.ts';
import { copyCollectionBulk } from './copy.ts';
import type { BulkFormat } from './formats.ts';
import { BulkFileLog, type BulkCredentials } from './file-log.ts';
import { grpcImporter, type Importer } from './importer.ts';
import { restImporter } from './rest-import.ts';

export type CopyMode = 'upsert' | 'bulk';

export interface BulkJobOptions {
  endpoint: string;
  bucket: string;
  prefix?: string;
  api?: 'grpc' | 'rest';
  fileBytes?: number;
  /** Default DEFAULT_BULK_FORMAT (formats.ts). A resumed job keeps the format it started with. */
  format?: BulkFormat;
  /** The bucket's region (request signing). Default us-east-1. */
  region?: string;
  /** Between two task-state polls, ms. Default 500. */
  pollMs?: number;
}

export const DEFAULT_BULK_PREFIX = 'q2m';

/** What a user chose for a bulk job, as the CLI flags and the API's `options.storage` both say it. */
export interface BulkChoices {
  endpoint: string;
  bucket: string;
  prefix?: string;
  api?: 'grpc' | 'rest';
  /** Import file size in KiB. */
  fileKb?: number;
  format?: BulkFormat;
  region?: string;
}

/** The stored job spec for those choices: the one place defaults and units are applied. */
export function bulkJobOptions(c: BulkChoices): BulkJobOptions {
  return {
    endpoint: c.endpoint, bucket: c.bucket, prefix: c.prefix ?? DEFAULT_BULK_PREFIX,
    ...(c.api && { api: c.api }),
    ...(c.fileKb && { fileBytes: c.fileKb * 1024 }),
    ...(c.format && { format: c.format }),
    ...(c.region && { region: c.region }),
  };
}

export function saveBulkCredentials(dataDir: string, jobId: string, c: BulkCredentials): void {
  BulkFileLog.saveCredentials(dataDir, jobId, c);
}

export interface BulkCopier {
  copy: (options: CopyOptions) => Promise<CopyStats>;
  close: () => Promise<void>;
}

/** The copier of a bulk job; undefined for an upsert job. */
export async function openBulkCopier(job: Job, secrets: Secrets, dataDir: string, retryBudgetMs: number): Promise<BulkCopier | undefined> {
  const options = job.options as { mode?: CopyMode; bulk?: BulkJobOptions };
  if (options.mode !== 'bulk') return undefined;
  const spec = options.bulk;
  if (!spec?.endpoint || !spec.bucket) {
    throw configError('BULK_OPTIONS_MISSING', `Job ${job.id} is a bulk job without an object-storage endpoint and bucket.`, 'Start a new job with --bulk-endpoint and --bulk-bucket.');
  }
  const files = BulkFileLog.open(dataDir, job.id);
  const keys = files.credentials(dataDir);
  if (!keys) {
    files.close();
    throw configError('BULK_CREDENTIALS_MISSING', `Job ${job.id} has no object-storage credentials.`, 'Start a new job with --bulk-access-key and --bulk-secret-key.');
  }
  // Loaded here only: the AWS SDK costs every other job ~0.5 s of imports (and a Node version notice).
  const { openObjectStore } = await import('./objects.ts');
  const objects = openObjectStore({ endpoint: spec.endpoint, bucket: spec.bucket, accessKey: keys.accessKey, secretKey: keys.secretKey, ...(spec.region && { region: spec.region }) });
  const uri = withUserinfo(job.target.uri, secrets.targetUserinfo);
  let importer: Importer;
  let closeTarget = async () => undefined as void;
  if (spec.api === 'rest') {
    importer = restImporter({ uri, token: secrets.token, database: job.target.database });
  } else {
    const conn = await connectMilvus({ uri, token: secrets.token, database: job.target.database });
    importer = grpcImporter(conn.client, (op, c) => conn.ctx(op, c), { budgetMs: retryBudgetMs });
    closeTarget = () => conn.close();
  }
  const prefix = `${(spec.prefix ?? DEFAULT_BULK_PREFIX).replace(/\/+$/, '')}/${job.id}`;
  return {
    copy: (o) => copyCollectionBulk(o, { importer, objects, files, prefix, fileBytes: spec.fileBytes, format: spec.format, pollMs: spec.pollMs }),
    close: async () => {
      objects.close();
      files.close();
      await closeTarget();
    },
  };
}
