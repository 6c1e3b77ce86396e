import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { psnr, psnrRgb, psnrY, rgbToY } from "./psnr.ts";
import type { RgbArray } from "./psnr.ts";
import { ssim, ssimY } from "./ssim.ts";

interface FixtureImage {
  height: number;
  width: number;
  denominator: number;
  values: number[];
}
interface MetricsFixture {
  cases: {
    name: string;
    a: FixtureImage;
    b: FixtureImage;
    checks: {
      cropBorder: number;
      roundY: boolean;
      expected: { psnrY: number; ssimY: number; ssimYBasicsr: number; psnrRgb: number };
    }[];
  }[];
}

// Written by bench/reference/metrics_reference.py: skimage's PSNR/SSIM on the same Y channels, and a numpy copy of
// BasicSR's 'valid'-filtered SSIM. Inputs are the float32 values TypeScript holds, so only arithmetic order differs.
const fixture = JSON.parse(
  readFileSync(new URL("./__fixtures__/metrics.json", import.meta.url), "utf8"),
) as MetricsFixture;

function fromFixture(image: FixtureImage): RgbArray {
  return { ...image, data: Float32Array.from(image.values, (v) => v / image.denominator) };
}

function image(height: number, width: number, value: (y: number, x: number, c: number) => number): RgbArray {
  const data = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(y, x, c);
  return { height, width, data };
}

const texture = (y: number, x: number, c: number) => 0.5 + 0.3 * Math.sin(0.9 * x + 0.4 * y + c) * Math.cos(0.3 * y);

describe("metrics against skimage and BasicSR (fixtures)", () => {
  const rows = fixture.cases.flatMap((c) =>
    c.checks.map(
      (check) => [`${c.name}, crop ${check.cropBorder}${check.roundY ? ", rounded Y" : ""}`, c, check] as const,
    ),
  );
  it.each(rows)("%s", (_name, testCase, check) => {
    const a = fromFixture(testCase.a);
    const b = fromFixture(testCase.b);
    const options = { cropBorder: check.cropBorder, roundY: check.roundY };
    expect(Math.abs(psnrY(a, b, options) - check.expected.psnrY)).toBeLessThan(1e-4);
    expect(Math.abs(ssimY(a, b, options) - check.expected.ssimY)).toBeLessThan(1e-6);
    expect(Math.abs(ssimY(a, b, options) - check.expected.ssimYBasicsr)).toBeLessThan(1e-6);
    expect(Math.abs(psnrRgb(a, b, options) - check.expected.psnrRgb)).toBeLessThan(1e-4);
  });
});

describe("PSNR and SSIM behaviour", () => {
  const hr = image(32, 32, texture);

  it("gives Infinity PSNR and SSIM exactly 1 for identical images", () => {
    expect(psnrY(hr, hr)).toBe(Infinity);
    expect(psnrRgb(hr, hr)).toBe(Infinity);
    expect(ssimY(hr, hr, { cropBorder: 4 })).toBe(1);
  });

  it("scores a one-pixel shift below a faint noise, and more noise below less", () => {
    const shifted = image(32, 32, (y, x, c) => texture(y, x + 1, c));
    const faint = image(32, 32, (y, x, c) => texture(y, x, c) + 0.004 * Math.sin(97 * x + 31 * y + c));
    const strong = image(32, 32, (y, x, c) => texture(y, x, c) + 0.04 * Math.sin(97 * x + 31 * y + c));
    expect(psnrY(hr, shifted)).toBeLessThan(psnrY(hr, faint));
    expect(ssimY(hr, shifted)).toBeLessThan(ssimY(hr, faint));
    expect(psnrY(hr, strong)).toBeLessThan(psnrY(hr, faint));
    expect(ssimY(hr, strong)).toBeLessThan(ssimY(hr, faint));
  });

  it("uses the BT.601 luma on [16, 235]: a gray offset d gives 20 log10(255 / (219 d))", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.2, noNaN: true }), (d) => {
        const a = image(12, 12, () => 0.3);
        const b = image(12, 12, () => 0.3 + d);
        // Float32 storage of 0.3 + d limits the agreement; 1e-3 dB is far tighter than a wrong weight would give.
        expect(psnrY(a, b)).toBeCloseTo(20 * Math.log10(255 / (219 * d)), 3);
      }),
    );
    expect(rgbToY(image(1, 1, () => 1)).data[0]).toBeCloseTo(235, 10);
    expect(rgbToY(image(1, 1, () => 0)).data[0]).toBe(16);
    expect(rgbToY(image(1, 1, (_y, _x, c) => (c === 0 ? 1 : 0))).data[0]).toBeCloseTo(81.481, 10);
  });

  it("ignores differences inside the cropped border", () => {
    const framed = image(32, 32, (y, x, c) => (y < 4 || x < 4 || y >= 28 || x >= 28 ? 0 : texture(y, x, c)));
    expect(psnrY(hr, framed, { cropBorder: 4 })).toBe(Infinity);
    expect(ssimY(hr, framed, { cropBorder: 4 })).toBe(1);
    expect(psnrY(hr, framed, { cropBorder: 3 })).toBeLessThan(30);
  });

  it("matches the closed form for flat planes and is symmetric", () => {
    const flat = (v: number) => ({ height: 11, width: 11, data: new Float64Array(121).fill(v) });
    const c1 = (0.01 * 255) ** 2;
    expect(ssim(flat(100), flat(120))).toBeCloseTo((2 * 100 * 120 + c1) / (100 ** 2 + 120 ** 2 + c1), 12);
    const noisy = image(32, 32, (y, x, c) => texture(y, x, c) + 0.05 * Math.sin(13 * x * y + c));
    expect(ssimY(hr, noisy)).toBeCloseTo(ssimY(noisy, hr), 14);
  });

  it("rounds Y or quantises only when asked", () => {
    const off = image(16, 16, (y, x, c) => Math.round(texture(y, x, c) * 255) / 255 + 0.3 / 255);
    const levels = image(16, 16, (y, x, c) => Math.round(texture(y, x, c) * 255) / 255);
    expect(psnrY(levels, off)).toBeLessThan(60);
    expect(psnrY(levels, off, { quantize: true })).toBe(Infinity);
    const y = rgbToY(off, { roundY: true }).data;
    for (const v of y) expect(v).toBe(Math.round(v));
  });

  it("rejects mismatched sizes naming both, and images too small for the SSIM window", () => {
    expect(() => psnrY(hr, image(32, 30, texture))).toThrow(/32x32 vs 32x30/);
    expect(() => ssimY(hr, image(30, 32, texture))).toThrow(/32x32 vs 30x32/);
    expect(() => ssimY(image(14, 14, texture), image(14, 14, texture), { cropBorder: 2 })).toThrow(/at least 11x11/);
    expect(() => psnr([1, 2], [1], 255)).toThrow(/one length/);
  });
});
