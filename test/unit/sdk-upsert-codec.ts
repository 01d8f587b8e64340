/**
 * The Milvus SDK's own protobufjs (de)serializer of UpsertRequest, the reference our encoder is
 * held to. A client is only needed for its stubs: nothing is ever sent (port 1).
 */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

interface Codec {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
}

export function sdkUpsertCodec() {
  const client = new MilvusClient({ address: '127.0.0.1:1', telemetry: { enabled: false } } as ConstructorParameters<typeof MilvusClient>[0]);
  client.connectPromise.catch(() => undefined);
  const pool = (client as unknown as { channelPool: { acquire(): Promise<Record<string, Codec>>; release(c: unknown): void } }).channelPool;
  let upsert: Promise<Codec> | undefined;
  const get = () => (upsert ??= pool.acquire().then((stub) => {
    pool.release(stub);
    return stub.Upsert!;
  }));
  return {
    serialize: async (message: unknown) => (await get()).requestSerialize(message),
    deserialize: async (bytes: Buffer) => (await get()).requestDeserialize(bytes),
    close: () => client.closeConnection().catch(() => undefined),
  };
}
