/**
 * The copy pipeline with a sink that prepares writes (Sink.prepareWrite): a page's memory goes
 * back to the reader as soon as its rows are encoded, not when the target acknowledges them; the
 * checkpoints still cover only acknowledged rows; and a request the target refuses as too large
 * (a prepared write cannot halve itself) is written again from the source through write(), with
 * every point arriving and nothing counted twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PreparedWrite, ReadOptions, Sink, SourceReader } from '../../src/core/contracts.ts';
import { systemError } from '../../src/core/errors.ts';
import { MigrationEvents } from '../../src/core/events.ts';
import { compareIds } from '../../src/core/ids.ts';
import { copyCollection, wholeIdSpace, type RangeCheckpoint } from '../../src/core/pipeline.ts';
import type { CollectionPlan, Page, Point, PointId, Row } from '../../src/core/types.ts';

const plan = {
  source: 'c',
  target: 'c',
  primaryKey: { field: 'id', type: 'Int64', autoId: false },
  vectors: [{ source: '', field: 'vector', type: 'FloatVector', dim: 2, metric: 'L2', index: { type: 'FLAT', params: {} }, nullable: false }],
  dynamicField: true,
  partitionKey: null,
  policies: { nullPayloadValues: 'drop', missingVector: 'skip' },
  ifExists: 'fail',
  sourceCount: 0,
} as unknown as CollectionPlan;

/** Points 0..n-1 (every 7th lacks its vector: rejected by the plan's skip policy), read in pages. */
function fakeReader(n: number, log: string[]) {
  const points: Point[] = Array.from({ length: n }, (_, i): Point => ({ id: BigInt(i), vectors: i % 7 === 3 ? {} : { '': [i, 1] }, payload: { i } }));
  const reads: Array<{ from?: PointId; to?: PointId }> = [];
  let live = 0;
  const reader = {
    async *read(o: ReadOptions): AsyncGenerator<Page> {
      reads.push({ from: o.from ?? o.range?.from, to: o.range?.to });
      const inRange = points.filter((p) => (o.range?.from === undefined || compareIds(p.id, o.range.from) >= 0) && (o.range?.to === undefined || compareIds(p.id, o.range.to) < 0));
      let at = o.from === undefined ? 0 : inRange.findIndex((p) => compareIds(p.id, o.from!) >= 0);
      if (at < 0) at = inRange.length;
      for (;;) {
        await new Promise((r) => setImmediate(r));
        const slice = inRange.slice(at, at + o.pageSize);
        at += slice.length;
        const name = `page ${String(slice[0]?.id)}`;
        live++;
        let released = false;
        yield {
          points: slice,
          next: at < inRange.length ? inRange[at]!.id : null,
          release: () => {
            assert.equal(released, false, `${name} released twice`);
            released = true;
            live--;
            log.push(`release ${name}`);
          },
        };
        if (at >= inRange.length) return;
      }
    },
  } as unknown as SourceReader;
  return { reader, reads, live: () => live };
}

/** A sink with prepareWrite; `refuse(rows)` says which prepared sends the target refuses as too large. */
function fakeSink(log: string[], refuse: (rows: number) => boolean = () => false) {
  const acked: bigint[] = [];
  const viaWrite: bigint[] = [];
  const sink = {
    async write(_p: CollectionPlan, rows: Row[]) {
      await new Promise((r) => setTimeout(r, 1));
      for (const r of rows) viaWrite.push(r.id as bigint);
    },
    prepareWrite(_p: CollectionPlan, rows: Row[]): PreparedWrite {
      // What a real sink keeps: bytes (here the ids, copied), never the rows.
      const ids = rows.map((r) => r.id as bigint);
      // Named like the reader's pages, by their first point (pages of 20, the first test's).
      const name = `page ${Math.floor(Number(ids[0]) / 20) * 20}`;
      return {
        rows: ids.length,
        async send() {
          log.push(`send ${name}`);
          await new Promise((r) => setTimeout(r, 2));
          if (refuse(ids.length)) throw systemError('TARGET_REQUEST_TOO_LARGE', 'too large (test)');
          acked.push(...ids);
          log.push(`ack ${name}`);
        },
      };
    },
  } as unknown as Sink;
  return { sink, acked, viaWrite };
}

const expected = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i)).filter((i) => i % 7n !== 3n);
const sorted = (ids: bigint[]) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

test('a prepared page is released once encoded, before its write is sent; checkpoints follow the acks', async () => {
  const log: string[] = [];
  const { reader, live } = fakeReader(200, log);
  const { sink, acked } = fakeSink(log);
  const saved: RangeCheckpoint[] = [];
  const stats = await copyCollection({
    plan, reader, sink, events: new MigrationEvents(), signal: new AbortController().signal,
    pageSize: 20, total: 200, readers: 1, writers: 2, ranges: wholeIdSpace(),
    saveCheckpoint: (cp) => {
      saved.push({ ...cp });
      log.push(`save ${cp.cursor}`);
    },
  });
  assert.deepEqual(sorted(acked), expected(200), 'every row acknowledged once');
  assert.equal(stats.written, expected(200).length);
  assert.equal(stats.rejectedCount, 200 - expected(200).length);
  assert.equal(live(), 0, 'every page released');
  for (let first = 0; first < 200; first += 20) {
    const release = log.indexOf(`release page ${first}`);
    const send = log.indexOf(`send page ${first}`);
    assert.ok(release >= 0 && send > release, `page ${first}: released (${release}) before its write was sent (${send})`);
  }
  // Each save covers only acknowledged rows: saved after the ack of every page it moves over.
  for (const cp of saved.filter((c) => c.cursor !== null)) {
    const lastPage = Number(cp.cursor) - 20;
    const ack = log.indexOf(`ack page ${lastPage}`);
    assert.ok(ack >= 0 && ack < log.indexOf(`save ${cp.cursor}`), `checkpoint at ${cp.cursor} saved after page ${lastPage} was acknowledged`);
  }
  const last = saved.at(-1)!;
  assert.equal(last.done, true);
  assert.equal(last.written, expected(200).length);
});

test('a prepared write the target refuses as too large is read again and written through write(), nothing lost or counted twice', async () => {
  const log: string[] = [];
  const { reader, reads, live } = fakeReader(300, log);
  // Pages of 25 points map to 21-22 rows; the target refuses any prepared request above 21 rows.
  const { sink, acked, viaWrite } = fakeSink(log, (rows) => rows > 21);
  const saved: RangeCheckpoint[] = [];
  const stats = await copyCollection({
    plan, reader, sink, events: new MigrationEvents(), signal: new AbortController().signal,
    pageSize: 25, total: 300, readers: 2, writers: 2,
    ranges: [
      { index: 0, from: null, to: '150', cursor: null, done: false, written: 0, rejected: 0 },
      { index: 1, from: '150', to: null, cursor: null, done: false, written: 0, rejected: 0 },
    ],
    saveCheckpoint: (cp) => void saved.push({ ...cp }),
  });
  assert.ok(viaWrite.length > 0, 'some pages went through write()');
  assert.ok(acked.length > 0, 'some prepared pages were acknowledged');
  assert.deepEqual(sorted([...acked, ...viaWrite]), expected(300), 'every row written exactly once');
  assert.equal(stats.written, expected(300).length);
  assert.equal(stats.rejectedCount, 300 - expected(300).length, 'rejections counted once');
  // The re-reads cover exactly a refused page: from its first point to the next page's.
  const rereads = reads.slice(2);
  assert.ok(rereads.length > 0);
  for (const r of rereads) assert.ok(r.from !== undefined && (r.to === undefined || compareIds(r.from, r.to) < 0));
  assert.equal(live(), 0, 'every page, first read or re-read, released');
  const byRange = new Map(saved.map((cp) => [cp.index, cp]));
  assert.equal(byRange.get(0)!.written + byRange.get(1)!.written, expected(300).length);
  assert.ok([...byRange.values()].every((cp) => cp.done));
});

test('other failures of a prepared write fail the copy as before', async () => {
  const log: string[] = [];
  const { reader } = fakeReader(100, log);
  const { sink } = fakeSink(log);
  const failing = Object.assign(Object.create(sink) as Sink, {
    prepareWrite: (p: CollectionPlan, rows: Row[]): PreparedWrite => ({
      rows: rows.length,
      send: () => Promise.reject(systemError('SINK_PARTIAL_WRITE', 'the server acknowledged 3 of 20 rows (test)')),
    }),
  });
  await assert.rejects(
    copyCollection({ plan, reader, sink: failing, events: new MigrationEvents(), signal: new AbortController().signal, pageSize: 20, total: 100, ranges: wholeIdSpace() }),
    (e: { code?: string }) => e.code === 'SINK_PARTIAL_WRITE',
  );
});

test('while a reader waits for the queue, the pages it already encoded hold no points or rows', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const points: Array<WeakRef<object>> = [];
  const rowLists: Array<WeakRef<object>> = [];
  // Points made as read (the source keeps none of them), 20 a page.
  const reader = {
    async *read(o: ReadOptions): AsyncGenerator<Page> {
      for (let at = 0; at < 200; ) {
        await new Promise((r) => setImmediate(r));
        const page: Point[] = [];
        for (const end = at + o.pageSize; at < end; at++) page.push({ id: BigInt(at), vectors: { '': [at, 1] }, payload: { at } });
        points.push(new WeakRef(page[5]!));
        yield { points: page, next: at < 200 ? BigInt(at) : null, release: () => undefined };
      }
    },
  } as unknown as SourceReader;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let sent = 0;
  const sink = {
    write: () => Promise.reject(new Error('not used')),
    prepareWrite(_p: CollectionPlan, rows: Row[]): PreparedWrite {
      rowLists.push(new WeakRef(rows));
      const count = rows.length;
      return { rows: count, send: async () => void (await gate, (sent += count)) };
    },
  } as unknown as Sink;
  const copy = copyCollection({
    plan, reader, sink, events: new MigrationEvents(), signal: new AbortController().signal,
    pageSize: 20, total: 200, readers: 1, writers: 1, queuePages: 1, ranges: wholeIdSpace(),
  });
  // The target holds the first write: one page sending, one queued, the reader waiting with a third.
  for (let i = 0; i < 100 && rowLists.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(rowLists.length, 3, 'three pages encoded, the reader waiting for the queue');
  gc();
  assert.deepEqual(points.map((w) => w.deref() === undefined), [true, true, true], "no page's points kept while its write waits");
  assert.deepEqual(rowLists.map((w) => w.deref() === undefined), [true, true, true], "no page's rows kept while its write waits");
  open();
  const stats = await copy;
  assert.equal(stats.written, 200);
  assert.equal(sent, 200);
});
