/**
 * The Qdrant reader against a Qdrant-compatible server (the testkit server, or a real Qdrant with
 * QDRANT_URL), over REST and gRPC through the same table: what describe reports, that reads return
 * every point exactly once in order with exact ids, ranges, resume, retries and cancellation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MigrationError } from '../../src/core/errors.ts';
import { INT64_LIMIT } from '../../src/core/ids.ts';
import type { Point, PointId, SourceCollection } from '../../src/core/types.ts';
import type { SourceReader } from '../../src/core/contracts.ts';
import { comparable, COUNTS, SERVER_ONLY, startSource, TRANSPORTS, type Source } from '../helpers/qdrant-source.ts';

let source: Source;
before(async () => {
  source = await startSource();
  console.log(`# ${source.banner}`);
});
after(() => source.stop());

async function readAll(reader: SourceReader, options: Parameters<SourceReader['read']>[0]): Promise<{ points: Point[]; pages: number }> {
  const points: Point[] = [];
  let pages = 0;
  for await (const page of reader.read(options)) {
    points.push(...page.points);
    pages++;
  }
  return { points, pages };
}

const countWhere = (n: number, pred: (i: number) => boolean) => Array.from({ length: n }, (_, i) => i).filter(pred).length;
const ids = (points: Point[]) => points.map((p) => p.id);

for (const transport of TRANSPORTS) {
  describe(`Qdrant reader over ${transport}`, () => {
    let reader: SourceReader;
    before(() => {
      reader = source.reader(transport);
    });
    after(() => reader.close());

    it('check() returns the server version; listCollections is sorted', async () => {
      const { version } = await reader.check();
      assert.match(version, /^\d+\.\d+/);
      const names = await reader.listCollections();
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes(source.name('rich')));
    });

    it('describe(rich): named dense/sparse vectors, datatypes, exact missing counts, int+uuid ids', async () => {
      const d = await reader.describe(source.name('rich'));
      const n = COUNTS.rich;
      assert.equal(d.pointsCount, n);
      assert.deepEqual(d.idKinds, { int: true, uuid: true, intAbove63: false });
      const byName = Object.fromEntries(d.vectors.map((v) => [v.name, v]));
      assert.deepEqual(Object.keys(byName), ['image', 'keywords', 'text', 'thumb']);
      assert.deepEqual(byName.text, { name: 'text', kind: 'dense', dim: 64, datatype: 'float32', distance: 'Cosine', hnsw: { m: 16, efConstruct: 100 }, missingCount: 0 });
      assert.deepEqual(
        { ...byName.image, hnsw: undefined },
        { name: 'image', kind: 'dense', dim: 32, datatype: 'float16', distance: 'Dot', hnsw: undefined, missingCount: countWhere(n, (i) => i % 5 === 4) },
      );
      assert.equal(byName.thumb?.datatype, 'uint8');
      assert.equal(byName.thumb?.distance, 'Euclid');
      assert.deepEqual(byName.keywords, { name: 'keywords', kind: 'sparse', datatype: 'float32', sparseModifier: 'idf', missingCount: countWhere(n, (i) => i % 7 === 6) });
      assert.deepEqual(Object.keys(d.payloadSchema).sort(), ['colour', 'count', 'location']);
      assert.equal(d.payloadSchema.colour?.dataType, 'keyword');
    });

    it('describe(basic) and describe(overflow-ids)', async () => {
      const basic: SourceCollection = await reader.describe(source.name('basic'));
      assert.deepEqual(basic.idKinds, { int: true, uuid: false, intAbove63: false });
      assert.deepEqual(basic.vectors.map((v) => [v.name, v.kind, v.dim, v.datatype, v.distance, v.missingCount]), [['', 'dense', 128, 'float32', 'Cosine', 0]]);
      const overflow = await reader.describe(source.name('overflow-ids'));
      assert.deepEqual(overflow.idKinds, { int: false, uuid: false, intAbove63: true });
      assert.equal(overflow.pointsCount, COUNTS['overflow-ids']);
    });

    it('id kinds for every combination (three one-point scrolls, no scan)', async () => {
      const kinds = async (base: string) => (await reader.describe(source.name(base))).idKinds;
      assert.deepEqual(await kinds('mixed'), { int: true, uuid: true, intAbove63: true });
      assert.deepEqual(await kinds('uuid-only'), { int: false, uuid: true, intAbove63: false });
      assert.deepEqual(await kinds('int-and-uuid'), { int: true, uuid: true, intAbove63: false }, 'a UUID after 2^63 is not an int above 2^63');
      assert.deepEqual(await kinds('empty'), { int: false, uuid: false, intAbove63: false });
    });

    it('an unknown collection is a config error listing the available ones', async () => {
      await assert.rejects(reader.describe('no-such-collection'), (e: unknown) => {
        assert.ok(e instanceof MigrationError);
        assert.equal(e.code, 'SOURCE_COLLECTION_NOT_FOUND');
        assert.equal(e.kind, 'config');
        assert.ok(e.message.includes(source.name('basic')), e.message);
        return true;
      });
    });

    for (const base of ['rich', 'overflow-ids'] as const) {
      it(`read(${base}) in small pages equals the source's points, in order, with exact ids`, async () => {
        const { points, pages } = await readAll(reader, { collection: source.name(base), pageSize: 7 });
        assert.equal(pages, Math.ceil(COUNTS[base] / 7));
        assert.deepEqual(comparable(points, !source.real), comparable(source.expected(base), !source.real));
        if (base === 'overflow-ids') assert.ok(points.every((p) => typeof p.id === 'bigint' && p.id >= INT64_LIMIT));
      });
    }

    it('two ranges [start, b) and [b, end) give every point exactly once', async () => {
      const all = ids((await readAll(reader, { collection: source.name('rich'), pageSize: 50 })).points);
      for (const b of [all[17]!, all[all.length - 5]!, INT64_LIMIT as PointId]) {
        const left = await readAll(reader, { collection: source.name('rich'), pageSize: 6, range: { to: b } });
        const right = await readAll(reader, { collection: source.name('rich'), pageSize: 6, range: { from: b } });
        assert.deepEqual([...ids(left.points), ...ids(right.points)], all, `split at ${String(b)}`);
      }
    });

    it('`from` resumes inside a range (inclusive), and the last page has next: null', async () => {
      const all = ids((await readAll(reader, { collection: source.name('rich'), pageSize: 50 })).points);
      const range = { from: all[10]!, to: all[40]! };
      const pages = [];
      for await (const page of reader.read({ collection: source.name('rich'), range, from: all[25]!, pageSize: 4 })) pages.push(page);
      assert.deepEqual(pages.flatMap((p) => ids(p.points)), all.slice(25, 40));
      assert.equal(pages.at(-1)?.next, null);
      assert.ok(pages.slice(0, -1).every((p) => p.next !== null));
    });

    it('retrieve() returns points by id, losslessly; unknown ids are absent', async () => {
      const expected = source.expected('overflow-ids');
      const want = [expected[3]!.id, expected.at(-1)!.id];
      const got = await reader.retrieve(source.name('overflow-ids'), [...want, 5n]);
      assert.deepEqual(ids(got).sort(), [...want].sort());
      assert.deepEqual(comparable(got, !source.real), comparable([expected[3]!, expected.at(-1)!], !source.real));
    });

    const faults = [
      ['503', { errorRate: 1, errorStatus: 503, maxFaults: 2 }, 'SOURCE_UNAVAILABLE'],
      ['429 + Retry-After', { rateLimitRate: 1, retryAfterSeconds: 1, maxFaults: 1 }, 'SOURCE_RATE_LIMITED'],
      ['a dropped connection', { closeAfter: 2, maxFaults: 1 }, transport === 'rest' ? 'SOURCE_CONNECTION' : 'SOURCE_UNAVAILABLE'],
    ] as const;
    for (const [label, rule, code] of faults) {
      it(`a transient fault (${label}) during a read is retried`, { skip: SERVER_ONLY }, async () => {
        const route = transport === 'rest' ? `POST /collections/${source.name('basic')}/points/scroll` : 'GRPC /qdrant.Points/Scroll';
        const retries: Array<[string, number]> = [];
        const r = source.reader(transport, { retry: { baseMs: 5, maxMs: 20, retries: 3, onRetry: (e, _n, ms) => retries.push([e.code, ms]) } });
        source.server!.faults.configure({ rules: [{ route, ...rule }] });
        try {
          const { points } = await readAll(r, { collection: source.name('basic'), pageSize: 10 });
          assert.equal(points.length, COUNTS.basic);
          assert.ok(retries.length >= 1 && retries.every(([c]) => c === code), JSON.stringify(retries));
          if (label.startsWith('429')) assert.equal(retries[0]?.[1], 1000, 'waited as long as Retry-After asked');
        } finally {
          source.server!.faults.clear();
        }
      });
    }

    it('a persistent 5xx surfaces as a transient MigrationError after bounded retries', { skip: SERVER_ONLY }, async () => {
      source.server!.faults.configure({ rules: [{ errorRate: 1, errorStatus: 503 }] });
      try {
        await assert.rejects(source.reader(transport, { retry: { baseMs: 1, maxMs: 2, retries: 2 } }).count(source.name('basic')), {
          code: 'SOURCE_UNAVAILABLE',
          kind: 'transient',
        });
      } finally {
        source.server!.faults.clear();
      }
    });

    it('an abort stops a read during a slow request', { skip: SERVER_ONLY }, async () => {
      source.server!.faults.configure({ rules: [{ latencyMs: 3000 }] });
      const controller = new AbortController();
      const reason = new Error('cancelled');
      setTimeout(() => controller.abort(reason), 100);
      const started = Date.now();
      try {
        await assert.rejects(readAll(reader, { collection: source.name('basic'), pageSize: 5, signal: controller.signal }), (e) => e === reason);
        assert.ok(Date.now() - started < 2000, 'did not wait for the slow answer');
      } finally {
        source.server!.faults.clear();
      }
    });
  });
}
