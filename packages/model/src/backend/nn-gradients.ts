import type {
  AvgPoolAttrs,
  BatchMatMulAttrs,
  Conv2DAttrs,
  Conv2DBackpropInputAttrs,
  DepthToSpaceAttrs,
  GradConfig,
  ResizeNearestNeighborAttrs,
  Tensor4D,
} from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";
import { conv2dFilterGrad, conv2dInputGrad } from "./conv-backprop.ts";
import { savedAt, singleOutputGrad, sumToShape } from "./grad-utils.ts";
import { pair, runKernel, TO_NCHW, TO_NHWC } from "./kernel-utils.ts";

/**
 * The Conv2D gradient, registered over tfjs's own, which asserts dilation 1 on every backend: the MFA block's
 * dil2 branch could not train. Dilation 1 goes to the backend's backprop kernels exactly as tfjs does (native on
 * tfjs-node, ours on wasm); dilation > 1 is computed with forward convs (conv-backprop.ts), which every backend
 * runs with dilation.
 */
export function conv2dGradient(tf: Tf): GradConfig {
  return singleOutputGrad<Conv2DAttrs>("Conv2D", { inputsToSave: ["x", "filter"] }, (dy, saved, attrs) => {
    const x = savedAt(saved, 0, "Conv2D") as Tensor4D;
    const filter = savedAt(saved, 1, "Conv2D") as Tensor4D;
    const { strides, pad, dataFormat, dimRoundingMode } = attrs;
    const [dh, dw] = pair(attrs.dilations);
    if (dh === 1 && dw === 1) {
      const common = { strides, pad, dataFormat, dimRoundingMode };
      return {
        x: () => runKernel(tf, "Conv2DBackpropInput", { dy, filter }, { ...common, inputShape: x.shape }),
        filter: () => runKernel(tf, "Conv2DBackpropFilter", { x, dy }, { ...common, filterShape: filter.shape }),
      };
    }
    const nchw = dataFormat === "NCHW";
    const xNhwc = nchw ? tf.transpose(x, TO_NHWC) : x;
    const dyNhwc = (nchw ? tf.transpose(dy, TO_NHWC) : dy) as Tensor4D;
    const geometry = { strides, pad, dilations: attrs.dilations, dimRoundingMode };
    return {
      x: () => {
        const dx = conv2dInputGrad(tf, xNhwc.shape, dyNhwc, filter, geometry);
        return nchw ? tf.transpose(dx, TO_NCHW) : dx;
      },
      filter: () => conv2dFilterGrad(tf, xNhwc, dyNhwc, filter.shape, geometry),
    };
  });
}

/**
 * Gradients of the network ops other than Conv2D: pools and resizes (down2/down4 branches), depth-to-space (the
 * pixel-shuffle upsampler; tfjs has no gradient for it on any backend), conv2dTranspose and matMul.
 */
export function nnGradients(tf: Tf): GradConfig[] {
  return [
    singleOutputGrad<DepthToSpaceAttrs>("DepthToSpace", {}, (dy, _saved, { blockSize, dataFormat }) => ({
      x: () => spaceToDepth(tf, dy as Tensor4D, blockSize, dataFormat),
    })),
    singleOutputGrad<AvgPoolAttrs>("AvgPool", { inputsToSave: ["x"] }, (dy, saved, attrs) => ({
      x: () => avgPoolGrad(tf, dy as Tensor4D, savedAt(saved, 0, "AvgPool") as Tensor4D, attrs),
    })),
    singleOutputGrad<AvgPoolAttrs>("MaxPool", { inputsToSave: ["x"], outputsToSave: [true] }, (dy, saved, attrs) => ({
      x: () =>
        runKernel(
          tf,
          "MaxPoolGrad",
          { dy, input: savedAt(saved, 0, "MaxPool"), output: savedAt(saved, 1, "MaxPool") },
          attrs,
        ),
    })),
    singleOutputGrad<ResizeNearestNeighborAttrs>(
      "ResizeNearestNeighbor",
      { inputsToSave: ["images"] },
      (dy, saved, attrs) => ({
        images: () =>
          nearestResizeGrad(tf, dy as Tensor4D, savedAt(saved, 0, "ResizeNearestNeighbor") as Tensor4D, attrs),
      }),
    ),
    singleOutputGrad<ResizeNearestNeighborAttrs>(
      "ResizeBilinear",
      { inputsToSave: ["images"] },
      (dy, saved, attrs) => ({
        images: () => {
          const images = savedAt(saved, 0, "ResizeBilinear");
          // tfjs-backend-cpu 4.22 labels its result [batch, width, height, depth]; the values are laid out as images.
          return tf.reshape(runKernel(tf, "ResizeBilinearGrad", { images, dy }, attrs), images.shape);
        },
      }),
    ),
    singleOutputGrad<Conv2DBackpropInputAttrs>(
      "Conv2DBackpropInput",
      { inputsToSave: ["dy", "filter"] },
      (ddx, saved, attrs) => {
        const dy = savedAt(saved, 0, "Conv2DBackpropInput") as Tensor4D;
        const filter = savedAt(saved, 1, "Conv2DBackpropInput") as Tensor4D;
        const { strides, pad, dataFormat, dimRoundingMode } = attrs;
        return {
          dy: () => tf.conv2d(ddx as Tensor4D, filter, strides, pad, dataFormat, 1, dimRoundingMode),
          filter: () =>
            runKernel(
              tf,
              "Conv2DBackpropFilter",
              { x: ddx, dy },
              { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape },
            ),
        };
      },
    ),
    singleOutputGrad<BatchMatMulAttrs>("BatchMatMul", { inputsToSave: ["a", "b"] }, (dy, saved, attrs) => {
      const a = savedAt(saved, 0, "BatchMatMul");
      const b = savedAt(saved, 1, "BatchMatMul");
      const { transposeA: tA, transposeB: tB } = attrs;
      // The four cases of d(op(A) op(B)), as in TensorFlow's MatMul gradient.
      const [da, db] = !tA
        ? !tB
          ? [() => tf.matMul(dy, b, false, true), () => tf.matMul(a, dy, true, false)]
          : [() => tf.matMul(dy, b, false, false), () => tf.matMul(dy, a, true, false)]
        : !tB
          ? [() => tf.matMul(b, dy, false, true), () => tf.matMul(a, dy, false, false)]
          : [() => tf.matMul(b, dy, true, true), () => tf.matMul(dy, a, true, true)];
      // Batch dimensions broadcast, so reduce each gradient back to its operand's shape.
      return { a: () => sumToShape(tf, da(), a.shape), b: () => sumToShape(tf, db(), b.shape) };
    }),
  ];
}

/**
 * The average pool's gradient. The forward pass averages each window over its in-bounds pixels only, but the
 * backends' AvgPoolGrad kernels (tfjs 4.22, cpu and wasm) divide by the full window size, which is wrong for
 * windows that overlap the padding. Scaling dy by window size / in-bounds count first corrects that; unpadded
 * pools (the MFA block's down2/down4) need no correction.
 */
function avgPoolGrad(tf: Tf, dy: Tensor4D, x: Tensor4D, attrs: AvgPoolAttrs): Tensor4D {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  let scaled = dy;
  if (top + bottom + left + right > 0) {
    // In-bounds pixels per window: a ones image convolved (zero padding) with a ones kernel, same geometry.
    const ones: Tensor4D = tf.ones([1, info.inHeight, info.inWidth, 1]);
    const window: Tensor4D = tf.ones([info.filterHeight, info.filterWidth, 1, 1]);
    const counts = tf.conv2d(ones, window, strides, pad, "NHWC", 1, dimRoundingMode);
    scaled = tf.mul(dy, tf.div(info.filterHeight * info.filterWidth, counts));
  }
  return runKernel(tf, "AvgPoolGrad", { dy: scaled, input: x }, attrs) as Tensor4D;
}

/**
 * The nearest-neighbour upsample's gradient. For power-of-two factors without aligned corners (the MFA block's
 * x2/x4 upsamples) each output block of fh x fw copies one input pixel, with or without half-pixel centres (the
 * source index floor(dst / f) is exact in floating point), so the gradient is the block sum: avgPool * fh * fw.
 * That is ~15x faster than wasm's kernel, and right where tfjs-backend-cpu 4.22's kernel is wrong: it offsets
 * dy by the images' batch stride, so every image after the first gets another image's gradient. Other cases
 * go to the backend's kernel.
 */
export function nearestResizeGrad(tf: Tf, dy: Tensor4D, images: Tensor4D, attrs: ResizeNearestNeighborAttrs): Tensor4D {
  const fh = dy.shape[1] / images.shape[1];
  const fw = dy.shape[2] / images.shape[2];
  const powerOfTwo = (f: number) => Number.isInteger(f) && (f & (f - 1)) === 0;
  if (!attrs.alignCorners && powerOfTwo(fh) && powerOfTwo(fw)) {
    return tf.mul(tf.avgPool(dy, [fh, fw], [fh, fw], "valid"), fh * fw);
  }
  return runKernel(tf, "ResizeNearestNeighborGrad", { images, dy }, attrs) as Tensor4D;
}

/**
 * The inverse of depthToSpace, as one reshape-transpose-reshape (NHWC): dy [n, h*b, w*b, c] -> [n, h, w, b*b*c]
 * with channel (bh * b + bw) * c + k taken from pixel (h*b + bh, w*b + bw), the layout depthToSpace reads.
 */
function spaceToDepth(tf: Tf, dy: Tensor4D, blockSize: number, dataFormat: "NHWC" | "NCHW"): Tensor4D {
  const nhwc = dataFormat === "NCHW" ? tf.transpose(dy, TO_NHWC) : dy;
  const [n, height, width, c] = nhwc.shape;
  const h = height / blockSize;
  const w = width / blockSize;
  const rows = tf.reshape(nhwc, [n * h, blockSize, w, blockSize * c]);
  const grad: Tensor4D = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h, w, blockSize * blockSize * c]);
  return dataFormat === "NCHW" ? tf.transpose(grad, TO_NCHW) : grad;
}
