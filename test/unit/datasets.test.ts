import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DATASET_NAMES, dataset, type RestPoint } from '../../testkit/datasets/index.ts';
import type { JsonValue } from '../../src/core/types.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function all(name: string, count?: number, seed?: number): RestPoint[] {
  return [...dataset(name, count, seed).points()];
}

/** JSON with bigints written as tagged strings, to compare whole datasets. */
function fingerprint(points: RestPoint[]): string {
  return JSON.stringify(points, (_k, v: unknown) => (typeof v === 'bigint' ? `big:${v}` : v));
}

function vectors(p: RestPoint): Record<string, unknown> {
  return p.vector as Record<string, unknown>;
}

function walk(v: JsonValue | undefined, visit: (v: JsonValue, key: string) => void, key = ''): void {
  if (v === undefined) return;
  visit(v, key);
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit, key));
  else if (v !== null && typeof v === 'object' && typeof v !== 'bigint') {
    for (const [k, x] of Object.entries(v)) walk(x, visit, k);
  }
}

describe('datasets', () => {
  it('are deterministic per name, count and seed, and differ with the seed', () => {
    for (const name of DATASET_NAMES) {
      const count = name === 'huge-dim' ? 2 : 20;
      assert.equal(fingerprint(all(name, count, 7)), fingerprint(all(name, count, 7)), name);
      assert.notEqual(fingerprint(all(name, count, 7)), fingerprint(all(name, count, 8)), name);
    }
  });

  it('give point i the same value whatever the count (a longer dataset extends a shorter one)', () => {
    assert.equal(fingerprint(all('rich', 30)), fingerprint(all('rich', 60).slice(0, 30)));
  });

  it('have unique ids, the promised count, and reject unknown names', () => {
    for (const name of DATASET_NAMES) {
      const ds = dataset(name);
      const ids = new Set([...ds.points()].map((p) => String(p.id).toLowerCase()));
      assert.equal(ids.size, ds.count, name);
    }
    assert.throws(() => dataset('nope'), /unknown dataset "nope"/);
    assert.equal(all('basic', 0).length, 0);
  });

  it('basic: unnamed 128-d Cosine, ids 1..N, a flat payload of str/int/float/bool', () => {
    const ds = dataset('basic', 50);
    assert.deepEqual(ds.config.vectors, { size: 128, distance: 'Cosine' });
    const points = [...ds.points()];
    assert.deepEqual(points.map((p) => p.id), Array.from({ length: 50 }, (_, i) => i + 1));
    for (const p of points) {
      assert.ok(Array.isArray(p.vector) && p.vector.length === 128);
      const kinds = Object.values(p.payload ?? {}).map((v) => (Number.isInteger(v) ? 'int' : typeof v));
      assert.deepEqual(new Set(kinds), new Set(['string', 'int', 'number', 'boolean']));
    }
  });

  it('rich: every vector kind, mixed ids, missing image, and payload edge cases', () => {
    const ds = dataset('rich', 200);
    assert.equal((ds.config.vectors as Record<string, { datatype?: string }>).image?.datatype, 'float16');
    assert.equal((ds.config.vectors as Record<string, { datatype?: string }>).thumb?.datatype, 'uint8');
    assert.deepEqual(ds.config.sparse_vectors, { keywords: { modifier: 'idf' } });
    const points = [...ds.points()];
    const uuids = points.filter((p) => typeof p.id === 'string');
    assert.ok(uuids.length > 0 && uuids.every((p) => UUID_RE.test(p.id as string)));
    assert.ok(uuids.some((p) => p.id !== (p.id as string).toLowerCase()), 'some upper-case UUIDs');
    assert.ok(points.some((p) => typeof p.id === 'number'));
    const missingImage = points.filter((p) => !('image' in vectors(p)));
    assert.ok(missingImage.length > 0 && missingImage.length < points.length);
    for (const p of points) {
      const v = vectors(p);
      assert.ok((v.thumb as number[]).every((x) => Number.isInteger(x) && x >= 0 && x <= 255));
      for (const x of (v.image as number[] | undefined) ?? []) assert.equal(x * 1024, Math.round(x * 1024));
      for (const x of v.text as number[]) assert.equal(x, Math.fround(x));
    }
    assert.ok(points.some((p) => p.payload === undefined), 'a point without payload');
  });

  it('rich payloads: nulls at top level and nested, unicode keys, geo, datetimes, bigints, `id`', () => {
    const payloads = all('rich', 100).flatMap((p) => (p.payload ? [p.payload] : []));
    assert.ok(payloads.some((p) => p.note === null));
    const seen = { nestedNull: false, bigAbove53: false, unicodeKey: false, datetime: false, array: false };
    for (const p of payloads) {
      walk(p, (v, key) => {
        if (v === null && key === 'email') seen.nestedNull = true;
        if (typeof v === 'bigint' && (v > 2n ** 53n || v < -(2n ** 53n))) seen.bigAbove53 = true;
        if (/[^\x20-\x7e]/.test(key)) seen.unicodeKey = true;
        if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(v)) seen.datetime = true;
        if (Array.isArray(v)) seen.array = true;
      });
      assert.ok('id' in p);
      const loc = p.location as { lon: number; lat: number };
      assert.ok(Math.abs(loc.lon) <= 180 && Math.abs(loc.lat) <= 90);
    }
    assert.deepEqual(seen, { nestedNull: true, bigAbove53: true, unicodeKey: true, datetime: true, array: true });
  });

  it('the special layouts: multivector, Manhattan, five vectors, huge dim, overflow ids, hyphens', () => {
    const mv = dataset('multivector', 10);
    const colbert = (mv.config.vectors as Record<string, { multivector_config?: unknown }>).colbert;
    assert.deepEqual(colbert?.multivector_config, { comparator: 'max_sim' });
    assert.ok([...mv.points()].every((p) => Array.isArray(vectors(p).colbert)));
    assert.equal((dataset('manhattan').config.vectors as { distance: string }).distance, 'Manhattan');
    assert.equal(Object.keys(dataset('five-vectors').config.vectors ?? {}).length, 5);
    const huge = all('huge-dim');
    assert.ok(huge.length <= 10 && (huge[0]?.vector as number[]).length === 40_000);
    const ids = all('overflow-ids').map((p) => p.id as bigint);
    assert.ok(ids.every((id) => typeof id === 'bigint' && id > 2n ** 63n - 1n && id <= 2n ** 64n - 1n));
    assert.ok(ids.includes(2n ** 64n - 1n));
    const hy = dataset('hyphen-names', 5);
    assert.equal(hy.collection, 'my-docs');
    assert.ok([...hy.points()].every((p) => 'image-emb' in vectors(p)));
  });

  it('ref768: 768-d vectors and about 300 bytes of payload per point, any count', () => {
    const points = all('ref768', 20);
    for (const p of points) {
      assert.equal((p.vector as number[]).length, 768);
      const bytes = Buffer.byteLength(JSON.stringify(p.payload));
      assert.ok(bytes > 200 && bytes < 420, `payload ${bytes} bytes`);
    }
    assert.equal(dataset('ref768', 1_000_000).count, 1_000_000);
  });
});
