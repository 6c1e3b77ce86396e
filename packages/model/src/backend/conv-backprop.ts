import type { Conv2DAttrs, Tensor4D } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";

/** The geometry of a forward NHWC conv2d, as its attributes give it. */
export type ConvGeometry = Pick<Conv2DAttrs, "strides" | "pad" | "dilations" | "dimRoundingMode">;

type Shape4 = [number, number, number, number];

/**
 * How to line up a tensor of `size` rows so that a stride-1 correlation reads rows `-before .. -before + span - 1`
 * of it: rows outside become zero padding, rows past the span are cropped (explicit conv padding must be >= 0).
 */
interface Span {
  cropStart: number;
  cropEnd: number;
  padBefore: number;
  padAfter: number;
}

function span(size: number, before: number, needed: number): Span {
  const after = needed - size - before;
  return {
    cropStart: Math.max(0, -before),
    cropEnd: Math.max(0, -after),
    padBefore: Math.max(0, before),
    padAfter: Math.max(0, after),
  };
}

function cropped(tf: Tf, t: Tensor4D, rows: Span, cols: Span): Tensor4D {
  if (rows.cropStart + rows.cropEnd + cols.cropStart + cols.cropEnd === 0) return t;
  const [n, h, w, c] = t.shape;
  const size: Shape4 = [n, h - rows.cropStart - rows.cropEnd, w - cols.cropStart - cols.cropEnd, c];
  return tf.slice(t, [0, rows.cropStart, cols.cropStart, 0], size);
}

function explicitPad(rows: Span, cols: Span): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [rows.padBefore, rows.padAfter],
    [cols.padBefore, cols.padAfter],
    [0, 0],
  ];
}

/**
 * The weight gradient of an NHWC conv2d, as one forward conv2d.
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh*d - pad, ow*s + kw*d - pad, ci] * dy[n, oh, ow, co].
 * With x transposed to [ci, H, W, n] (input channels as the batch, the batch as channels) and dy to
 * [oh, ow, n, co] (the output gradient as a filter), that sum is a correlation whose output is kh x kw, taken
 * with stride d and dilation s: forward conv kernels run it at GEMM speed, where im2col + matMul or tfjs's
 * Conv2DBackpropFilter loops are 10-15x slower on wasm. tfjs never has both strides and dilations above 1, so the
 * swapped conv never does either.
 */
export function conv2dFilterGrad(
  tf: Tf,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: Shape4,
  geometry: ConvGeometry,
): Tensor4D {
  const { strides, dilations, pad, dimRoundingMode } = geometry;
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode);
  const reach = (k: number, d: number, out: number, s: number) => (k - 1) * d + (out - 1) * s + 1;
  const rows = span(
    info.inHeight,
    info.padInfo.top,
    reach(info.filterHeight, info.dilationHeight, info.outHeight, info.strideHeight),
  );
  const cols = span(
    info.inWidth,
    info.padInfo.left,
    reach(info.filterWidth, info.dilationWidth, info.outWidth, info.strideWidth),
  );
  return tf.tidy(() => {
    const channelsAsBatch = tf.transpose(cropped(tf, x, rows, cols), [3, 1, 2, 0]);
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]);
    const grad = tf.conv2d(
      channelsAsBatch,
      dyAsFilter,
      [info.dilationHeight, info.dilationWidth],
      explicitPad(rows, cols),
      "NHWC",
      [info.strideHeight, info.strideWidth],
    );
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}

/**
 * The input gradient of an NHWC conv2d, as forward conv2d ops.
 *
 * Stride 1 (any dilation d): dx[i] = sum_k dy[i + pad - k*d] * w[k], a correlation of the padded dy with the
 * spatially flipped kernel (in and out channels swapped) at dilation d.
 *
 * Stride s > 1 (dilation 1): instead of spreading dy with s - 1 zeros between entries (s*s times the work, mostly
 * multiplying zeros, which is what conv2dTranspose does), split dx into its s*s phases. Phase r of an axis,
 * dx[s*q + r - pad], only meets kernel taps r, r + s, r + 2s, ..., so it is a small stride-1 correlation of dy
 * with that sub-kernel, flipped. All phases run as one conv with s*s*inChannels outputs, then a reshape and
 * transpose interleave them back: the same work as the forward conv.
 */
export function conv2dInputGrad(
  tf: Tf,
  inputShape: Shape4,
  dy: Tensor4D,
  filter: Tensor4D,
  geometry: ConvGeometry,
): Tensor4D {
  const { strides, dilations, pad, dimRoundingMode } = geometry;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode);
  if (info.strideHeight === 1 && info.strideWidth === 1) return dilatedInputGrad(tf, info, dy, filter);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    // Forward conv2d rejects this combination, so no gradient can ask for it.
    throw new Error("conv2dInputGrad: strides and dilations both above 1");
  }
  return phasedInputGrad(tf, info, dy, filter);
}

type ConvInfo = ReturnType<Tf["backend_util"]["computeConv2DInfo"]>;

function flippedTransposed(tf: Tf, filter: Tensor4D): Tensor4D {
  return tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
}

function dilatedInputGrad(tf: Tf, info: ConvInfo, dy: Tensor4D, filter: Tensor4D): Tensor4D {
  const rows = span(
    info.outHeight,
    (info.filterHeight - 1) * info.dilationHeight - info.padInfo.top,
    info.inHeight + (info.filterHeight - 1) * info.dilationHeight,
  );
  const cols = span(
    info.outWidth,
    (info.filterWidth - 1) * info.dilationWidth - info.padInfo.left,
    info.inWidth + (info.filterWidth - 1) * info.dilationWidth,
  );
  return tf.tidy(() =>
    tf.conv2d(cropped(tf, dy, rows, cols), flippedTransposed(tf, filter), 1, explicitPad(rows, cols), "NHWC", [
      info.dilationHeight,
      info.dilationWidth,
    ]),
  );
}

/** Per axis: how many sub-kernel taps, which dy rows each phase reads, and where dx starts in the interleaving. */
function phases(stride: number, kernel: number, pad: number, inSize: number, outSize: number) {
  const taps = Math.ceil(kernel / stride);
  const firstQ = Math.floor(pad / stride);
  const count = Math.floor((pad + inSize - 1) / stride) - firstQ + 1;
  return {
    taps,
    count,
    offset: pad - stride * firstQ,
    span: span(outSize, taps - 1 - firstQ, count + taps - 1),
  };
}

/**
 * All stride phases' sub-kernels side by side, [tapsH, tapsW, outC, sh * sw * inC]: output channel
 * (rh * sw + rw) * inC + c holds phase (rh, rw) of input channel c, whose tap (jh, jw) is the flipped kernel's
 * w[rh + sh * (tapsH - 1 - jh), rw + sw * (tapsW - 1 - jw)], or zero past the kernel's end. One gather with a
 * precomputed index table: the same built from per-phase slices, flips and a concat cost more than the conv.
 */
function phaseKernels(tf: Tf, filter: Tensor4D, sh: number, sw: number, tapsH: number, tapsW: number): Tensor4D {
  const [kh, kw, inC, outC] = filter.shape;
  const zeroRow = kh * kw;
  const rows: number[] = [];
  for (let jh = 0; jh < tapsH; jh++) {
    for (let jw = 0; jw < tapsW; jw++) {
      for (let rh = 0; rh < sh; rh++) {
        for (let rw = 0; rw < sw; rw++) {
          const th = rh + sh * (tapsH - 1 - jh);
          const tw = rw + sw * (tapsW - 1 - jw);
          rows.push(th < kh && tw < kw ? th * kw + tw : zeroRow);
        }
      }
    }
  }
  const taps = tf.reshape(tf.transpose(filter, [0, 1, 3, 2]), [kh * kw, outC * inC]);
  const withZero = tf.concat([taps, tf.zeros([1, outC * inC])]);
  const gathered = tf.reshape(tf.gather(withZero, tf.tensor1d(rows, "int32")), [tapsH * tapsW, sh * sw, outC, inC]);
  return tf.reshape(tf.transpose(gathered, [0, 2, 1, 3]), [tapsH, tapsW, outC, sh * sw * inC]);
}

function phasedInputGrad(tf: Tf, info: ConvInfo, dy: Tensor4D, filter: Tensor4D): Tensor4D {
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [kh, kw, inC] = filter.shape;
  const rows = phases(sh, kh, info.padInfo.top, info.inHeight, info.outHeight);
  const cols = phases(sw, kw, info.padInfo.left, info.inWidth, info.outWidth);
  return tf.tidy(() => {
    const allPhases = tf.conv2d(
      cropped(tf, dy, rows.span, cols.span),
      phaseKernels(tf, filter, sh, sw, rows.taps, cols.taps),
      1,
      explicitPad(rows.span, cols.span),
    );
    const n = dy.shape[0];
    const interleaved: Tensor4D = tf.reshape(
      tf.transpose(tf.reshape(allPhases, [n * rows.count, cols.count, sh, sw * inC]), [0, 2, 1, 3]),
      [n, rows.count * sh, cols.count * sw, inC],
    );
    return tf.slice(interleaved, [0, rows.offset, cols.offset, 0], [n, info.inHeight, info.inWidth, inC]);
  });
}
