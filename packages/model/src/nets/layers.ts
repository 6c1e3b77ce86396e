/**
 * The few ops the generators and the discriminator are built from, all NHWC with HWIO weights. Training needs the
 * gradients `registerTrainingGradients` adds (backend/training-gradients.ts): tfjs's own Conv2D gradient asserts
 * dilation 1, ours computes the dilated conv's gradient with forward convs, so the dil2 branch is one native
 * dilated conv (no space-to-batch round trip). DepthToSpace has no gradient in tfjs, so pixel (un)shuffle is a
 * reshape/transpose.
 */
import { BICUBIC_SKIP_PAD, MfnasError, bicubicSkipWeights, symmetricPadIndices } from "@mfnas/core";
import type { Tensor1D, Tensor4D, Tf } from "../tf.ts";

/** Slope of every LeakyReLU in mfnas (ESRGAN, MFAGAN, pix2pix). */
export const LEAKY_SLOPE = 0.2;

/** A conv layer's weights: HWIO kernel and per-output-channel bias. */
export interface ConvWeights {
  readonly weight: Tensor4D;
  readonly bias: Tensor1D;
}

export interface ConvOptions {
  /** Stride in both directions. Default 1. */
  stride?: number;
  /** Dilation in both directions. Default 1. */
  dilation?: number;
  /** 'same' (TensorFlow's, asymmetric for even kernels) or an explicit zero padding on every side. Default 'same'. */
  pad?: "same" | number;
}

export function leakyRelu(tf: Tf, x: Tensor4D): Tensor4D {
  return tf.leakyRelu(x, LEAKY_SLOPE);
}

/** conv2d + bias. */
export function conv2d(tf: Tf, x: Tensor4D, conv: ConvWeights, options: ConvOptions = {}): Tensor4D {
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  const pad = options.pad ?? "same";
  if (dilation === 1) return tf.add(tf.conv2d(x, conv.weight, stride, pad), conv.bias);
  if (stride !== 1 || pad !== "same") {
    throw new MfnasError("unsupported", "conv2d: dilation > 1 is implemented for stride 1 and 'same' padding only");
  }
  return tf.add(tf.conv2d(x, conv.weight, 1, "same", "NHWC", dilation), conv.bias);
}

/** conv2d + bias + LeakyReLU(0.2). */
export function conv2dLrelu(tf: Tf, x: Tensor4D, conv: ConvWeights, options: ConvOptions = {}): Tensor4D {
  return leakyRelu(tf, conv2d(tf, x, conv, options));
}

/** `avgpool factor x factor, stride factor`; the sides must divide by `factor` (callers check). */
export function avgPoolDown(tf: Tf, x: Tensor4D, factor: number): Tensor4D {
  return factor === 1 ? x : tf.avgPool(x, factor, factor, "valid");
}

/** Nearest-neighbour upsampling by an integer factor (PyTorch `interpolate(mode='nearest')`: pixel (y, x) copies
 * (floor(y / f), floor(x / f))). */
export function upsampleNearest(tf: Tf, x: Tensor4D, factor: number): Tensor4D {
  if (factor === 1) return x;
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [h * factor, w * factor], false, false);
}

/** Pads H and W by `pad` on each side with MATLAB's symmetric boundary (edge repeated), for any side >= 1. */
function padSymmetric(tf: Tf, x: Tensor4D, pad: number): Tensor4D {
  const [, h, w] = x.shape;
  const rows = tf.tensor1d(symmetricPadIndices(h, pad), "int32");
  const cols = tf.tensor1d(symmetricPadIndices(w, pad), "int32");
  const out = tf.gather(tf.gather(x, rows, 1), cols, 2);
  tf.dispose([rows, cols]);
  return out;
}

/**
 * MATLAB-compatible bicubic upscaling of an RGB batch by an integer factor (`imresize(x, factor)`, no rounding):
 * symmetric pad 2 -> the fixed 5x5 phase conv of `bicubicSkipWeights` ('valid') -> pixel shuffle. The same ops
 * as the exported output skip; the weights are constants, created per call and never trained.
 */
export function upsampleBicubic(tf: Tf, x: Tensor4D, factor: number): Tensor4D {
  return tf.tidy(() => {
    const { weight } = bicubicSkipWeights(factor);
    const kernel = tf.tensor4d(weight.data, weight.shape as [number, number, number, number], "float32");
    // The zero bias of the exported conv is left out: adding 0 changes nothing.
    const phases = tf.conv2d(padSymmetric(tf, x, BICUBIC_SKIP_PAD), kernel, 1, "valid");
    return pixelShuffle(tf, phases, factor);
  });
}

/**
 * PyTorch's `nn.PixelShuffle(r)` in NHWC: input channel `c * r * r + i * r + j` becomes output channel `c` at
 * sub-pixel (i, j). PyTorch's channel order (not tf.depthToSpace's, which is `(i * r + j) * C + c`) so that weights
 * round-trip with PyTorch models, and so that the first 4C conv outputs are exactly the first C shuffled channels.
 */
export function pixelShuffle(tf: Tf, x: Tensor4D, r: number): Tensor4D {
  const [n, h, w, c] = x.shape;
  const out = c / (r * r);
  const split = tf.reshape(x, [n, h, w, out, r, r]);
  const moved = tf.transpose(split, [0, 1, 4, 2, 5, 3]); // n, h, i, w, j, c
  return tf.reshape(moved, [n, h * r, w * r, out]);
}

/** PyTorch's `pixel_unshuffle(x, r)` in NHWC, the inverse of `pixelShuffle`: output channel `c * r * r + i * r + j`. */
export function pixelUnshuffle(tf: Tf, x: Tensor4D, r: number): Tensor4D {
  const [n, hr, wr, c] = x.shape;
  const h = hr / r;
  const w = wr / r;
  const split = tf.reshape(x, [n, h, r, w, r, c]);
  const moved = tf.transpose(split, [0, 1, 3, 5, 2, 4]); // n, h, w, c, i, j
  return tf.reshape(moved, [n, h, w, c * r * r]);
}
