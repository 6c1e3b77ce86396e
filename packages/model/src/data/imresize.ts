/**
 * MATLAB-compatible bicubic `imresize`, the convention the SR literature uses to make low-resolution images (EDSR,
 * ESRGAN, BasicSR's `imresize`): reusing it keeps our LR inputs and PSNR figures comparable with published ones.
 *
 * Reimplemented from MATLAB's documented algorithm (imresize.m, `contributions`):
 * - Keys cubic kernel with a = -0.5 and support 4;
 * - when downscaling with antialiasing, the kernel is stretched by 1/scale (h(x) = scale * k(scale * x));
 * - output pixel x (1-based) samples input position u = x / scale + 0.5 * (1 - 1 / scale);
 * - taps beyond the border are mirrored symmetrically (aux = [1..n, n..1]);
 * - weights of each output pixel are normalised to sum to 1;
 * - the resize is separable, one dimension at a time, the dimension with the smaller scale first (rows first on ties).
 */
import { MfnasError } from "@mfnas/core";
import { createImage } from "./image-io.ts";
import type { RgbImage } from "./image-io.ts";

/** Options of `imresize`; give exactly one of `scale` and `outputSize`. */
export interface ImresizeOptions {
  /** One factor for both sides; the output is ceil(scale * input), as in MATLAB. 0.25 makes x4 LR images. */
  scale?: number;
  /** Exact output [height, width]; each side's scale is then output / input, as in MATLAB. */
  outputSize?: readonly [number, number];
  /** Stretch the kernel by 1/scale when downscaling (MATLAB's 'Antialiasing'). Default true. */
  antialiasing?: boolean;
  /**
   * "none" (default): float in, float out, nothing rounded or clamped. "uint8": behave like MATLAB on a uint8 image:
   * the input is quantised to 8 bits and every pass is rounded and saturated to 0..255 before the next one.
   */
  rounding?: "none" | "uint8";
}

/** MATLAB's cubic kernel (Keys, a = -0.5): exact 0 outside |x| <= 2. */
export function cubicKernel(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

const KERNEL_WIDTH = 4;

/** Per-output-pixel taps along one dimension: `taps` 0-based input indices and normalised weights per output. */
export interface ResizeContributions {
  readonly outLength: number;
  readonly taps: number;
  readonly indices: Int32Array;
  readonly weights: Float64Array;
}

/** MATLAB's `contributions(in_length, out_length, scale, kernel, kernel_width, antialiasing)`. */
export function resizeContributions(
  inLength: number,
  outLength: number,
  scale: number,
  antialiasing: boolean,
): ResizeContributions {
  const shrink = scale < 1 && antialiasing;
  const kernelWidth = shrink ? KERNEL_WIDTH / scale : KERNEL_WIDTH;
  const kernel = shrink ? (x: number) => scale * cubicKernel(scale * x) : cubicKernel;
  const taps = Math.ceil(kernelWidth) + 2;
  const indices = new Int32Array(outLength * taps);
  const weights = new Float64Array(outLength * taps);
  const period = 2 * inLength;
  for (let o = 0; o < outLength; o++) {
    const x = o + 1;
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const index1 = left + t; // 1-based, may fall outside 1..inLength
      const w = kernel(u - index1);
      weights[o * taps + t] = w;
      sum += w;
      // Symmetric padding: fold the 0-based index into [0, 2n) and reflect the upper half.
      const folded = (((index1 - 1) % period) + period) % period;
      indices[o * taps + t] = folded < inLength ? folded : period - 1 - folded;
    }
    for (let t = 0; t < taps; t++) weights[o * taps + t] = (weights[o * taps + t] ?? 0) / sum;
  }
  return { outLength, taps, indices, weights };
}

/** Resize along one axis of a planar-interleaved HWC buffer with 3 channels. */
function resizeAlong(
  src: Float64Array,
  height: number,
  width: number,
  axis: 0 | 1,
  c: ResizeContributions,
  roundUint8: boolean,
): Float64Array<ArrayBuffer> {
  const outH = axis === 0 ? c.outLength : height;
  const outW = axis === 1 ? c.outLength : width;
  const out = new Float64Array(outH * outW * 3);
  const { taps, indices, weights } = c;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const o = axis === 0 ? y : x;
      for (let ch = 0; ch < 3; ch++) {
        let acc = 0;
        for (let t = 0; t < taps; t++) {
          const i = indices[o * taps + t] ?? 0;
          const srcIndex = axis === 0 ? (i * width + x) * 3 + ch : (y * width + i) * 3 + ch;
          acc += (weights[o * taps + t] ?? 0) * (src[srcIndex] ?? 0);
        }
        // MATLAB's imresizemex returns the input class: a uint8 pass rounds half away from zero and saturates.
        out[(y * outW + x) * 3 + ch] = roundUint8 ? Math.round(Math.min(255, Math.max(0, acc))) : acc;
      }
    }
  }
  return out;
}

function outputGeometry(
  image: RgbImage,
  options: ImresizeOptions,
): { size: [number, number]; scale: [number, number] } {
  const { scale, outputSize } = options;
  if ((scale === undefined) === (outputSize === undefined)) {
    throw new MfnasError("invalid_input", "imresize: give exactly one of scale and outputSize", { scale, outputSize });
  }
  if (scale !== undefined) {
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new MfnasError("invalid_input", `imresize: scale must be a positive number, got ${scale}`, { scale });
    }
    return { size: [Math.ceil(scale * image.height), Math.ceil(scale * image.width)], scale: [scale, scale] };
  }
  const [h, w] = outputSize ?? [0, 0];
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new MfnasError("invalid_input", `imresize: outputSize must be positive integers, got ${h}x${w}`, {
      outputSize,
    });
  }
  return { size: [h, w], scale: [h / image.height, w / image.width] };
}

/** Bicubic resize with MATLAB's semantics; see the module comment. Returns a new image. */
export function imresize(image: RgbImage, options: ImresizeOptions): RgbImage {
  const { size, scale } = outputGeometry(image, options);
  const antialiasing = options.antialiasing ?? true;
  const roundUint8 = (options.rounding ?? "none") === "uint8";

  let buffer = new Float64Array(image.data.length);
  for (let i = 0; i < buffer.length; i++) {
    const v = image.data[i] ?? 0;
    buffer[i] = roundUint8 ? Math.round(Math.min(1, Math.max(0, v)) * 255) : v;
  }
  let height = image.height;
  let width = image.width;
  // MATLAB sorts the dimensions by scale (stable), so the stronger shrink happens first and rows win ties.
  const order: (0 | 1)[] = scale[1] < scale[0] ? [1, 0] : [0, 1];
  for (const axis of order) {
    const inLength = axis === 0 ? height : width;
    const contributions = resizeContributions(inLength, size[axis], scale[axis], antialiasing);
    buffer = resizeAlong(buffer, height, width, axis, contributions, roundUint8);
    if (axis === 0) height = size[0];
    else width = size[1];
  }
  const out = createImage(height, width);
  for (let i = 0; i < buffer.length; i++) out.data[i] = roundUint8 ? (buffer[i] ?? 0) / 255 : (buffer[i] ?? 0);
  return out;
}

/** The SR convention for making an LR image: `imresize(image, 1 / factor)`, bicubic with antialiasing. */
export function bicubicDownscale(
  image: RgbImage,
  factor: number,
  options: Pick<ImresizeOptions, "rounding"> = {},
): RgbImage {
  return imresize(image, { scale: 1 / factor, ...options });
}
