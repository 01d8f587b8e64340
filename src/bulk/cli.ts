/**
 * `migrate --mode bulk` (issue 14): the flags, their checks, and the plan-time refusal of a target
 * that runs no import jobs (Milvus Lite), found by probing the target, not by reading its version.
 * The object-storage keys are sealed in the job store (never in the job's options, never logged).
 */
import type { Command } from 'commander';
import { configError } from '../core/errors.ts';
import type { CollectionPlan } from '../core/types.ts';
import { withUserinfo } from '../core/url-credentials.ts';
import { connectMilvus } from '../milvus/client.ts';
import { grpcImporter } from './importer.ts';
import { BULK_RECOMMENDED_FROM } from './estimate.ts';
import { BULK_FORMATS, checkLayout, DEFAULT_BULK_FORMAT, type BulkFormat } from './formats.ts';
import { bulkJobOptions, DEFAULT_BULK_PREFIX, type BulkJobOptions, type CopyMode } from './job.ts';
import type { BulkCredentials } from './file-log.ts';
import { restImporter } from './rest-import.ts';

export interface BulkFlags {
  mode?: CopyMode;
  bulkEndpoint?: string;
  bulkBucket?: string;
  bulkPrefix?: string;
  bulkAccessKey?: string;
  bulkSecretKey?: string;
  bulkApi?: 'grpc' | 'rest';
  bulkFileKb?: number;
  bulkFormat?: BulkFormat;
  bulkRegion?: string;
}

export function addBulkFlags(cmd: Command, parse: { oneOf: <T extends string>(a: readonly T[]) => (v: string) => T; intIn: (a: number, b: number) => (v: string) => number }): Command {
  return cmd
    .option('--mode <upsert|bulk>', `upsert: write through the target's insert path (default); bulk: write import files to the target's object storage and run the target's import jobs (Milvus 2.2+; not Milvus Lite; recommended from ${BULK_RECOMMENDED_FROM.toLocaleString('en-US')} points, as measured on Milvus 2.3.5)`, parse.oneOf(['upsert', 'bulk'] as const))
    .option('--bulk-endpoint <url>', 'bulk: S3-compatible endpoint of the bucket the target reads, e.g. http://minio:9000 (env QDRANT2MILVUS_BULK_ENDPOINT)')
    .option('--bulk-bucket <name>', "bulk: the target's bucket (Milvus: minio.bucketName, default a-bucket) (env QDRANT2MILVUS_BULK_BUCKET)")
    .option('--bulk-prefix <path>', `bulk: object key prefix of the import files; each job writes under <prefix>/<job id>/ (default ${DEFAULT_BULK_PREFIX})`)
    .option('--bulk-access-key <key>', 'bulk: object-storage access key (env QDRANT2MILVUS_BULK_ACCESS_KEY)')
    .option('--bulk-secret-key <key>', 'bulk: object-storage secret key (env QDRANT2MILVUS_BULK_SECRET_KEY; prefer the env var: flags show in `ps`)')
    .option('--bulk-api <grpc|rest>', 'bulk: grpc = the Import RPC, one file per task (Milvus 2.2-2.3, tested on 2.3.5; default); rest = /v2/vectordb/jobs/import, several files per job (Milvus 2.4+, Zilliz Cloud: UNTESTED against a live server here)', parse.oneOf(['grpc', 'rest'] as const))
    .option('--bulk-format <parquet|json>', `bulk: import file format (default ${DEFAULT_BULK_FORMAT}; Milvus 2.3.4+ reads Parquet). Measured on Milvus 2.3.5 (bench/bulk.ts, 128-d): Parquet imported 2-2.8x faster than JSON and beat upsert from ~100k points (1M: 127 s vs upsert 199 s); JSON never beat upsert`, parse.oneOf(BULK_FORMATS))
    .option('--bulk-region <name>', "bulk: the bucket's region, used to sign requests (default us-east-1; MinIO ignores it; AWS S3 needs the bucket's own)")
    .option('--bulk-file-kb <n>', 'bulk: import file size in KiB, 16 to 1048576 (default 65536: 64 MiB; each import task costs ~2 s, so small files are slow)', parse.intIn(16, 1024 * 1024));
}

/** The job options and keys of a bulk run; undefined for upsert. Throws config errors naming the flag. */
export function bulkSpec(flags: BulkFlags, env: NodeJS.ProcessEnv = process.env): { options: BulkJobOptions; credentials: BulkCredentials } | undefined {
  if ((flags.mode ?? 'upsert') !== 'bulk') {
    const stray = (['bulkEndpoint', 'bulkBucket', 'bulkAccessKey', 'bulkSecretKey', 'bulkApi', 'bulkFileKb', 'bulkFormat', 'bulkRegion'] as const).find((k) => flags[k] !== undefined);
    if (stray) throw configError('BULK_FLAG_WITHOUT_MODE', `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to bulk mode only.`, 'Add --mode bulk, or drop the --bulk-* flags.');
    return undefined;
  }
  const endpoint = flags.bulkEndpoint ?? env.QDRANT2MILVUS_BULK_ENDPOINT;
  const bucket = flags.bulkBucket ?? env.QDRANT2MILVUS_BULK_BUCKET;
  const accessKey = flags.bulkAccessKey ?? env.QDRANT2MILVUS_BULK_ACCESS_KEY;
  const secretKey = flags.bulkSecretKey ?? env.QDRANT2MILVUS_BULK_SECRET_KEY;
  const missing = [!endpoint && '--bulk-endpoint', !bucket && '--bulk-bucket', !accessKey && '--bulk-access-key', !secretKey && '--bulk-secret-key'].filter(Boolean);
  if (missing.length > 0) {
    throw configError('BULK_FLAGS_MISSING', `--mode bulk needs ${missing.join(', ')}.`, "Give the S3-compatible endpoint and bucket the target's data nodes read, with keys allowed to write to it.");
  }
  if (!/^https?:\/\//.test(endpoint!)) throw configError('BULK_ENDPOINT_INVALID', `--bulk-endpoint must be an http(s) URL, not "${endpoint}".`, 'e.g. --bulk-endpoint http://minio:9000');
  return {
    options: bulkJobOptions({
      endpoint: endpoint!, bucket: bucket!, prefix: flags.bulkPrefix, api: flags.bulkApi,
      fileKb: flags.bulkFileKb, format: flags.bulkFormat, region: flags.bulkRegion,
    }),
    credentials: { accessKey: accessKey!, secretKey: secretKey! },
  };
}

/**
 * Refuses bulk before anything is created where it cannot work: a collection the import files
 * cannot carry, or a target that answers no import RPC (Milvus Lite: UNIMPLEMENTED).
 */
export async function checkBulkTarget(spec: BulkJobOptions, target: { uri: string; token?: string; database: string }, collections: CollectionPlan[]): Promise<void> {
  for (const c of collections) await checkLayout(c, spec.format ?? DEFAULT_BULK_FORMAT);
  let available: boolean;
  if (spec.api === 'rest') {
    available = await restImporter({ uri: target.uri, token: target.token, database: target.database }).available();
  } else {
    const conn = await connectMilvus({ uri: withUserinfo(target.uri, undefined), token: target.token, database: target.database });
    try {
      available = await grpcImporter(conn.client, (op, c) => conn.ctx(op, c)).available();
    } finally {
      await conn.close();
    }
  }
  if (!available) {
    throw configError('BULK_UNSUPPORTED', `The target ${target.uri} runs no import jobs (${spec.api === 'rest' ? 'no REST import API' : 'the Import RPC is missing'}; Milvus Lite has none).`, 'Migrate with --mode upsert (the default), or point --target-uri at a Milvus 2.2+ cluster or Zilliz Cloud.');
  }
}
