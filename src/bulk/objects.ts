/**
 * The object storage bulk import reads from: any S3-compatible endpoint (MinIO, moto, AWS S3, a
 * cloud bucket the target cluster reads).
 *
 * An import file is uploaded while it is written (`upload`): its bytes go out in parts of
 * PART_BYTES (a multipart upload, completed when the file ends), so the process never holds a
 * whole file: four ranges each holding a 64 MiB file peaked at 409 MB of array buffers (/tmp probe
 * of the Parquet writer, docs/performance.md). A file smaller than one part is one PutObject.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectsCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client, S3ServiceException, UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
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
  /** Starts writing one object, a part at a time. */
  upload(key: string): ObjectUpload;
  /** Whether the object exists (a resumed job checks a file before it submits it). */
  exists(key: string): Promise<boolean>;
  /**
   * Aborts every unfinished multipart upload whose key starts with `prefix` (what a process killed
   * mid-file left: its parts are stored and billed, yet never an object); resolves with how many.
   * Call it only where no upload under `prefix` can still be in progress.
   */
  abortUploads(prefix: string): Promise<number>;
  /** Deletes objects (absent ones count as deleted); resolves with the keys the server refused. */
  remove(keys: readonly string[]): Promise<string[]>;
  close(): void;
}

/** S3's smallest part (all but the last): what a range holds of a file on its way out. Every part
 *  but the last has exactly this size (some S3-compatible stores, e.g. R2, insist). */
export const PART_BYTES = 5 * 1024 * 1024;

/** One object being written. Calls are taken in order; at most one part is on its way at a time. */
export interface ObjectUpload {
  /** Adds bytes; resolves once they are buffered or sent (a write that fills a part waits for it). */
  write(chunk: Uint8Array): Promise<void>;
  /** Sends the rest and makes the object visible; resolves with its size in bytes. */
  end(): Promise<number>;
  /** Drops a started upload (its parts are deleted); never throws. */
  abort(): Promise<void>;
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
    upload: (key) => objectUpload(client, o.bucket, key, (e) => fail('upload', key, e)),
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }));
        return true;
      } catch (e) {
        if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404) return false;
        return fail('check', key, e);
      }
    },
    async abortUploads(prefix) {
      let aborted = 0;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (;;) {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket: o.bucket, Prefix: prefix, KeyMarker, UploadIdMarker }))
          .catch((e: unknown) => fail('list unfinished uploads under', prefix, e));
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !u.UploadId) continue;
          const { Key, UploadId } = u;
          await client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key, UploadId })).catch((e: unknown) => fail('abort the unfinished upload of', Key, e));
          aborted++;
        }
        if (!page.IsTruncated) return aborted;
        ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = page);
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

/** Part buffers of finished uploads, for the next ones: a part is copied into a buffer that lives
 *  as long as the job, instead of a new one per part left for the garbage collector (the peak RSS
 *  counts dead buffers until a collection runs). */
const spareParts: Buffer[] = [];

/** An ObjectUpload into `bucket`: parts of PART_BYTES once the object outgrows one, else one PUT. */
function objectUpload(client: S3Client, bucket: string, key: string, fail: (e: unknown) => never): ObjectUpload {
  const ContentType = key.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'application/json';
  let part: Buffer | undefined;
  let heldBytes = 0;
  let size = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const release = () => {
    if (part && spareParts.length < 8) spareParts.push(part);
    part = undefined;
    heldBytes = 0;
  };
  const sendPart = async (body: Uint8Array) => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType }))).UploadId;
    const PartNumber = parts.length + 1;
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }));
    parts.push({ ETag, PartNumber });
  };
  let queue: Promise<unknown> = Promise.resolve();
  // One call at a time, in order; a failure aborts the upload and fails every later call.
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f).catch(async (e: unknown) => {
      await abort();
      if (e instanceof MigrationError) throw e;
      return fail(e);
    });
    queue = next;
    return next;
  };
  const abort = async () => {
    const id = uploadId;
    uploadId = undefined;
    release();
    if (id) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id })).catch(() => undefined);
  };
  return {
    write: (chunk) => serial(async () => {
      size += chunk.length;
      for (let at = 0; at < chunk.length;) {
        part ??= spareParts.pop() ?? Buffer.allocUnsafe(PART_BYTES);
        const n = Math.min(chunk.length - at, PART_BYTES - heldBytes);
        part.set(chunk.subarray(at, at + n), heldBytes);
        heldBytes += n;
        at += n;
        // The request has ended before the buffer takes the next bytes (calls are serial).
        if (heldBytes === PART_BYTES) {
          await sendPart(part);
          heldBytes = 0;
        }
      }
    }),
    end: () => serial(async () => {
      const rest = part ? part.subarray(0, heldBytes) : Buffer.alloc(0);
      if (uploadId === undefined) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: rest, ContentType }));
      } else {
        await sendPart(rest);
        await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        uploadId = undefined;
      }
      release();
      return size;
    }),
    abort: () => queue.then(abort, abort),
  };
}
