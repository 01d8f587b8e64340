/**
 * sync's repairs (core/sync.ts) against a fake target: the repairs of several pages go out
 * together, and a checkpoint is only given once every repair up to it was acknowledged.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Sink, SourceReader } from '../../src/core/contracts.ts';
import { compareIds } from '../../src/core/ids.ts';
import { syncCollection } from '../../src/core/sync.ts';
import type { CollectionPlan, Point, Row } from '../../src/core/types.ts';
import { planCollection } from '../../src/mapping/plan.ts';
import { collection, LITE } from './mapping-fixtures.ts';

const plan = planCollection(collection(), LITE).plan;
const V = [0.5, 0.5, 0.5, 0.5];
const point = (n: number, tag = ''): Point => ({ id: BigInt(n), vectors: { '': V }, payload: { n: `${n}${tag}` } });
const row = (n: number, tag = ''): Row => ({ id: BigInt(n), vectors: { [plan.vectors[0]!.field]: V }, dynamic: { n: `${n}${tag}` } });

/** A source read in pages; a target of one row per key that applies deletes and writes as they are acked. */
function sides(source: Point[], target: Row[], failWriteAt?: number) {
  const held = new Map(target.map((r) => [String(r.id), r]));
  const requests = { deletes: 0, writes: 0 };
  const reader = {
    async *read(o: { pageSize: number; from?: bigint; idsOnly?: boolean }) {
      const points = source.filter((p) => o.from === undefined || compareIds(p.id, o.from) >= 0);
      for (let i = 0; i < points.length; i += o.pageSize) yield { points: points.slice(i, i + o.pageSize), next: null };
    },
    retrieve: async (_c: string, ids: bigint[]) => source.filter((p) => ids.includes(p.id as bigint)),
  } as unknown as SourceReader;
  const sorted = () => [...held.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const sink = {
    count: async () => held.size,
    fetch: async (_p: CollectionPlan, ids: Array<bigint | string>) => ids.flatMap((id) => held.get(String(id)) ?? []),
    async *scan(_p: CollectionPlan, o: { batch: number; after?: bigint }) {
      for (let after = o.after; ; ) {
        const w = sorted().filter((r) => after === undefined || (r.id as bigint) > after).slice(0, o.batch);
        if (w.length === 0) return;
        yield w;
        after = w.at(-1)!.id as bigint;
      }
    },
    delete: async (_p: CollectionPlan, ids: Array<bigint | string>) => {
      requests.deletes++;
      for (const id of ids) held.delete(String(id));
    },
    write: async (_p: CollectionPlan, rows: Row[]) => {
      if (++requests.writes === failWriteAt) throw new Error('target down');
      for (const r of rows) held.set(String(r.id), r);
    },
  } as unknown as Sink;
  /** The target's keys and payloads up to `cursor`, as `n` values. */
  const upTo = (cursor: string) => sorted().filter((r) => (r.id as bigint) <= BigInt(cursor)).map((r) => r.dynamic.n);
  return { reader, sink, requests, upTo };
}

describe('sync repairs', () => {
  // 60 points; the target lacks every 7th, holds every 5th with another payload, and keeps every
  // 11th that the source deleted; 200-202 lie past the source's last id.
  const ids = Array.from({ length: 60 }, (_, i) => i + 1);
  const source = ids.filter((n) => n % 11 !== 0).map((n) => point(n));
  const target = [...ids.filter((n) => n % 7 !== 0).map((n) => row(n, n % 5 === 0 ? '-old' : '')), ...[200, 201, 202].map((n) => row(n))];
  const want = source.map((p) => p.payload.n);

  it("sends the repairs of many pages together and checkpoints only past what the target acked", async () => {
    const s = sides(source, target);
    const checkpoints: string[] = [];
    const counts = await syncCollection(plan, s.reader, s.sink, {
      batch: 4,
      onStep: ({ cursor }) => {
        checkpoints.push(cursor!);
        // Everything up to the checkpoint is repaired already: a resume from here skips nothing.
        if (/^\d+$/.test(cursor!) && BigInt(cursor!) <= 60n) assert.deepEqual(s.upTo(cursor!), want.filter((_, i) => (source[i]!.id as bigint) <= BigInt(cursor!)));
      },
    });
    assert.deepEqual(s.upTo('1000'), want);
    assert.deepEqual([counts.missing, counts.different, counts.deleted], [8, 10, 8]);
    // 14 pages of 4 points, most with a repair: a few requests, not one or two per page.
    assert.ok(s.requests.writes <= 2 && s.requests.deletes <= 3, JSON.stringify(s.requests));
    assert.ok(checkpoints.length >= 2, 'the checkpoint still moves during the pass');
  });

  it('a write that fails leaves the checkpoint before the repairs it carried', async () => {
    const s = sides(source, target, 1);
    const checkpoints: string[] = [];
    await assert.rejects(syncCollection(plan, s.reader, s.sink, { batch: 4, onStep: ({ cursor }) => void checkpoints.push(cursor!) }), /target down/);
    // Nothing was acked, so no checkpoint moved past the first missing point (7).
    assert.ok(checkpoints.every((c) => BigInt(c) < 7n), checkpoints.join(','));
  });
});
