import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelFunc, SliceAttrs, SplitVAttrs, TensorInfo } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";

type KernelParams = Parameters<KernelFunc>[0];

/**
 * Slice and SplitV for wasm that copy straight between the input's and output's places in the wasm heap.
 *
 * Why: wasm's Slice (and SplitV, which slices once per part) starts with `readSync`, which copies the *whole*
 * input out of the heap, then copies each row with a fresh subarray. Splitting one MFA block's concat gradient
 * ([4, 64, 64, 128] into four) took ~130 ms of a ~400 ms training step that way; these take a few ms.
 * Strings go to wasm's kernels.
 */
export function sliceKernel(tf: Tf, fallback: KernelFunc | undefined): KernelFunc {
  return (params) => {
    const x = only(params);
    if (x.dtype === "string") return delegate(fallback, params);
    const { begin, size } = params.attrs as unknown as SliceAttrs;
    const [start = [], length = []] = tf.slice_util.parseSliceParams(x, begin, size);
    return sliceOnHeap(tf, params.backend as BackendWasm, x, start, length);
  };
}

export function splitVKernel(tf: Tf, fallback: KernelFunc | undefined): KernelFunc {
  return (params) => {
    const x = only(params);
    if (x.dtype === "string") return delegate(fallback, params);
    const { numOrSizeSplits, axis } = params.attrs as unknown as SplitVAttrs;
    const a = tf.util.parseAxisParam(axis, x.shape)[0] ?? 0;
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, a);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const part = sliceOnHeap(
        tf,
        params.backend as BackendWasm,
        x,
        begin,
        x.shape.map((d, i) => (i === a ? s : d)),
      );
      begin[a] = (begin[a] ?? 0) + s;
      return part;
    });
  };
}

function only(params: KernelParams): TensorInfo {
  const x = params.inputs["x"];
  if (x === undefined) throw new Error("slice kernel: input x is missing");
  return x;
}

function delegate(fallback: KernelFunc | undefined, params: KernelParams): TensorInfo | TensorInfo[] {
  if (fallback === undefined) throw new Error("slice kernel: no wasm kernel to hand string tensors to");
  return fallback(params);
}

/**
 * Copies x[begin : begin + size] into a new tensor. The axes after the last one that is cut are taken whole, so
 * each step copies one contiguous run (memmove via copyWithin on one heap-wide view, no per-run allocation).
 */
function sliceOnHeap(tf: Tf, backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((s) => s === 0)) return out;
  // Views made after makeOutput: growing the heap there would have detached older ones.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const heap = new (src.constructor as Float32ArrayConstructor)(src.buffer);
  const srcBase = src.byteOffset / src.BYTES_PER_ELEMENT;
  let at = dst.byteOffset / dst.BYTES_PER_ELEMENT;

  const rank = x.shape.length;
  const strides = [...tf.util.computeStrides(x.shape), 1];
  let cut = rank - 1;
  while (cut >= 0 && size[cut] === x.shape[cut]) cut--;
  if (cut < 0) {
    heap.copyWithin(at, srcBase, srcBase + src.length);
    return out;
  }
  const run = (size[cut] ?? 0) * (strides[cut] ?? 1);
  const runs = size.slice(0, cut).reduce((n, s) => n * s, 1);
  const index = new Array<number>(cut).fill(0);
  for (let r = 0; r < runs; r++) {
    let from = srcBase + (begin[cut] ?? 0) * (strides[cut] ?? 1);
    for (let i = 0; i < cut; i++) from += ((begin[i] ?? 0) + (index[i] ?? 0)) * (strides[i] ?? 0);
    heap.copyWithin(at, from, from + run);
    at += run;
    // Next index over the outer axes, last axis fastest.
    for (let i = cut - 1; i >= 0; i--) {
      index[i] = (index[i] ?? 0) + 1;
      if ((index[i] ?? 0) < (size[i] ?? 0)) break;
      index[i] = 0;
    }
  }
  return out;
}
