/**
 * PSNR as the SR literature reports it (BasicSR's calculate_psnr, MATLAB evaluation scripts): on the ITU-R BT.601 luma
 * channel in [0, 255] with a border of `scale` pixels removed, and optionally on RGB. Pure TypeScript on typed
 * arrays, so evaluation code can use it without tfjs.
 */
import { MfnasError } from "@mfnas/core";

/** An RGB image as metrics read it: height x width x 3, row-major HWC, values in [0, 1]. `RgbImage` fits. */
export interface RgbArray {
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array | Float64Array;
}

/** One channel, height x width, row-major. */
export interface Plane {
  readonly height: number;
  readonly width: number;
  readonly data: Float64Array;
}

/** Options shared by the image metrics. */
export interface MetricOptions {
  /** Pixels removed from each edge before measuring; SR papers remove `scale` pixels. Default 0. */
  cropBorder?: number;
  /** Round Y to integers, as MATLAB's rgb2ycbcr does on uint8 images. Default false (BasicSR keeps floats). */
  roundY?: boolean;
  /**
   * Clamp both images to [0, 1] and round them to 8-bit levels first, as saving the SR output to PNG does (BasicSR's
   * tensor2img before its metrics). Default false: measure the floats as given.
   */
  quantize?: boolean;
}

/** MATLAB rgb2ycbcr's luma for RGB in [0, 1]: Y = 16 + 65.481 R + 128.553 G + 24.966 B, in [16, 235]. */
export function rgbToY(image: RgbArray, options: Pick<MetricOptions, "roundY" | "quantize"> = {}): Plane {
  const pixels = image.height * image.width;
  const out = new Float64Array(pixels);
  const level = options.quantize ? quantizeLevel : (v: number) => v;
  for (let p = 0; p < pixels; p++) {
    const r = level(image.data[p * 3] ?? 0);
    const g = level(image.data[p * 3 + 1] ?? 0);
    const b = level(image.data[p * 3 + 2] ?? 0);
    const y = 16 + 65.481 * r + 128.553 * g + 24.966 * b;
    out[p] = options.roundY ? Math.round(y) : y;
  }
  return { height: image.height, width: image.width, data: out };
}

/** The plane without `border` pixels on each side. */
export function cropPlane(plane: Plane, border: number): Plane {
  if (border === 0) return plane;
  const height = plane.height - 2 * border;
  const width = plane.width - 2 * border;
  if (height < 1 || width < 1) {
    throw new MfnasError(
      "invalid_input",
      `cropping ${border} px from each edge leaves nothing of a ${plane.height}x${plane.width} image`,
      { border, height: plane.height, width: plane.width },
    );
  }
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    const from = (y + border) * plane.width + border;
    out.set(plane.data.subarray(from, from + width), y * width);
  }
  return { height, width, data: out };
}

/** 10 log10(peak^2 / MSE); Infinity for identical inputs. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak: number): number {
  if (a.length !== b.length || a.length === 0) {
    throw new MfnasError(
      "invalid_input",
      `psnr: need two non-empty arrays of one length, got ${a.length} and ${b.length}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/** PSNR of the BT.601 luma on [0, 255] (peak 255), the figure SR papers report. */
export function psnrY(a: RgbArray, b: RgbArray, options: MetricOptions = {}): number {
  assertSameSize(a, b);
  const border = options.cropBorder ?? 0;
  return psnr(cropPlane(rgbToY(a, options), border).data, cropPlane(rgbToY(b, options), border).data, 255);
}

/** PSNR over the three RGB channels, measured on the [0, 255] scale like BasicSR. */
export function psnrRgb(
  a: RgbArray,
  b: RgbArray,
  options: Pick<MetricOptions, "cropBorder" | "quantize"> = {},
): number {
  assertSameSize(a, b);
  const border = options.cropBorder ?? 0;
  return psnr(rgb255(a, border, options.quantize ?? false), rgb255(b, border, options.quantize ?? false), 255);
}

function rgb255(image: RgbArray, border: number, quantize: boolean): Float64Array {
  const height = image.height - 2 * border;
  const width = image.width - 2 * border;
  if (height < 1 || width < 1) {
    throw new MfnasError(
      "invalid_input",
      `cropping ${border} px leaves nothing of a ${image.height}x${image.width} image`,
    );
  }
  const out = new Float64Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * 3; i++) {
      const v = image.data[((y + border) * image.width + border) * 3 + i] ?? 0;
      out[y * width * 3 + i] = (quantize ? quantizeLevel(v) : v) * 255;
    }
  }
  return out;
}

function quantizeLevel(v: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * 255) / 255;
}

/** Throws unless both images have one size; the message names both. */
export function assertSameSize(a: RgbArray, b: RgbArray): void {
  for (const [name, image] of [
    ["first", a],
    ["second", b],
  ] as const) {
    if (image.data.length !== image.height * image.width * 3) {
      throw new MfnasError(
        "invalid_input",
        `${name} image: ${image.data.length} values do not make ${image.height}x${image.width}x3`,
      );
    }
  }
  if (a.height !== b.height || a.width !== b.width) {
    throw new MfnasError("invalid_input", `images differ in size: ${a.height}x${a.width} vs ${b.height}x${b.width}`, {
      first: [a.height, a.width],
      second: [b.height, b.width],
    });
  }
}
