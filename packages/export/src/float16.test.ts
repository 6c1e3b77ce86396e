import { describe, expect, it } from "vitest";
import { FLOAT16_MAX, float16Bits, float16Value, roundToFloat16, toFloat16Bits } from "./float16.ts";
import { hwioToOhwi, hwioToOihw, pixelShuffleToDepthToSpace } from "./weights.ts";

describe("float16", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [FLOAT16_MAX, 0x7bff],
    [65519, 0x7bff], // just below the midpoint to infinity
    [65520, 0x7c00], // the midpoint rounds to even: infinity
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
    [3 * 2 ** -26, 0x0001], // above the tie
    [1 + 2 ** -11, 0x3c00], // tie: stays on the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to the even mantissa
    [-0, 0x8000],
    [Infinity, 0x7c00],
  ])("float16Bits(%d) = %i", (value, bits) => {
    expect(float16Bits(value)).toBe(bits);
  });

  it("maps NaN to a NaN pattern", () => {
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
  });

  it("round-trips every non-NaN half-precision value exactly", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16Value(bits);
      if (!Number.isNaN(value)) expect(float16Bits(value)).toBe(bits);
    }
  });

  it("converts arrays element by element", () => {
    const values = Float32Array.of(1, 0.1, -3.5);
    expect([...toFloat16Bits(values)]).toEqual([0x3c00, 0x2e66, 0xc300]);
    expect(roundToFloat16(values)[1]).toBeCloseTo(0.0999755859375, 12);
  });
});

describe("weight layouts", () => {
  // HWIO [kh=1, kw=2, cin=2, cout=3]: value = 1000*h + 100*w + 10*i + o.
  const shape = [1, 2, 2, 3];
  const data = Float32Array.from({ length: 12 }, (_, n) => {
    const o = n % 3;
    const i = Math.floor(n / 3) % 2;
    const w = Math.floor(n / 6);
    return 100 * w + 10 * i + o;
  });

  it("HWIO -> OHWI puts the output channel first", () => {
    const t = hwioToOhwi({ shape, data });
    expect(t.shape).toEqual([3, 1, 2, 2]);
    // [o][h][w][i] row-major: o=2, h=0, w=1, i=1 -> 100 + 10 + 2.
    expect(t.data[((2 * 1 + 0) * 2 + 1) * 2 + 1]).toBe(112);
  });

  it("HWIO -> OIHW puts output then input channel first", () => {
    const t = hwioToOihw({ shape, data });
    expect(t.shape).toEqual([3, 2, 1, 2]);
    // [o][i][h][w]: o=1, i=0, h=0, w=1 -> 100 + 0 + 1.
    expect(t.data[((1 * 2 + 0) * 1 + 0) * 2 + 1]).toBe(101);
  });

  it("pixel-shuffle order -> depth-to-space order moves channel c*4+k to k*C+c", () => {
    const bias = { shape: [8], data: Float32Array.from({ length: 8 }, (_, n) => n) }; // C = 2, r = 2
    const t = pixelShuffleToDepthToSpace(bias, 2);
    // new k*2+c holds old c*4+k: [c0k0, c1k0, c0k1, c1k1, ...] = [0, 4, 1, 5, 2, 6, 3, 7].
    expect([...t.data]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });
});
