import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createImage } from "./image-io.ts";
import type { RgbImage } from "./image-io.ts";
import { bicubicDownscale, cubicKernel, imresize, resizeContributions } from "./imresize.ts";
import type { ImresizeOptions } from "./imresize.ts";

interface FixtureImage {
  height: number;
  width: number;
  denominator: number;
  values: number[];
}
interface ImresizeFixture {
  cases: {
    name: string;
    input: FixtureImage;
    options: ImresizeOptions & { outputSize?: [number, number] };
    expected: { height: number; width: number; data: number[] };
  }[];
  pil: {
    input: FixtureImage;
    cases: {
      factor: number;
      interiorRows: [number, number];
      interiorCols: [number, number];
      pilFloat: number[];
      pilUint8: number[];
    }[];
  };
}

// Written by bench/reference/metrics_reference.py (numpy reimplementation of MATLAB imresize, and PIL).
const fixture = JSON.parse(
  readFileSync(new URL("./__fixtures__/imresize.json", import.meta.url), "utf8"),
) as ImresizeFixture;

function fromFixture(image: FixtureImage): RgbImage {
  return createImage(
    image.height,
    image.width,
    Float32Array.from(image.values, (v) => v / image.denominator),
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function filled(height: number, width: number, value: (y: number, x: number, c: number) => number): RgbImage {
  const image = createImage(height, width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) image.data[(y * width + x) * 3 + c] = value(y, x, c);
  return image;
}

function flipHorizontal(image: RgbImage): RgbImage {
  return filled(image.height, image.width, (y, x, c) => image.data[(y * image.width + image.width - 1 - x) * 3 + c]!);
}

describe("imresize against the numpy MATLAB reference", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const out = imresize(fromFixture(testCase.input), testCase.options);
    expect([out.height, out.width]).toEqual([testCase.expected.height, testCase.expected.width]);
    // Float32 storage bounds the error near 1e-7; the uint8 cases must agree on every 8-bit level.
    const tolerance = testCase.options.rounding === "uint8" ? 1e-6 : 1e-5;
    expect(maxAbsDiff(out.data, testCase.expected.data)).toBeLessThan(tolerance);
  });
});

describe("imresize against PIL's BICUBIC on interior pixels", () => {
  const input = fromFixture(fixture.pil.input);
  // PIL uses the same a = -0.5 kernel, pixel-centre mapping and antialiasing stretch, but clips taps at the border
  // instead of mirroring them; away from the border the weights are identical. In 'F' (float32) mode the only
  // residual is float32 arithmetic. In 8-bit mode PIL uses 22-bit fixed-point weights and rounds to uint8 after its
  // horizontal pass (MATLAB order is rows first), so results may differ by one level.
  it.each(fixture.pil.cases.map((c) => [c.factor, c] as const))("x%i", (factor, pilCase) => {
    const ours = bicubicDownscale(input, factor);
    const [r0, r1] = pilCase.interiorRows;
    const [c0, c1] = pilCase.interiorCols;
    let floatDiff = 0;
    let levelDiff = 0;
    for (let y = r0; y < r1; y++) {
      for (let x = c0; x < c1; x++) {
        for (let c = 0; c < 3; c++) {
          const i = (y * ours.width + x) * 3 + c;
          floatDiff = Math.max(floatDiff, Math.abs(ours.data[i]! - pilCase.pilFloat[i]!));
          levelDiff = Math.max(levelDiff, Math.abs(Math.round(ours.data[i]! * 255) - pilCase.pilUint8[i]!));
        }
      }
    }
    expect(r1 - r0).toBeGreaterThan(2);
    expect(floatDiff).toBeLessThan(1e-6);
    expect(levelDiff).toBeLessThanOrEqual(1);
  });
});

describe("imresize exactness properties", () => {
  const scales = [0.25, 1 / 3, 0.5, 2, 3, 4];

  it("keeps a constant image constant (normalised weights, mirrored borders)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(...scales),
        fc.double({ min: -2, max: 2, noNaN: true }),
        (h, w, scale, value) => {
          const out = imresize(
            filled(h, w, () => value),
            { scale },
          );
          for (const v of out.data) expect(Math.abs(v - value)).toBeLessThan(1e-5);
        },
      ),
    );
  });

  it("maps a linear ramp to the linear ramp at the output pixel centres, away from the borders", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...scales),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: -0.05, max: 0.05, noNaN: true }),
        (scale, offset, slope) => {
          const width = 48;
          const out = imresize(
            filled(6, width, (_y, x) => offset + slope * x),
            { scale },
          );
          // Support radius in input pixels is 2 (or 2 / scale when shrinking); skip outputs that reach the border.
          const margin = Math.ceil((scale < 1 ? 2 / scale : 2) * Math.max(1, scale)) + 1;
          for (let x = margin; x < out.width - margin; x++) {
            const centre = (x + 0.5) / scale - 0.5;
            expect(out.data[x * 3]!).toBeCloseTo(offset + slope * centre, 5);
          }
        },
      ),
    );
  });

  it("commutes with a horizontal flip when the sampling grid is symmetric", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (f, k, s) => {
          const image = filled(4 * f, f * k, (y, x, c) => Math.sin(s + 1.3 * x + 0.7 * y + c));
          const a = flipHorizontal(bicubicDownscale(image, f));
          const b = bicubicDownscale(flipHorizontal(image), f);
          expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-6);
        },
      ),
    );
  });

  it("makes x4 LR sizes as ceil(size / 4)", () => {
    expect(bicubicDownscale(createImage(128, 96), 4)).toMatchObject({ height: 32, width: 24 });
    expect(bicubicDownscale(createImage(17, 13), 4)).toMatchObject({ height: 5, width: 4 });
    expect(imresize(createImage(10, 13), { outputSize: [14, 5] })).toMatchObject({ height: 14, width: 5 });
  });

  it("returns multiples of 1/255 in uint8 mode and differs from float mode", () => {
    const image = filled(16, 16, (y, x, c) => 0.5 + 0.5 * Math.sin(x * 1.7 + y * 0.9 + c));
    const rounded = imresize(image, { scale: 0.25, rounding: "uint8" });
    for (const v of rounded.data) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
    expect(maxAbsDiff(rounded.data, imresize(image, { scale: 0.25 }).data)).toBeGreaterThan(1e-4);
  });

  it("uses MATLAB's cubic kernel and normalised, in-range taps", () => {
    expect([cubicKernel(0), cubicKernel(1), cubicKernel(2), cubicKernel(0.5), cubicKernel(1.5)]).toEqual([
      1, 0, 0, 0.5625, -0.0625,
    ]);
    const c = resizeContributions(5, 20, 4, true);
    for (let o = 0; o < c.outLength; o++) {
      let sum = 0;
      for (let t = 0; t < c.taps; t++) {
        sum += c.weights[o * c.taps + t]!;
        expect(c.indices[o * c.taps + t]).toBeGreaterThanOrEqual(0);
        expect(c.indices[o * c.taps + t]).toBeLessThan(5);
      }
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it("rejects ambiguous or invalid sizes", () => {
    const image = createImage(8, 8);
    expect(() => imresize(image, {})).toThrow(/exactly one of scale and outputSize/);
    expect(() => imresize(image, { scale: 0.5, outputSize: [4, 4] })).toThrow(/exactly one/);
    expect(() => imresize(image, { scale: 0 })).toThrow(/positive/);
    expect(() => imresize(image, { outputSize: [4, 0] })).toThrow(/positive integers/);
  });
});
