/**
 * The figures an SR evaluation reports per image (Y-PSNR, Y-SSIM, RGB PSNR), with the literature's border crop, for
 * single images or for NHWC tensor batches coming out of a generator. Tensors are only read (`data()`), so this works
 * with whatever backend the caller chose and disposes nothing it did not create.
 */
import { MfnasError } from "@mfnas/core";
import type { Tensor } from "@tensorflow/tfjs-core";
import { psnrRgb, psnrY } from "./psnr.ts";
import type { MetricOptions, RgbArray } from "./psnr.ts";
import { ssimY } from "./ssim.ts";

/** Per-image metrics. PSNR in dB (Infinity for identical images); SSIM in (-1, 1]. */
export interface SrMetrics {
  readonly psnrY: number;
  readonly ssimY: number;
  readonly psnrRgb: number;
}

/** Options of `srMetrics` / `batchSrMetrics`. */
export interface SrMetricOptions extends MetricOptions {
  /** The SR scale factor (2 or 4 here); sets the default border crop. */
  scale: number;
  /** Pixels removed from each edge. Default `scale`, as in BasicSR's crop_border and MATLAB SR scripts. */
  cropBorder?: number;
}

/** Y-PSNR, Y-SSIM and RGB PSNR of a super-resolved image against its ground truth. */
export function srMetrics(sr: RgbArray, hr: RgbArray, options: SrMetricOptions): SrMetrics {
  const metricOptions: MetricOptions = { ...options, cropBorder: options.cropBorder ?? options.scale };
  return {
    psnrY: psnrY(sr, hr, metricOptions),
    ssimY: ssimY(sr, hr, metricOptions),
    psnrRgb: psnrRgb(sr, hr, metricOptions),
  };
}

/** Metrics for each image of two NHWC float32 batches in [0, 1] (shape [n, h, w, 3]), in batch order. */
export async function batchSrMetrics(sr: Tensor, hr: Tensor, options: SrMetricOptions): Promise<SrMetrics[]> {
  const [n, height, width, channels] = sr.shape;
  const sameShape = sr.shape.length === hr.shape.length && sr.shape.every((d, i) => d === hr.shape[i]);
  if (sr.rank !== 4 || channels !== 3 || !sameShape || n === undefined || height === undefined || width === undefined) {
    throw new MfnasError(
      "invalid_input",
      `batchSrMetrics: need two [n, h, w, 3] tensors of one shape, got [${sr.shape.join(", ")}] and [${hr.shape.join(", ")}]`,
      { sr: sr.shape, hr: hr.shape },
    );
  }
  if (sr.dtype !== "float32" || hr.dtype !== "float32") {
    throw new MfnasError("invalid_input", `batchSrMetrics: need float32 tensors, got ${sr.dtype} and ${hr.dtype}`);
  }
  const [srData, hrData] = (await Promise.all([sr.data(), hr.data()])) as [Float32Array, Float32Array];
  const size = height * width * 3;
  const results: SrMetrics[] = [];
  for (let i = 0; i < n; i++) {
    const view = (data: Float32Array): RgbArray => ({ height, width, data: data.subarray(i * size, (i + 1) * size) });
    results.push(srMetrics(view(srData), view(hrData), options));
  }
  return results;
}
