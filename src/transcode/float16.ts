/**
 * float32 → IEEE 754 binary16, round to nearest, ties to even: what the SDK's f32ArrayToF16Bytes
 * (@petamoriken/float16) writes, bit for bit (a property test holds them equal), without its
 * per-element Proxy and double arithmetic. Qdrant sends float16 vectors as float32 on the wire, so
 * a Float16Vector column is the one place a component must be touched; this does it on the float's
 * bits, in a typed-array loop.
 */
import { endianness } from 'node:os';
import type { DenseVector } from '../core/types.ts';

const littleEndian = endianness() === 'LE';
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits of the float32 with bits `b`. */
export function halfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const full = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = full & ((1 << shift) - 1);
    let r = full >>> shift;
    if (rem > half || (rem === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa steps the exponent, up to infinity: the right answer.
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r++;
  return sign | r;
}

/** The float16 bytes (little-endian) of `vectors`, one after the other: a Float16Vector column. */
export function float16Column(vectors: readonly DenseVector[], dim: number): Uint8Array {
  const out = new Uint16Array(vectors.length * dim);
  let o = 0;
  for (const v of vectors) {
    if (v instanceof Float32Array) {
      const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
      for (let i = 0; i < bits.length; i++) out[o++] = halfBits(bits[i]!);
    } else {
      for (let i = 0; i < v.length; i++) {
        f32[0] = v[i]!;
        out[o++] = halfBits(u32[0]!);
      }
    }
  }
  const bytes = new Uint8Array(out.buffer, 0, o * 2);
  if (!littleEndian) for (let i = 0; i < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1]!, bytes[i]!];
  return bytes;
}
