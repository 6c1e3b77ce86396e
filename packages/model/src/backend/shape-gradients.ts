import type {
  BatchToSpaceNDAttrs,
  ConcatAttrs,
  GatherV2Attrs,
  GradConfig,
  MaxAttrs,
  MeanAttrs,
  MinAttrs,
  PackAttrs,
  PadV2Attrs,
  SliceAttrs,
  SpaceToBatchNDAttrs,
  SplitVAttrs,
  SumAttrs,
  Tensor,
  TileAttrs,
  TransposeAttrs,
  UnpackAttrs,
} from "@tensorflow/tfjs-core";
import { MfnasError } from "@mfnas/core";
import type { Tf } from "../tf.ts";
import { inversePermutation, savedAt, singleOutputGrad, sumToShape } from "./grad-utils.ts";
import type { NamedGradientMap } from "./grad-utils.ts";

/**
 * Gradients of the reshaping, joining, slicing and reducing kernels: concat of the MFA branches, slices and
 * splits, gathers, and the means and sums of the losses. tfjs-core's Node build registers none of them.
 */
export function shapeGradients(tf: Tf): GradConfig[] {
  const reshapeBack = (kernelName: string, inputName: string): GradConfig =>
    singleOutputGrad(kernelName, { inputsToSave: [inputName] }, (dy, saved) => ({
      [inputName]: () => tf.reshape(dy, savedAt(saved, 0, kernelName).shape),
    }));
  // Sum/Mean/Max reduce over axes; their gradient is dy broadcast back over those axes.
  const expandReduced = (dy: Tensor, x: Tensor, axis: number | number[]): Tensor => {
    const kept = [...x.shape];
    for (const a of tf.util.parseAxisParam(axis, x.shape)) kept[a] = 1;
    return tf.reshape(dy, kept);
  };

  return [
    reshapeBack("Reshape", "x"),
    reshapeBack("ExpandDims", "input"),
    reshapeBack("BroadcastTo", "x"),
    singleOutputGrad<TransposeAttrs>("Transpose", {}, (dy, _saved, { perm }) => ({
      x: () => tf.transpose(dy, inversePermutation(perm)),
    })),
    // The dil2 branch's dilated conv is space-to-batch -> conv -> batch-to-space; each is the other's adjoint.
    singleOutputGrad<SpaceToBatchNDAttrs>("SpaceToBatchND", {}, (dy, _saved, { blockShape, paddings }) => ({
      x: () => tf.batchToSpaceND(dy, blockShape, paddings),
    })),
    singleOutputGrad<BatchToSpaceNDAttrs>("BatchToSpaceND", {}, (dy, _saved, { blockShape, crops }) => ({
      x: () => tf.spaceToBatchND(dy, blockShape, crops),
    })),
    {
      kernelName: "Concat",
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const first = savedAt(saved, 0, "Concat");
        const axis = tf.util.parseAxisParam((attrs as unknown as ConcatAttrs).axis, first.shape)[0] ?? 0;
        const parts = tf.split(
          dy as Tensor,
          saved.map((t) => t.shape[axis] ?? 0),
          axis,
        );
        const grads: NamedGradientMap = {};
        parts.forEach((part, i) => {
          grads[i] = () => part;
        });
        return grads;
      },
    },
    singleOutputGrad<SliceAttrs>("Slice", { inputsToSave: ["x"] }, (dy, saved, { begin, size }) => ({
      x: () => {
        const x = savedAt(saved, 0, "Slice");
        const [start = [], length = []] = tf.slice_util.parseSliceParams(x, begin, size);
        const paddings = x.shape.map((dim, i): [number, number] => {
          const s = start[i] ?? 0;
          return [s, dim - s - (length[i] ?? 0)];
        });
        return tf.pad(dy, paddings);
      },
    })),
    {
      kernelName: "SplitV",
      inputsToSave: ["x"],
      gradFunc: (dys, saved, attrs) => {
        const x = savedAt(saved, 0, "SplitV");
        const { axis, numOrSizeSplits } = attrs as unknown as SplitVAttrs;
        const a = tf.util.parseAxisParam(axis, x.shape)[0] ?? 0;
        const sizes = splitSizes(x.shape[a] ?? 0, numOrSizeSplits);
        // Outputs that do not reach the loss come back as null; they contribute zeros of their own shape.
        const parts = (dys as (Tensor | null)[]).map(
          (part, i) => part ?? tf.zeros(x.shape.map((d, j) => (j === a ? (sizes[i] ?? 0) : d))),
        );
        return { x: () => tf.concat(parts, a) };
      },
    },
    {
      kernelName: "Pack",
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const parts = tf.unstack(dy as Tensor, (attrs as unknown as PackAttrs).axis);
        const grads: NamedGradientMap = {};
        saved.forEach((_, i) => {
          grads[i] = () => savedAt(parts, i, "Pack");
        });
        return grads;
      },
    },
    {
      kernelName: "Unpack",
      inputsToSave: ["value"],
      gradFunc: (dys, saved, attrs) => {
        const value = savedAt(saved, 0, "Unpack");
        const { axis } = attrs as unknown as UnpackAttrs;
        const pieceShape = value.shape.filter((_, i) => i !== tf.util.parseAxisParam(axis, value.shape)[0]);
        const parts = (dys as (Tensor | null)[]).map((p) => p ?? tf.zeros(pieceShape));
        return { value: () => tf.stack(parts, axis) };
      },
    },
    singleOutputGrad<TileAttrs>("Tile", { inputsToSave: ["x"] }, (dy, saved, { reps }) => ({
      x: () => tileGrad(tf, dy, savedAt(saved, 0, "Tile").shape, reps),
    })),
    singleOutputGrad<PadV2Attrs>("PadV2", { inputsToSave: ["x"] }, (dy, saved, { paddings }) => ({
      x: () => {
        const x = savedAt(saved, 0, "PadV2");
        return tf.slice(
          dy,
          paddings.map(([before]) => before),
          x.shape,
        );
      },
    })),
    singleOutputGrad<GatherV2Attrs>("GatherV2", { inputsToSave: ["x", "indices"] }, (dy, saved, attrs) => {
      const x = savedAt(saved, 0, "GatherV2");
      const indices = savedAt(saved, 1, "GatherV2");
      return { x: () => gatherGrad(tf, dy, x, indices, attrs), indices: () => tf.zeros(indices.shape) };
    }),
    singleOutputGrad<SumAttrs>("Sum", { inputsToSave: ["x"] }, (dy, saved, { axis }) => ({
      x: () => {
        const x = savedAt(saved, 0, "Sum");
        return tf.mul(expandReduced(dy, x, axis), tf.ones(x.shape));
      },
    })),
    singleOutputGrad<MeanAttrs>("Mean", { inputsToSave: ["x"] }, (dy, saved, { axis }) => ({
      x: () => {
        const x = savedAt(saved, 0, "Mean");
        const count = tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * (x.shape[a] ?? 1), 1);
        return tf.mul(expandReduced(dy, x, axis), tf.fill(x.shape, 1 / count));
      },
    })),
    // Max names its axes reductionIndices, Min names them axis.
    ...(["Max", "Min"] as const).map((kernelName) =>
      singleOutputGrad<Partial<MaxAttrs & MinAttrs>>(
        kernelName,
        { inputsToSave: ["x"], outputsToSave: [true] },
        (dy, saved, attrs) => ({
          x: () => {
            const x = savedAt(saved, 0, kernelName);
            const axes = attrs.reductionIndices ?? attrs.axis ?? [];
            const extreme = expandReduced(savedAt(saved, 1, kernelName), x, axes);
            // Every element equal to the extreme gets the gradient, as tfjs does.
            return tf.mul(expandReduced(dy, x, axes), tf.cast(tf.equal(x, extreme), "float32"));
          },
        }),
      ),
    ),
  ];
}

/** The sizes tf.split gives its outputs: equal parts, or the listed sizes with one -1 taking the rest. */
function splitSizes(dim: number, numOrSizeSplits: number | number[]): number[] {
  if (typeof numOrSizeSplits === "number") return new Array<number>(numOrSizeSplits).fill(dim / numOrSizeSplits);
  const known = numOrSizeSplits.reduce((n, s) => (s === -1 ? n : n + s), 0);
  return numOrSizeSplits.map((s) => (s === -1 ? dim - known : s));
}

/** Sums each tiled copy back onto the original, one tiled axis at a time (rank-3 views only, which wasm handles). */
function tileGrad(tf: Tf, dy: Tensor, shape: readonly number[], reps: readonly number[]): Tensor {
  let grad = dy;
  shape.forEach((dim, axis) => {
    const rep = reps[axis] ?? 1;
    if (rep === 1) return;
    const outer = grad.shape.slice(0, axis).reduce((n, d) => n * d, 1);
    const inner = grad.shape.slice(axis + 1).reduce((n, d) => n * d, 1);
    // Tile lays copies out copy-major along the axis: index = copy * dim + i.
    const summed = tf.sum(tf.reshape(grad, [outer, rep, dim * inner]), 1);
    grad = tf.reshape(summed, [...grad.shape.slice(0, axis), dim, ...grad.shape.slice(axis + 1)]);
  });
  return sumToShape(tf, grad, shape);
}

/**
 * The gradient of a gather scatters dy rows back to the rows they were read from, adding where an index repeats:
 * an unsorted segment sum over the gathered axis (batchDims 0, the only form the model uses).
 */
function gatherGrad(tf: Tf, dy: Tensor, x: Tensor, indices: Tensor, attrs: GatherV2Attrs): Tensor {
  if (attrs.batchDims !== 0) {
    throw new MfnasError("unsupported", `gradient of gather with batchDims ${attrs.batchDims} (only 0 is supported)`);
  }
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0] ?? 0;
  const outer = x.shape.slice(0, axis);
  const inner = x.shape.slice(axis + 1);
  // Move the gathered axis to the front, segment-sum it, then move it back.
  const values = tf.reshape(dy, [...outer, indices.size, ...inner]);
  const perm = [outer.length, ...outer.map((_, i) => i), ...inner.map((_, i) => outer.length + 1 + i)];
  const rows = tf.transpose(values, perm);
  const summed = tf.unsortedSegmentSum(rows, tf.reshape(indices, [indices.size]), x.shape[axis] ?? 0);
  return tf.transpose(summed, inversePermutation(perm));
}
