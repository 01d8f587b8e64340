/**
 * Issue 10, discovery: describe() reads Qdrant's payload_schema (types, is_tenant, is_principal,
 * points) the same over REST and gRPC, and samples points for each key's stats in a few requests,
 * spread over the id space. Source: the Qdrant test server (its REST answers audited against
 * Qdrant's OpenAPI spec), or real Qdrant 1.19 with Q2M_SOURCE=real (seeded with its payload
 * indexes through PUT /collections/{c}/index).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { PayloadKeyStats } from '../../src/core/payload-schema.ts';
import { createQdrantReader } from '../../src/qdrant/index.ts';
import { dataset } from '../../testkit/datasets/index.ts';
import { WITHOUT_QUERY } from '../../testkit/qdrant/faults.ts';
import { createResponseAuditor } from '../../testkit/qdrant/openapi.ts';
import { startRealQdrant, type RealQdrant } from '../../testkit/qdrant/real.ts';
import { realQdrantRequest, seedRealQdrant } from '../../testkit/qdrant/real-seed.ts';
import { startQdrantTestServer, type QdrantTestServer } from '../../testkit/qdrant/server.ts';
import { cliBin } from '../helpers/cli-bin.ts';

/** The user's Qdrant (the matrix's real legs): seeded into a unique collection, dropped after. */
const userUrl = process.env.QDRANT_URL;
const apiKey = userUrl ? process.env.QDRANT_API_KEY : undefined;
const real = !userUrl && process.env.Q2M_SOURCE === 'real';
const collection = userUrl ? `q2m_payload_discovery_${process.pid}` : 'payload';
let server: QdrantTestServer | undefined;
let realQdrant: RealQdrant | undefined;
let restUrl = '';
let grpcPort = 0;
const auditor = createResponseAuditor();
/** REST requests per path kind, to show how few the sample costs. */
const requests: string[] = [];
let faulty = false;

before(async () => {
  if (userUrl) {
    restUrl = userUrl;
    grpcPort = Number(process.env.QDRANT_GRPC_PORT ?? 6334);
    await seedRealQdrant(restUrl, apiKey, { ...dataset('payload'), collection });
  } else if (real) {
    realQdrant = await startRealQdrant();
    await seedRealQdrant(realQdrant.restUrl, undefined, dataset('payload'));
    restUrl = realQdrant.restUrl;
    grpcPort = realQdrant.grpcPort;
  } else {
    server = await startQdrantTestServer({
      datasets: [{ name: 'payload' }],
      onResponse: (info) => {
        // An endpoint a fault made absent answers as an old Qdrant would, outside the 1.19 spec.
        if (!faulty) auditor.onResponse(info);
        requests.push(`${info.method} ${info.path.replace(/^\/collections\/payload/, '')}`);
      },
    });
    restUrl = server.restUrl;
    grpcPort = server.grpcPort!;
  }
  console.log(`# source: ${userUrl ? 'the given Qdrant' : real ? 'real Qdrant 1.19' : 'Qdrant test server'} at ${restUrl}`);
});

after(async () => {
  if (userUrl) await realQdrantRequest(restUrl, apiKey, 'DELETE', `/collections/${collection}`).catch(() => undefined);
  await server?.stop();
  await realQdrant?.stop();
  if (server) auditor.assertClean();
});

const open = (transport: 'rest' | 'grpc') => createQdrantReader({ url: restUrl, grpcPort, transport, ...(apiKey && { apiKey }) });

const byKey = (keys: PayloadKeyStats[] | undefined) => new Map((keys ?? []).map((k) => [k.key, k]));

describe('payload keys from payload_schema and a sample', () => {
  it('reads every Qdrant index type with is_tenant / is_principal, the same over REST and gRPC', async () => {
    const described = [];
    for (const transport of ['rest', 'grpc'] as const) {
      const reader = open(transport);
      try {
        described.push(await reader.describe(collection));
      } finally {
        await reader.close();
      }
    }
    const [rest, grpc] = described as [NonNullable<(typeof described)[0]>, NonNullable<(typeof described)[0]>];
    assert.deepEqual(grpc.payloadSchema, rest.payloadSchema);
    assert.deepEqual(grpc.payloadKeys, rest.payloadKeys);
    const types = Object.fromEntries(Object.entries(rest.payloadSchema).map(([k, s]) => [k, s.dataType]));
    assert.deepEqual(types, {
      tenant: 'keyword', category: 'keyword', sku: 'uuid', count: 'integer', price: 'float', in_stock: 'bool',
      created_at: 'datetime', body: 'text', location: 'geo', tags: 'keyword', ranks: 'integer',
    });
    assert.equal(rest.payloadSchema.tenant?.isTenant, true);
    assert.equal(rest.payloadSchema.created_at?.isPrincipal, true);
    // 300 points, 6 without payload; empty `tags` arrays are not indexed.
    assert.equal(rest.payloadSchema.count?.points, 294);
    assert.equal(rest.payloadSchema.tags?.points, 237);
  });

  it('samples the whole collection when it is no larger than the sample: exact stats', async () => {
    const reader = open('grpc');
    try {
      const keys = byKey((await reader.describe(collection)).payloadKeys);
      assert.deepEqual(keys.get('tenant'), { key: 'tenant', present: 294, sampled: 300, kinds: { string: 294 }, index: { type: 'keyword', isTenant: true, points: 294 }, maxStringBytes: 8, distinct: 5 });
      assert.deepEqual(keys.get('mixed')?.kinds, { integer: 234, string: 30, float: 30 });
      assert.deepEqual([keys.get('half')?.present, keys.get('maybe_null')?.kinds.null], [150, 75]);
      assert.deepEqual([keys.get('tags')?.maxArrayLength, keys.get('tags')?.elementKinds], [5, { string: 715 }]);
      // 50 points hold [1, 'two', 3], the other 244 an integer and a float.
      assert.deepEqual(keys.get('mixed_arr')?.elementKinds, { integer: 344, float: 244, string: 50 });
      // Multi-byte text: bytes, not characters (26 bytes per 18-character unit).
      assert.equal((keys.get('long_note')?.maxStringBytes ?? 0) % 26, 0);
      assert.ok((keys.get('long_note')?.maxStringBytes ?? 0) > 1000);
      assert.deepEqual(keys.get('nested')?.kinds, { object: 294 });
    } finally {
      await reader.close();
    }
  });

  it('--payload-sample N below the count: N random points in a few requests; 0: payload_schema only', async (t) => {
    const reader = open('rest');
    try {
      requests.length = 0;
      const sampled = byKey((await reader.describe(collection, { payloadSample: 120 })).payloadKeys);
      assert.equal(sampled.get('tenant')?.sampled, 120);
      assert.ok((sampled.get('tenant')?.present ?? 0) >= 110, 'at most a few sampled points lack a payload');
      if (server) {
        const sampleCalls = requests.filter((r) => r.startsWith('POST /points/query')).length;
        const retrieves = requests.filter((r) => r === 'POST /points').length;
        assert.deepEqual([sampleCalls, retrieves], [1, 1], requests.join('\n'));
      } else t.diagnostic('request counts are checked on the test server only');
      const none = byKey((await reader.describe(collection, { payloadSample: 0 })).payloadKeys);
      assert.deepEqual([...none.keys()].sort(), ['body', 'category', 'count', 'created_at', 'in_stock', 'location', 'price', 'ranks', 'sku', 'tags', 'tenant']);
      assert.equal(none.get('tenant')?.sampled, 0);
    } finally {
      await reader.close();
    }
  });

  it('a source that cannot sample (Qdrant < 1.11): the first N points, by scroll', async (t) => {
    if (!server) return t.skip('faults need the test server');
    server.faults.configure({ rules: [...WITHOUT_QUERY] });
    faulty = true;
    const reader = open('rest');
    try {
      requests.length = 0;
      const keys = byKey((await reader.describe(collection, { payloadSample: 100 })).payloadKeys);
      assert.deepEqual([keys.get('half')?.sampled, keys.get('half')?.present], [100, 50]);
      assert.equal(requests.filter((r) => r === 'POST /points/scroll').length, 4, requests.join('\n')); // 3 id-kind probes + 1 page
      assert.equal(requests.filter((r) => r === 'POST /points').length, 0);
    } finally {
      server.faults.clear();
      faulty = false;
      await reader.close();
    }
  });

  it('inspect --json carries each key\'s stats and the default plan\'s proposal', async () => {
    const env = { ...process.env, QDRANT_URL: restUrl, QDRANT_GRPC_PORT: String(grpcPort), QDRANT_API_KEY: apiKey ?? '', MILVUS_URI: '' };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [cliBin, 'inspect', '--collections', collection, '--json', '--payload-sample', '0'], { env }, (err, out, stderr) =>
        (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)));
    });
    const json = JSON.parse(stdout) as { collections: Array<{ payloadKeys: PayloadKeyStats[]; payloadPlan: Array<{ key: string; jsonIndex?: unknown }> }> };
    const c = json.collections[0]!;
    assert.deepEqual(c.payloadKeys.find((k) => k.key === 'tenant'), { key: 'tenant', present: 0, sampled: 0, kinds: {}, index: { type: 'keyword', isTenant: true, points: 294 } });
    assert.deepEqual(c.payloadPlan.find((p) => p.key === 'count')?.jsonIndex, { castType: 'DOUBLE', indexType: 'INVERTED' });
  });
});
