/**
 * SSIM as Wang et al. (2004) define it and BasicSR's calculate_ssim computes it: an 11x11 Gaussian window with
 * sigma 1.5, 'valid' filtering (only windows that lie inside the image), C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2,
 * population (not sample) covariances, on the luma channel in [0, 255]; the result is the mean of the SSIM map.
 */
import { MfnasError } from "@mfnas/core";
import { assertSameSize, cropPlane, rgbToY } from "./psnr.ts";
import type { MetricOptions, Plane, RgbArray } from "./psnr.ts";

const RADIUS = 5;
const SIGMA = 1.5;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** cv2.getGaussianKernel(11, 1.5): the 2-D window is its outer product, so filtering can be separable. */
const GAUSSIAN: Float64Array = (() => {
  const g = new Float64Array(2 * RADIUS + 1);
  let sum = 0;
  for (let i = 0; i < g.length; i++) {
    g[i] = Math.exp(-((i - RADIUS) ** 2) / (2 * SIGMA * SIGMA));
    sum += g[i] ?? 0;
  }
  return g.map((v) => v / sum);
})();

/** Gaussian-weighted local means of `values` over every window that fits: (h - 10) x (w - 10). */
function filterValid(values: Float64Array, height: number, width: number): Float64Array {
  const taps = GAUSSIAN.length;
  const outW = width - taps + 1;
  const outH = height - taps + 1;
  const rows = new Float64Array(height * outW);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let t = 0; t < taps; t++) acc += (GAUSSIAN[t] ?? 0) * (values[y * width + x + t] ?? 0);
      rows[y * outW + x] = acc;
    }
  }
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let t = 0; t < taps; t++) acc += (GAUSSIAN[t] ?? 0) * (rows[(y + t) * outW + x] ?? 0);
      out[y * outW + x] = acc;
    }
  }
  return out;
}

/** Mean SSIM of two planes holding values on the [0, 255] scale; 1 for identical planes. */
export function ssim(a: Plane, b: Plane): number {
  const { height, width } = a;
  if (b.height !== height || b.width !== width) {
    throw new MfnasError("invalid_input", `ssim: planes differ in size: ${height}x${width} vs ${b.height}x${b.width}`);
  }
  const taps = GAUSSIAN.length;
  if (height < taps || width < taps) {
    throw new MfnasError("invalid_input", `ssim: needs at least ${taps}x${taps} pixels, got ${height}x${width}`, {
      height,
      width,
    });
  }
  const n = height * width;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a.data[i] ?? 0;
    const y = b.data[i] ?? 0;
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const muA = filterValid(a.data, height, width);
  const muB = filterValid(b.data, height, width);
  const eAA = filterValid(aa, height, width);
  const eBB = filterValid(bb, height, width);
  const eAB = filterValid(ab, height, width);
  let sum = 0;
  for (let i = 0; i < muA.length; i++) {
    const ma = muA[i] ?? 0;
    const mb = muB[i] ?? 0;
    const varA = (eAA[i] ?? 0) - ma * ma;
    const varB = (eBB[i] ?? 0) - mb * mb;
    const cov = (eAB[i] ?? 0) - ma * mb;
    sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (varA + varB + C2));
  }
  return sum / muA.length;
}

/** SSIM of the BT.601 luma on [0, 255], after removing `cropBorder` pixels, the figure SR papers report. */
export function ssimY(a: RgbArray, b: RgbArray, options: MetricOptions = {}): number {
  assertSameSize(a, b);
  const border = options.cropBorder ?? 0;
  return ssim(cropPlane(rgbToY(a, options), border), cropPlane(rgbToY(b, options), border));
}
