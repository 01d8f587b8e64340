/**
 * The SDK's own protobuf (de)serializers for one Milvus RPC, the reference our narrow codecs are
 * tested against byte for byte. A client is only needed for them: nothing is ever sent (port 1),
 * and it is closed after the test file.
 */
import { after } from 'node:test';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

export interface SdkCodec {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

// Made when a test file imports this module, so the close is a hook of the file's root.
const client = new MilvusClient({ address: '127.0.0.1:1', telemetry: { enabled: false } } as ConstructorParameters<typeof MilvusClient>[0]);
client.connectPromise.catch(() => undefined);
after(() => client.closeConnection().catch(() => undefined));

export async function sdkCodec(method: 'Upsert' | 'Query'): Promise<SdkCodec> {
  const pool = (client as unknown as { channelPool: { acquire(): Promise<Record<string, SdkCodec>>; release(c: unknown): void } }).channelPool;
  const stub = await pool.acquire();
  pool.release(stub);
  return stub[method]!;
}
