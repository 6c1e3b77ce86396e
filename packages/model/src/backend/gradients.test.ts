import { describe, expect, it } from "vitest";
import type { GradConfig, Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { registerTrainingGradients } from "./training-gradients.ts";
import { maxAbs, relativeError, runOn, seeded, tf, trainingBackends } from "./test-support.ts";

interface Input {
  shape: number[];
  min?: number;
  max?: number;
  /** Keep values this far from 0 (kinks of abs/relu/leakyRelu/where). */
  gap?: number;
  values?: (v: Float32Array) => Float32Array;
}

interface GradCase {
  name: string;
  inputs: Input[];
  f: (...xs: Tensor[]) => Tensor;
  /** Where the finite differences run: cpu, or wasm where a tfjs-backend-cpu kernel is wrong (see the case). */
  fdOn?: "cpu" | "wasm";
}

const t4 = (x: Tensor) => x as Tensor4D;
const idx = () => tf.tensor1d([2, 0, 2, 1], "int32");
// Clip bounds at +-0.5: keep inputs clearly inside (|x| < 0.45) or outside (|x| > 0.55).
const clipSafe = (v: Float32Array) =>
  v.map((x) => Math.sign(x) * (Math.abs(x) < 0.5 ? Math.abs(x) * 0.9 : 0.3 + Math.abs(x)));

const CASES: GradCase[] = [
  { name: "Add (broadcast)", inputs: [{ shape: [2, 3, 4] }, { shape: [1, 4] }], f: (a, b) => tf.add(a, b) },
  { name: "Sub (broadcast)", inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], f: (a, b) => tf.sub(a, b) },
  { name: "Multiply (broadcast)", inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], f: (a, b) => tf.mul(a, b) },
  {
    name: "RealDiv",
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], min: 0.5, max: 2 }],
    f: (a, b) => tf.div(a, b),
  },
  {
    name: "Maximum",
    inputs: [
      { shape: [3, 4], gap: 0.1 },
      { shape: [3, 4], min: -0.05, max: 0.05 },
    ],
    f: (a, b) => tf.maximum(a, b),
  },
  {
    name: "Minimum",
    inputs: [
      { shape: [3, 4], gap: 0.1 },
      { shape: [3, 4], min: -0.05, max: 0.05 },
    ],
    f: (a, b) => tf.minimum(a, b),
  },
  {
    name: "SquaredDifference (broadcast)",
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }],
    f: (a, b) => tf.squaredDifference(a, b),
  },
  {
    name: "Pow",
    inputs: [
      { shape: [3, 4], min: 0.5, max: 2 },
      { shape: [3, 4], min: 0.5, max: 2 },
    ],
    f: (a, b) => tf.pow(a, b),
  },
  { name: "AddN", inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], f: (a, b) => tf.addN([a, b, a]) },
  { name: "Neg", inputs: [{ shape: [3, 4] }], f: (x) => tf.neg(x) },
  { name: "Abs", inputs: [{ shape: [3, 4], gap: 0.1 }], f: (x) => tf.abs(x) },
  { name: "Square", inputs: [{ shape: [3, 4] }], f: (x) => tf.square(x) },
  { name: "Sqrt", inputs: [{ shape: [3, 4], min: 0.2, max: 2 }], f: (x) => tf.sqrt(x) },
  { name: "Log", inputs: [{ shape: [3, 4], min: 0.2, max: 2 }], f: (x) => tf.log(x) },
  { name: "Log1p", inputs: [{ shape: [3, 4], min: -0.5, max: 2 }], f: (x) => tf.log1p(x) },
  { name: "Reciprocal", inputs: [{ shape: [3, 4], min: 0.5, max: 2 }], f: (x) => tf.reciprocal(x) },
  { name: "Exp", inputs: [{ shape: [3, 4] }], f: (x) => tf.exp(x) },
  { name: "Sigmoid", inputs: [{ shape: [3, 4], min: -3, max: 3 }], f: (x) => tf.sigmoid(x) },
  { name: "Softplus", inputs: [{ shape: [3, 4], min: -3, max: 3 }], f: (x) => tf.softplus(x) },
  { name: "Tanh", inputs: [{ shape: [3, 4] }], f: (x) => tf.tanh(x) },
  { name: "Relu", inputs: [{ shape: [3, 4], gap: 0.1 }], f: (x) => tf.relu(x) },
  { name: "LeakyRelu", inputs: [{ shape: [2, 3, 4], gap: 0.1 }], f: (x) => tf.leakyRelu(x, 0.2) },
  { name: "ClipByValue", inputs: [{ shape: [3, 4], values: clipSafe }], f: (x) => tf.clipByValue(x, -0.5, 0.5) },
  {
    name: "Select + Greater (where)",
    inputs: [{ shape: [3, 4], gap: 0.1 }],
    f: (x) => tf.where(tf.greater(x, 0), tf.mul(x, 2), tf.square(x)),
  },
  { name: "Identity (clone)", inputs: [{ shape: [3, 4] }], f: (x) => tf.clone(x) },
  { name: "Reshape", inputs: [{ shape: [2, 3, 4] }], f: (x) => tf.reshape(x, [4, 6]) },
  { name: "ExpandDims", inputs: [{ shape: [3, 4] }], f: (x) => tf.expandDims(x, 1) },
  { name: "BroadcastTo", inputs: [{ shape: [3, 1] }], f: (x) => tf.broadcastTo(x, [2, 3, 4]) },
  { name: "Transpose", inputs: [{ shape: [2, 3, 4] }], f: (x) => tf.transpose(x, [2, 0, 1]) },
  { name: "Concat", inputs: [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }], f: (a, b) => tf.concat([a, b], 1) },
  { name: "Slice", inputs: [{ shape: [3, 5, 2] }], f: (x) => tf.slice(x, [1, 1, 0], [2, -1, 1]) },
  { name: "SplitV (an output unused)", inputs: [{ shape: [2, 6] }], f: (x) => tf.split(x, [1, 3, 2], 1)[1]! },
  { name: "Pack", inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], f: (a, b) => tf.stack([a, b], 1) },
  { name: "Unpack (an output unused)", inputs: [{ shape: [3, 4] }], f: (x) => tf.unstack(x, 1)[2]! },
  { name: "Tile", inputs: [{ shape: [2, 1, 3] }], f: (x) => tf.tile(x, [2, 3, 1]) },
  {
    name: "PadV2",
    inputs: [{ shape: [2, 3] }],
    f: (x) =>
      tf.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
  },
  { name: "GatherV2 (axis 1, repeated index)", inputs: [{ shape: [2, 3, 2] }], f: (x) => tf.gather(x, idx(), 1) },
  { name: "Sum", inputs: [{ shape: [2, 3, 4] }], f: (x) => tf.sum(x, 1) },
  { name: "Mean (keepDims)", inputs: [{ shape: [2, 3, 4] }], f: (x) => tf.mean(x, [0, 2], true) },
  { name: "Max", inputs: [{ shape: [2, 3, 4] }], f: (x) => tf.max(x, 1) },
  { name: "Min", inputs: [{ shape: [2, 3, 4] }], f: (x) => tf.min(x, -1) },
  {
    name: "Conv2D 3x3 dilation 2",
    inputs: [{ shape: [2, 5, 6, 2] }, { shape: [3, 3, 2, 3] }],
    f: (x, w) => tf.conv2d(t4(x), t4(w), 1, "same", "NHWC", 2),
  },
  {
    name: "Conv2D 4x4 stride 2",
    inputs: [{ shape: [2, 6, 5, 2] }, { shape: [4, 4, 2, 3] }],
    f: (x, w) => tf.conv2d(t4(x), t4(w), 2, "same"),
  },
  {
    name: "Conv2DBackpropInput (conv2dTranspose)",
    inputs: [{ shape: [1, 3, 2, 3] }, { shape: [3, 3, 2, 3] }],
    f: (dy, w) => tf.conv2dTranspose(t4(dy), t4(w), [1, 6, 4, 2], 2, "same"),
  },
  { name: "AvgPool 2x2", inputs: [{ shape: [2, 4, 6, 2] }], f: (x) => tf.avgPool(t4(x), 2, 2, "valid") },
  { name: "AvgPool 4x4", inputs: [{ shape: [1, 4, 8, 2] }], f: (x) => tf.avgPool(t4(x), 4, 4, "valid") },
  { name: "AvgPool 3x3 / 2 same", inputs: [{ shape: [1, 5, 4, 2] }], f: (x) => tf.avgPool(t4(x), 3, 2, "same") },
  { name: "MaxPool 2x2", inputs: [{ shape: [1, 4, 6, 2] }], f: (x) => tf.maxPool(t4(x), 2, 2, "valid") },
  {
    name: "ResizeNearestNeighbor x2, batch 2",
    inputs: [{ shape: [2, 2, 3, 2] }],
    f: (x) => tf.image.resizeNearestNeighbor(t4(x), [4, 6]),
  },
  {
    name: "ResizeNearestNeighbor x4 by x2, half-pixel",
    inputs: [{ shape: [2, 2, 3, 2] }],
    f: (x) => tf.image.resizeNearestNeighbor(t4(x), [8, 6], false, true),
  },
  {
    // tfjs-backend-cpu's kernel is wrong for batch > 1 (nearestResizeGrad), so differentiate on wasm here.
    name: "ResizeNearestNeighbor x3, batch 2 (kernel path)",
    inputs: [{ shape: [2, 2, 3, 2] }],
    f: (x) => tf.image.resizeNearestNeighbor(t4(x), [6, 9]),
    fdOn: "wasm",
  },
  {
    name: "ResizeBilinear x2",
    inputs: [{ shape: [1, 2, 3, 2] }],
    f: (x) => tf.image.resizeBilinear(t4(x), [4, 6]),
  },
  { name: "DepthToSpace", inputs: [{ shape: [2, 2, 3, 8] }], f: (x) => tf.depthToSpace(t4(x), 2) },
  {
    name: "BatchMatMul (broadcast batch)",
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
    f: (a, b) => tf.matMul(a, b),
  },
  {
    name: "BatchMatMul (both transposed)",
    inputs: [{ shape: [4, 3] }, { shape: [5, 4] }],
    f: (a, b) => tf.matMul(a, b, true, true),
  },
  {
    name: "sigmoid cross-entropy loss",
    inputs: [{ shape: [2, 3, 4], min: -3, max: 3 }],
    f: (x) => tf.losses.sigmoidCrossEntropy(tf.onesLike(x), x),
  },
  {
    name: "softplus GAN loss",
    inputs: [{ shape: [2, 3, 4], min: -3, max: 3 }],
    f: (x) => tf.add(tf.mean(tf.softplus(tf.neg(x))), tf.mean(tf.softplus(x))),
  },
  {
    name: "absolute difference (L1) loss",
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4], min: 2, max: 3 }],
    f: (a, b) => tf.losses.absoluteDifference(b, a),
  },
  {
    name: "mean squared error loss",
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }],
    f: (a, b) => tf.losses.meanSquaredError(b, a),
  },
];

function inputValues(c: GradCase): Float32Array[] {
  return c.inputs.map((input, i) => {
    const size = input.shape.reduce((a, b) => a * b, 1);
    const v = seeded(100 + i, size, input.min ?? -1, input.max ?? 1, input.gap ?? 0);
    return input.values ? input.values(v) : v;
  });
}

function tensors(c: GradCase, values: Float32Array[]): Tensor[] {
  return c.inputs.map((input, i) => tf.tensor(values[i]!, input.shape));
}

/** Weights for the scalar probe loss sum(f(x) * r), so each output element has its own weight. */
function weighted(c: GradCase, xs: Tensor[]): Tensor {
  const y = c.f(...xs);
  return tf.sum(tf.mul(y, tf.tensor(seeded(7, y.size), y.shape)));
}

function analytic(c: GradCase): Tensor[] {
  return tf.grads((...xs: Tensor[]) => weighted(c, xs))(tensors(c, inputValues(c)));
}

/** Central differences, one element at a time. */
async function finiteDifferences(c: GradCase, eps = 1e-2): Promise<Float32Array[]> {
  await trainingBackends();
  await tf.setBackend(c.fdOn ?? "cpu");
  const base = inputValues(c);
  const loss = (values: Float32Array[]) => tf.tidy(() => weighted(c, tensors(c, values)).dataSync()[0] ?? NaN);
  return base.map((v, i) => {
    const grad = new Float32Array(v.length);
    for (let j = 0; j < v.length; j++) {
      const up = base.map((b) => b.slice());
      const down = base.map((b) => b.slice());
      up[i]![j]! += eps;
      down[i]![j]! -= eps;
      grad[j] = (loss(up) - loss(down)) / (2 * eps);
    }
    return grad;
  });
}

describe("training gradients", () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: matches finite differences, and wasm matches cpu",
    async (_n, c) => {
      const numeric = await finiteDifferences(c);
      const cpu = await runOn(c.fdOn ?? "cpu", () => analytic(c));
      const wasm = await runOn("wasm", () => analytic(c));
      numeric.forEach((expected, i) => {
        expect(maxAbs(expected)).toBeGreaterThan(1e-3);
        expect(relativeError(cpu[i]!, expected)).toBeLessThanOrEqual(5e-3);
        expect(relativeError(wasm[i]!, cpu[i]!)).toBeLessThanOrEqual(1e-4);
      });
    },
  );

  it("DepthToSpace's gradient is exactly the inverse rearrangement", async () => {
    const [n, h, w, b, c] = [2, 2, 3, 2, 3];
    const [dx] = await runOn("cpu", () => {
      const x = tf.zeros([n, h, w, b * b * c]);
      const dy = tf.reshape(tf.range(0, n * h * b * w * b * c), [n, h * b, w * b, c]);
      return tf.grads((t: Tensor) => tf.depthToSpace(t4(t), b))([x], dy);
    });
    const at = (ni: number, y: number, x: number, ci: number) => ((ni * h * b + y) * w * b + x) * c + ci;
    for (let ni = 0; ni < n; ni++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let bh = 0; bh < b; bh++)
            for (let bw = 0; bw < b; bw++)
              for (let ci = 0; ci < c; ci++) {
                const channel = (bh * b + bw) * c + ci;
                expect(dx![((ni * h + y) * w + x) * b * b * c + channel]).toBe(at(ni, y * b + bh, x * b + bw, ci));
              }
  });

  it("fills only missing gradients, except Conv2D and DepthToSpace which it always replaces", async () => {
    await trainingBackends();
    const ours = tf.getGradient("Abs");
    const theirs: GradConfig = { kernelName: "Abs", gradFunc: (dy) => ({ x: () => dy as Tensor }) };
    tf.registerGradient(theirs);
    try {
      expect(registerTrainingGradients(tf).sort()).toEqual(["Conv2D", "DepthToSpace"]);
      expect(tf.getGradient("Abs")).toBe(theirs);
    } finally {
      tf.registerGradient(ours);
    }
  });
});
