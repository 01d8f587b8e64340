/**
 * Issue 13 (cosmetic, but users read them): a code means one thing.
 * - TARGET_BUSY is the job conflict ("another job writes this collection", HTTP 409); a Milvus that
 *   is rate-limiting or not ready is TARGET_RATE_LIMITED / TARGET_UNAVAILABLE, transient.
 * - A Qdrant 429 is SOURCE_RATE_LIMITED, "rate-limiting", not "unavailable", and keeps its Retry-After.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isMigrationError } from '../../src/core/errors.ts';
import { fromStatus } from '../../src/milvus/errors.ts';
import { RestTransport } from '../../src/qdrant/rest.ts';

const ctx = { op: 'Upsert', target: 'collection c in Milvus at http://x (database default)', secrets: [] };

describe('Milvus transient statuses are not TARGET_BUSY', () => {
  const cases: Array<[string, Parameters<typeof fromStatus>[0], string]> = [
    ['merr 8 rate limit', { code: 8, error_code: 'RateLimit', reason: 'rate limit exceeded' }, 'TARGET_RATE_LIMITED'],
    ['legacy RateLimit', { code: 0, error_code: 'RateLimit', reason: 'x' }, 'TARGET_RATE_LIMITED'],
    ['merr 4 request limit', { code: 4, error_code: 'UnexpectedError', reason: 'x' }, 'TARGET_RATE_LIMITED'],
    ['merr 1 not ready', { code: 1, error_code: 'NotReadyServe', reason: 'starting' }, 'TARGET_UNAVAILABLE'],
    ['retriable', { code: 65535, error_code: 'UnexpectedError', retriable: true, reason: 'x' }, 'TARGET_UNAVAILABLE'],
  ];
  for (const [name, status, code] of cases) {
    it(`${name} → ${code}, transient`, () => {
      const e = fromStatus(status, ctx);
      assert.equal(e.code, code);
      assert.equal(e.kind, 'transient');
    });
  }
});

describe("Milvus 2.3's catch-all code 65535 is read by what was asked", () => {
  // Seen on the Milvus 2.3.5 leg: Flush right after a restart ("node not match … node not found"),
  // and CreateIndex of an unknown index type. Neither carries a merr code or a retriable flag.
  const unexpected = { code: 65535, error_code: 'UnexpectedError', reason: 'node not match' };
  for (const op of ['Flush', 'Upsert', 'LoadCollection', 'Query']) {
    it(`${op}: transient (idempotent, retried within the budget)`, () => {
      const e = fromStatus(unexpected, { ...ctx, op });
      assert.equal(e.code, 'TARGET_UNAVAILABLE');
      assert.equal(e.kind, 'transient');
    });
  }
  for (const op of ['CreateIndex NO_SUCH_INDEX/L2 of field v', 'CreateCollection', 'probe CreateCollection']) {
    it(`${op}: a config error naming the plan`, () => {
      const e = fromStatus(unexpected, { ...ctx, op });
      assert.equal(e.code, 'TARGET_REJECTED');
      assert.equal(e.kind, 'config');
    });
  }
});

describe('a Qdrant 429', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end(JSON.stringify({ status: { error: 'Too many requests' }, time: 0 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  for (const [what, call] of [
    ['the connection check (GET /)', (t: RestTransport) => t.check()],
    ['a count', (t: RestTransport) => t.count('docs')],
  ] as const) {
    it(`on ${what} is SOURCE_RATE_LIMITED with its Retry-After`, async () => {
      const error = await call(new RestTransport({ url, timeoutMs: 5000 })).then(() => undefined, (e: unknown) => e);
      assert.ok(isMigrationError(error), String(error));
      assert.equal(error.code, 'SOURCE_RATE_LIMITED');
      assert.equal(error.kind, 'transient');
      assert.equal(error.retryAfterSeconds, 3);
      assert.match(error.message, /is rate-limiting requests/);
      assert.doesNotMatch(error.message, /unavailable/);
    });
  }
});
