/**
 * Import files are uploaded while they are written (src/bulk/objects.ts `upload`): on a real
 * S3 API (moto, testkit/s3), a file larger than a part arrives whole and byte for byte through a
 * multipart upload (moto refuses parts under 5 MiB but the last); a small one is one PUT; an
 * aborted upload leaves neither an object nor an unfinished upload; what a killed run left
 * unfinished is aborted by its collection's prefix; a bucket that does not exist is a config error
 * naming the object and the fix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startS3, type S3Server } from '../../testkit/s3/launcher.ts';
import { openObjectStore, PART_BYTES, type ObjectStore } from '../../src/bulk/objects.ts';
import { mulberry32 } from '../../testkit/datasets/prng.ts';

let s3: S3Server;
let client: S3Client;
let store: ObjectStore;
const Bucket = 'up-bucket';

before(async () => {
  s3 = await startS3();
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
  await client.send(new CreateBucketCommand({ Bucket }));
  store = openObjectStore({ endpoint: s3.endpoint, bucket: Bucket, accessKey: s3.accessKey, secretKey: s3.secretKey });
});
after(async () => {
  store?.close();
  client?.destroy();
  await s3?.stop();
});

async function read(Key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Random bytes (they do not compress) written in uneven chunks. */
function chunks(total: number, seed: number): Buffer[] {
  const rng = mulberry32(seed);
  const out: Buffer[] = [];
  for (let left = total; left > 0;) {
    const n = Math.min(left, 1 + Math.floor(rng() * 3_000_000));
    out.push(Buffer.from(Array.from({ length: n }, () => Math.floor(rng() * 256))));
    left -= n;
  }
  return out;
}

describe('import file upload', () => {
  it('a file of several parts arrives byte for byte; a small one too', async () => {
    for (const [key, size] of [['big.parquet', 2 * PART_BYTES + 12_345], ['small.json', 1000]] as const) {
      const parts = chunks(size, size);
      const up = store.upload(key);
      for (const c of parts) await up.write(c);
      assert.equal(await up.end(), size);
      assert.ok((await read(key)).equals(Buffer.concat(parts)), key);
    }
  });

  it('an aborted upload leaves no object and no unfinished upload', async () => {
    const up = store.upload('dropped.parquet');
    for (const c of chunks(PART_BYTES + 10, 3)) await up.write(c);
    await up.abort();
    const objects = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'dropped' }));
    assert.equal(objects.KeyCount ?? 0, 0);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: 'dropped' }));
    assert.deepEqual(uploads.Uploads ?? [], []);
  });

  it("what a killed run left unfinished is aborted by prefix; another collection's upload is left alone", async () => {
    // Two uploads with a part sent each and never ended (as a process killed mid-file leaves them).
    for (const key of ['q2m/j9/docs/r0-f0.parquet', 'q2m/j9/other/r0-f0.parquet']) {
      const up = store.upload(key);
      for (const c of chunks(PART_BYTES + 10, 5)) await up.write(c);
    }
    const left = async (Prefix: string) => (await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix }))).Uploads?.map((u) => u.Key) ?? [];
    assert.deepEqual(await left('q2m/j9/'), ['q2m/j9/docs/r0-f0.parquet', 'q2m/j9/other/r0-f0.parquet']);
    assert.equal(await store.abortUploads('q2m/j9/docs/'), 1);
    assert.deepEqual(await left('q2m/j9/'), ['q2m/j9/other/r0-f0.parquet']);
    assert.equal(await store.abortUploads('q2m/j9/docs/'), 0, 'nothing left to abort');
    const objects = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'q2m/j9/' }));
    assert.equal(objects.KeyCount ?? 0, 0, 'no object appeared');
    await store.abortUploads('q2m/j9/');
  });

  it('a bucket that does not exist fails the upload with a config error naming the object and the fix', async () => {
    const missing = openObjectStore({ endpoint: s3.endpoint, bucket: 'no-such-bucket', accessKey: s3.accessKey, secretKey: s3.secretKey });
    try {
      const up = missing.upload('q2m/x.parquet');
      await assert.rejects(async () => {
        await up.write(Buffer.alloc(10));
        await up.end();
      }, (e: Error & { code?: string; fix?: string }) => e.code === 'BULK_STORAGE_REFUSED' && /no-such-bucket\/q2m\/x\.parquet/.test(e.message) && /--bulk-bucket/.test(String(e.fix)));
    } finally {
      missing.close();
    }
  });
});
