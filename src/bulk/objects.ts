/**
 * The object storage bulk import reads from: any S3-compatible endpoint (MinIO, moto, AWS S3, a
 * cloud bucket the target cluster reads). One PutObject per import file; files are sized well
 * under S3's 5 GB single-PUT limit (BulkOptions.fileBytes), so no multipart upload is needed.
 */
import { DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { configError, MigrationError, redact } from '../core/errors.ts';

export interface ObjectStoreOptions {
  /** `http://host:port` or `https://...`. */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** Default us-east-1 (MinIO and moto accept any). */
  region?: string;
}

export interface ObjectStore {
  /** `<endpoint>/<bucket>`, for messages. */
  readonly location: string;
  /** Writes one object; resolves once the server stored it. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** Whether the object exists (a resumed job checks a file before it submits it). */
  exists(key: string): Promise<boolean>;
  /** Deletes objects (absent ones count as deleted); resolves with the keys the server refused. */
  remove(keys: readonly string[]): Promise<string[]>;
  close(): void;
}

export function openObjectStore(o: ObjectStoreOptions): ObjectStore {
  // The pinned SDK runs on Node 20 (package.json engines); its notice is about later releases,
  // which the pin keeps out, and would otherwise land in every bulk job's output and log.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    endpoint: o.endpoint,
    region: o.region ?? 'us-east-1',
    // Path-style: MinIO, moto and most self-hosted endpoints have no per-bucket DNS names.
    forcePathStyle: true,
    credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey },
    maxAttempts: 5,
  });
  const secrets = [o.secretKey, o.accessKey];
  const fail = (op: string, key: string, e: unknown): never => {
    throw storageError(op, `${o.endpoint.replace(/\/+$/, '')}/${o.bucket}/${key}`, e, secrets);
  };
  return {
    location: `${o.endpoint.replace(/\/+$/, '')}/${o.bucket}`,
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: body, ContentType: key.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'application/json' })).catch((e: unknown) => fail('upload', key, e));
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }));
        return true;
      } catch (e) {
        if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404) return false;
        return fail('check', key, e);
      }
    },
    async remove(keys) {
      const refused: string[] = [];
      // DeleteObjects takes at most 1,000 keys a request; Quiet: the answer lists only the failures.
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const res = await client.send(new DeleteObjectsCommand({ Bucket: o.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }))
          .catch((e: unknown) => fail('delete', chunk[0]!, e));
        refused.push(...(res.Errors ?? []).map((e) => `${e.Key ?? '?'} (${e.Code ?? 'error'})`));
      }
      return refused;
    },
    close: () => client.destroy(),
  };
}

/** Auth and missing buckets are config errors (fix the flags); everything else is transient. */
function storageError(op: string, where: string, e: unknown, secrets: string[]): MigrationError {
  const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
  const name = e instanceof Error ? e.name : 'Error';
  const reason = redact(e instanceof Error ? e.message : String(e), secrets);
  if (status === 403 || status === 401 || name === 'NoSuchBucket' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return configError('BULK_STORAGE_REFUSED', `Cannot ${op} ${where}: ${name} (${reason}).`, 'Check --bulk-endpoint, --bulk-bucket and the access/secret keys: the bucket must exist and the keys must allow PutObject.', e);
  }
  return new MigrationError({ code: 'BULK_STORAGE_FAILED', kind: 'transient', message: `Cannot ${op} ${where}: ${name} (${reason}).`, cause: e });
}
