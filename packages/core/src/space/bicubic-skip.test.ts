import { describe, expect, it } from "vitest";
import {
  BICUBIC_SKIP_KERNEL,
  bicubicPhaseTaps,
  bicubicSkipConstants,
  bicubicSkipWeights,
  matlabCubic,
  symmetricPadIndices,
} from "./bicubic-skip.ts";

describe("bicubic skip constants", () => {
  it("uses Keys' cubic with a = -0.5, zero from distance 2", () => {
    expect([matlabCubic(0), matlabCubic(1), matlabCubic(2), matlabCubic(-2.5)]).toEqual([1, 0, 0, 0]);
    expect(matlabCubic(0.5)).toBeCloseTo(0.5625, 15);
    expect(matlabCubic(1.5)).toBeCloseTo(-0.0625, 15);
  });

  it("has the phase taps MATLAB's imresize uses at x4: offsets -0.375, -0.125, 0.125, 0.375", () => {
    const taps = bicubicPhaseTaps(4);
    expect(taps).toHaveLength(4);
    // Phase 0 samples i - 0.375: taps at offsets -2..2 are cubic(1.625), cubic(0.625), cubic(-0.375), ...
    const expected0 = [-2, -1, 0, 1, 2].map((d) => matlabCubic(-0.375 - d));
    expect([...(taps[0] ?? [])].map((w) => Number(w.toFixed(12)))).toEqual(expected0.map((w) => Number(w.toFixed(12))));
    for (const t of taps) expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    // Mirror symmetry: phase p equals phase s-1-p reversed.
    const reversed = [...(taps[3] ?? [])].reverse();
    reversed.forEach((w, i) => expect(w).toBeCloseTo(taps[0]?.[i] ?? NaN, 15));
    // At x2 the outermost tap on the far side is exactly 0.
    for (const t of bicubicPhaseTaps(2)) expect(Math.min(Math.abs(t[0] ?? 1), Math.abs(t[4] ?? 1))).toBe(0);
  });

  it("mirrors the border with the edge repeated, folding for short sides", () => {
    expect(symmetricPadIndices(4, 2)).toEqual([1, 0, 0, 1, 2, 3, 3, 2]);
    expect(symmetricPadIndices(1, 2)).toEqual([0, 0, 0, 0, 0]);
    expect(symmetricPadIndices(2, 2)).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it("lays the phase conv out block-diagonally in pixel-shuffle order", () => {
    const { weight, bias } = bicubicSkipWeights(2);
    expect(weight.shape).toEqual([5, 5, 3, 12]);
    expect(bias.data.every((v) => v === 0)).toBe(true);
    expect(weight.data.length + bias.data.length).toBe(bicubicSkipConstants(2));
    const k = BICUBIC_SKIP_KERNEL;
    const at = (dy: number, dx: number, c: number, o: number) => weight.data[((dy * k + dx) * 3 + c) * 12 + o] ?? NaN;
    const taps = bicubicPhaseTaps(2);
    // Output channel 1*4 + 1*2 + 0 = 6: channel 1, phase (1, 0).
    expect(at(2, 1, 1, 6)).toBeCloseTo((taps[1]?.[2] ?? 0) * (taps[0]?.[1] ?? 0), 7);
    expect(at(2, 1, 0, 6)).toBe(0);
    // Every phase's kernel sums to 1 for its own channel.
    for (let o = 0; o < 12; o++) {
      let sum = 0;
      for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) sum += at(dy, dx, Math.floor(o / 4), o);
      expect(sum).toBeCloseTo(1, 6);
    }
  });
});
