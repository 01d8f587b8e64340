import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultController, type FaultDecision } from '../../testkit/qdrant/faults.ts';

async function kinds(faults: FaultController, route: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d: FaultDecision = await faults.check(route);
    out.push(d.kind === 'error' ? String(d.status) : d.kind);
  }
  return out;
}

describe('FaultController', () => {
  it('repeats the same fault sequence for the same seed, and a different one for another seed', async () => {
    const config = { rules: [{ route: 'POST */points/scroll', errorRate: 0.5 }] };
    const a = await kinds(new FaultController({ seed: 7, ...config }), 'POST /collections/x/points/scroll', 40);
    const b = await kinds(new FaultController({ seed: 7, ...config }), 'POST /collections/x/points/scroll', 40);
    const c = await kinds(new FaultController({ seed: 8, ...config }), 'POST /collections/x/points/scroll', 40);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.includes('503') && a.includes('ok'));
  });

  it('only touches routes that match the glob', async () => {
    const faults = new FaultController({ rules: [{ route: 'GRPC /qdrant.Points/*', errorRate: 1, errorStatus: 500 }] });
    assert.deepEqual(await kinds(faults, 'GRPC /qdrant.Points/Scroll', 1), ['500']);
    assert.deepEqual(await kinds(faults, 'GRPC /qdrant.Collections/Get', 1), ['ok']);
  });

  it('closes every (N+1)th matching request and stops after maxFaults', async () => {
    const faults = new FaultController({ rules: [{ closeAfter: 2, maxFaults: 2 }] });
    assert.deepEqual(await kinds(faults, 'GET /', 10), ['ok', 'ok', 'close', 'ok', 'ok', 'close', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(faults.stats().closed, 2);
  });

  it('rejects rates outside 0..1', () => {
    assert.throws(() => new FaultController({ rules: [{ errorRate: 2 }] }), /errorRate/);
  });
});
