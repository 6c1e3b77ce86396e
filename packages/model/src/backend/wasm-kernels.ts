import type {
  AvgPoolGradAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  DepthToSpaceAttrs,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  Tensor,
  Tensor4D,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";
import { conv2dFilterGrad, conv2dInputGrad } from "./conv-backprop.ts";
import { inputTensor, pair, TO_NCHW, TO_NHWC } from "./kernel-utils.ts";
import { registerTrainingGradients } from "./training-gradients.ts";
import { sliceKernel, splitVKernel } from "./wasm-slice.ts";

const WASM = "wasm";

/** What {@link registerWasmTrainingKernels} registered. */
export interface WasmTrainingKernels {
  /** Kernels registered for the wasm backend (replacing any wasm kernel of the same name). */
  kernels: string[];
  /** Gradients registered for all backends (see registerTrainingGradients). */
  gradients: string[];
}

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs: NamedAttrMap };

// The wasm backend's own kernels, kept so the fast paths can hand other cases back to them. Captured once:
// a later call must not capture our replacement as the "original".
const originals = new Map<string, KernelFunc>();
const originalHooks = new Map<string, Pick<KernelConfig, "setupFunc" | "disposeFunc">>();
const ours = new WeakSet<KernelFunc>();

/**
 * Makes the wasm backend able to train MFA generators and PatchGAN discriminators, and fast at it.
 *
 * Registers the training gradients (for every backend; see registerTrainingGradients), and for backend "wasm":
 * - `Conv2DBackpropFilter`: missing on wasm. The weight gradient as one forward conv (batch-as-channels
 *   transposes; strides 1/2, dilations 1/2, any padding): ~10x faster than im2col + matMul.
 * - `Conv2DBackpropInput`: wasm's runs ~15x slower than a forward conv of the same size. Now a forward conv of
 *   the padded dy with the flipped kernel (stride 1), or of all stride phases at once (stride 2).
 * - `UnsortedSegmentSum`: missing on wasm; tfjs's gather gradient needs it. A one-hot matMul.
 * - `DepthToSpace` (NHWC): wasm's is ~40x slower than the equivalent reshape-transpose-reshape.
 * - `AvgPoolGrad` for non-overlapping unpadded pools (down2/down4): dy / k^2 broadcast over each window, ~10x
 *   faster than wasm's; other pools go to wasm's kernel.
 * - `Slice` and `SplitV`: wasm's copy the whole input out of the heap first (wasm-slice.ts); the concat
 *   gradient of an MFA block spent more time there than in its conv gradients.
 *
 * Call once after `@tensorflow/tfjs-backend-wasm` is imported (before or after setBackend). Idempotent.
 */
export function registerWasmTrainingKernels(tf: Tf): WasmTrainingKernels {
  const gradients = registerTrainingGradients(tf);
  const configs: Array<[string, (fallback: KernelFunc | undefined) => KernelFunc]> = [
    ["Conv2DBackpropFilter", () => wrap(tf, (a) => backpropFilter(tf, a))],
    ["Conv2DBackpropInput", () => wrap(tf, (a) => backpropInput(tf, a))],
    ["UnsortedSegmentSum", () => wrap(tf, (a) => unsortedSegmentSum(tf, a))],
    ["DepthToSpace", (fallback) => wrap(tf, (a) => depthToSpace(tf, a), fallback)],
    ["AvgPoolGrad", (fallback) => wrap(tf, (a) => avgPoolGrad(tf, a), fallback)],
    ["Slice", (fallback) => sliceKernel(tf, fallback)],
    ["SplitV", (fallback) => splitVKernel(tf, fallback)],
  ];
  for (const [kernelName, make] of configs) {
    const existing = tf.getKernel(kernelName, WASM) as KernelConfig | undefined;
    if (existing !== undefined && !ours.has(existing.kernelFunc)) {
      originals.set(kernelName, existing.kernelFunc);
      const { setupFunc, disposeFunc } = existing;
      originalHooks.set(kernelName, {
        ...(setupFunc === undefined ? {} : { setupFunc }),
        ...(disposeFunc === undefined ? {} : { disposeFunc }),
      });
    }
    const kernelFunc = make(originals.get(kernelName));
    ours.add(kernelFunc);
    if (existing !== undefined) tf.unregisterKernel(kernelName, WASM);
    // Keep wasm's setup/dispose hooks: the fallback needs its cwrap'd function, which setup creates when the
    // backend initialises (possibly after this registration).
    const hooks = originalHooks.get(kernelName) ?? {};
    tf.registerKernel({ kernelName, backendName: WASM, kernelFunc, ...hooks });
  }
  return { kernels: configs.map(([name]) => name), gradients };
}

/** A fast path returns undefined when it does not apply; the wasm kernel then runs. */
type FastPath = (args: Args & { input: (name: string) => Tensor }) => Tensor | undefined;

function wrap(tf: Tf, fast: FastPath, fallback?: KernelFunc): KernelFunc {
  return (params) => {
    const args: Args = { inputs: params.inputs, backend: params.backend, attrs: params.attrs ?? {} };
    const result = tf.tidy(() =>
      fast({ ...args, input: (name) => inputTensor(tf, params.inputs, name, params.backend) }),
    );
    if (result !== undefined) return result;
    if (fallback === undefined) throw new Error("wasm training kernel: no fast path and no fallback");
    return fallback(params);
  };
}

function backpropFilter(tf: Tf, { input, attrs }: Parameters<FastPath>[0]): Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const nchw = dataFormat === "NCHW";
  const x = input("x") as Tensor4D;
  const dy = input("dy") as Tensor4D;
  return conv2dFilterGrad(tf, nchw ? tf.transpose(x, TO_NHWC) : x, nchw ? tf.transpose(dy, TO_NHWC) : dy, filterShape, {
    strides,
    pad,
    dilations: 1,
    dimRoundingMode,
  });
}

function backpropInput(tf: Tf, { input, attrs }: Parameters<FastPath>[0]): Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  const nchw = dataFormat === "NCHW";
  const dy = input("dy") as Tensor4D;
  const [n, a, b, c] = inputShape;
  const dx = conv2dInputGrad(
    tf,
    nchw ? [n, b, c, a] : inputShape,
    nchw ? tf.transpose(dy, TO_NHWC) : dy,
    input("filter") as Tensor4D,
    {
      strides,
      pad,
      dilations: 1,
      dimRoundingMode,
    },
  );
  return nchw ? tf.transpose(dx, TO_NCHW) : dx;
}

function unsortedSegmentSum(tf: Tf, { input, attrs }: Parameters<FastPath>[0]): Tensor {
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const x = input("x");
  const ids = input("segmentIds");
  // One-hot rows select and add: out[s] = sum over i with ids[i] = s of x[i]. Ids outside 0..numSegments-1
  // have all-zero one-hot rows and are dropped, as TensorFlow drops negative ids.
  const rows = tf.reshape(tf.cast(x, "float32"), [ids.size, x.size / ids.size]);
  const selector = tf.transpose(
    tf.cast(tf.oneHot(tf.reshape(tf.cast(ids, "int32"), [ids.size]), numSegments), "float32"),
  );
  const summed = tf.reshape(tf.matMul(selector, rows), [numSegments, ...x.shape.slice(ids.rank)]);
  return x.dtype === "float32" ? summed : tf.cast(summed, x.dtype);
}

function depthToSpace(tf: Tf, { input, attrs }: Parameters<FastPath>[0]): Tensor | undefined {
  const { blockSize: b, dataFormat } = attrs as unknown as DepthToSpaceAttrs;
  if (dataFormat !== "NHWC") return undefined;
  const x = input("x") as Tensor4D;
  const [n, h, w, depth] = x.shape;
  const c = depth / (b * b);
  // Channel (bh * b + bw) * c + k of pixel (h, w) goes to pixel (h * b + bh, w * b + bw): viewing each image row
  // as [w, bh, bw * c], that is swapping w and bh.
  const rows = tf.reshape(x, [n * h, w, b, b * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h * b, w * b, c]);
}

function avgPoolGrad(tf: Tf, { input, attrs }: Parameters<FastPath>[0]): Tensor | undefined {
  const { filterSize, strides, pad } = attrs as unknown as AvgPoolGradAttrs;
  const x = input("input") as Tensor4D;
  const [kh, kw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const info = tf.backend_util.computePool2DInfo(x.shape, [kh, kw], [sh, sw], 1, pad);
  const { top, bottom, left, right } = info.padInfo;
  const tiles = kh === sh && kw === sw && info.outHeight * kh === info.inHeight && info.outWidth * kw === info.inWidth;
  if (!tiles || top + bottom + left + right !== 0) return undefined;
  // Each input pixel sits in exactly one window, which averaged it with weight 1 / (kh * kw).
  return spreadOverWindows(tf, input("dy") as Tensor4D, kh, kw, 1 / (kh * kw));
}

/** Repeats each pixel of t over a kh x kw block, times `scale`: one broadcast multiply. */
function spreadOverWindows(tf: Tf, t: Tensor4D, kh: number, kw: number, scale: number): Tensor {
  const [n, h, w, c] = t.shape;
  const spread = tf.mul(tf.reshape(t, [n * h, 1, w, 1, c]), tf.fill([1, kh, 1, kw, 1], scale));
  return tf.reshape(spread, [n, h * kh, w * kw, c]);
}
