/**
 * Small seeded random helpers. Each point gets its own generator seeded from (dataset seed,
 * point index), so point i is the same whatever the count and can be generated on its own.
 */

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for test data; returns floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes two 32-bit integers into one seed, so neighbouring indexes give unrelated streams. */
export function mixSeed(seed: number, index: number): number {
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

export function pointRng(seed: number, index: number): Rng {
  return mulberry32(mixSeed(seed, index));
}

export function int(rng: Rng, min: number, maxInclusive: number): number {
  return min + Math.floor(rng() * (maxInclusive - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

/** A float32-exact value in [-1, 1), so a float32 server returns exactly what was sent. */
export function f32(rng: Rng): number {
  return Math.fround(rng() * 2 - 1);
}

export function denseF32(rng: Rng, dim: number): number[] {
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) out[i] = f32(rng);
  return out;
}

/** Values k/1024 in [-1, 1]: exactly representable in float16, so float16 storage is lossless. */
export function denseF16(rng: Rng, dim: number): number[] {
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) out[i] = Math.round((rng() * 2 - 1) * 1024) / 1024;
  return out;
}

export function denseU8(rng: Rng, dim: number): number[] {
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) out[i] = int(rng, 0, 255);
  return out;
}

/** A non-integral float rounded to `digits` decimals (whole floats would read back as ints). */
export function decimal(rng: Rng, min: number, max: number, digits = 3): number {
  const scale = 10 ** digits;
  const v = Math.round((min + rng() * (max - min)) * scale) / scale;
  return Number.isInteger(v) ? v + 1 / scale : v;
}

/** A random RFC 4122 version-4 UUID, lowercase and hyphenated. */
export function uuid(rng: Rng): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(int(rng, 0, 15).toString(16));
  hex[12] = '4';
  hex[16] = (8 + int(rng, 0, 3)).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango',
] as const;

export function words(rng: Rng, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pick(rng, WORDS));
  return out.join(' ');
}

/** ISO-8601 UTC datetime between 2000 and 2030, second precision. */
export function datetime(rng: Rng): string {
  const ms = Date.UTC(2000, 0, 1) + Math.floor(rng() * 30 * 365 * 86400) * 1000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
