/**
 * IEEE 754 binary16 conversion for the fp16 weight variants. Node 20 has no Float16Array, and every format stores
 * half floats as their raw 16-bit patterns, so the exporters only need float32 -> bits (round to nearest even,
 * exactly as numpy's and TFLite's converters round) and, for checks, bits -> number.
 */

/** Largest finite binary16 value; a weight beyond it would turn into infinity. */
export const FLOAT16_MAX = 65504;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Round half to even: `value >> shift`, rounded by the `shift` bits dropped. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const dropped = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return dropped > half || (dropped === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The binary16 bit pattern nearest to `value` (after rounding it to float32). */
export function float16Bits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // inf stays inf, NaN stays NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value = m * 2^-24, so the 24-bit significand shifts right by 14 - halfExponent.
    const shift = 14 - halfExponent;
    if (shift > 24) return sign;
    return sign | roundShift(mantissa | 0x800000, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (and 65520 and up round to infinity).
  return sign | roundShift((halfExponent << 23) | mantissa, 13);
}

/** Binary16 bit patterns of every element, in order. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i] as number);
  return out;
}

/** The number a binary16 bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Each value rounded to the nearest binary16 and back: what an fp16 weight file computes with. */
export function roundToFloat16(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Value(float16Bits(values[i] as number));
  return out;
}
