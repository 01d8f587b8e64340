/**
 * Whether a collection exists, by the HasCollection RPC. Not the SDK's hasCollection(): that one
 * calls DescribeCollection and reads any error_code other than Success as "missing", and Milvus Lite
 * 2.5.1 answers DescribeCollection of a missing collection with error_code Success (code 100, null
 * schema), so the SDK says "exists" and a first migration stopped at TARGET_EXISTS.
 */
import { promisify } from '@zilliz/milvus2-sdk-node';
import type { MilvusConnection } from './client.ts';
import { call, type MilvusStatus } from './errors.ts';

export async function collectionExists(conn: MilvusConnection, name: string): Promise<boolean> {
  const { client, database } = conn;
  const res = await call(conn.ctx('HasCollection', name), () =>
    promisify(client.channelPool, 'HasCollection', { collection_name: name, db_name: database }, client.timeout) as Promise<{
      status?: MilvusStatus;
      value?: boolean;
    }>,
  );
  if (res.status) return res.value === true;
  // No status: the server does not implement HasCollection (the SDK turns UNIMPLEMENTED into `{}`).
  const shown = await call(conn.ctx('ShowCollections'), () => client.showCollections({ db_name: database }));
  return shown.data.some((c) => c.name === name);
}
