import { describe, expect, it } from "vitest";
import type { KernelConfig, Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { maxAbs, relativeError, runOn, seeded, tf, trainingBackends } from "./test-support.ts";
import { registerWasmTrainingKernels } from "./wasm-kernels.ts";

type Build = () => Tensor | Tensor[];

/** Runs the same computation on wasm (our kernels) and cpu (tfjs's) and bounds the difference. */
async function expectWasmMatchesCpu(build: Build, tolerance = 1e-4): Promise<void> {
  const expected = await runOn("cpu", build);
  const actual = await runOn("wasm", build);
  expect(actual).toHaveLength(expected.length);
  expected.forEach((values, i) => {
    expect(maxAbs(values)).toBeGreaterThan(0);
    expect(relativeError(actual[i]!, values)).toBeLessThanOrEqual(tolerance);
  });
}

const image = (seed: number, shape: [number, number, number, number]) =>
  tf.tensor4d(
    seeded(
      seed,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );

/** Gradient of sum(op(x) * r) for random r, so every output element's gradient path is exercised. */
function gradientOf(op: (x: Tensor4D) => Tensor, shape: [number, number, number, number]): Tensor[] {
  const x = image(11, shape);
  const y = op(x);
  const r = tf.tensor(seeded(12, y.size), y.shape);
  return [y, tf.grad((t: Tensor) => tf.sum(tf.mul(op(t as Tensor4D), r)))(x)];
}

describe("wasm training kernels match the cpu backend", () => {
  it("registers the kernels it documents", async () => {
    await trainingBackends();
    const names = tf.getKernelsForBackend("wasm").map((k: KernelConfig) => k.kernelName);
    for (const name of registerWasmTrainingKernels(tf).kernels) expect(names).toContain(name);
  });

  it.each([
    [2, [3, 5, 4, 12]],
    [2, [1, 4, 7, 8]],
    [4, [2, 2, 3, 32]],
  ] as const)("DepthToSpace block %i on %j", async (block, shape) => {
    await expectWasmMatchesCpu(() => gradientOf((x) => tf.depthToSpace(x, block), [...shape]));
  });

  it.each([
    ["2x2 / 2 (window path)", 2, 2, "valid", [2, 8, 12, 3]],
    ["4x4 / 4 (window path)", 4, 4, "valid", [3, 8, 16, 2]],
    ["2x2 / 2 'same' on even sides (window path)", 2, 2, "same", [1, 6, 4, 2]],
    ["2x2 / 2 on odd sides (wasm's kernel)", 2, 2, "valid", [2, 7, 9, 3]],
    ["3x3 / 2 'same' (wasm's kernel)", 3, 2, "same", [2, 9, 8, 2]],
  ] as const)("AvgPool gradient %s", async (_name, size, stride, pad, shape) => {
    await expectWasmMatchesCpu(() => gradientOf((x) => tf.avgPool(x, size, stride, pad), [...shape]));
  });

  // The fallback cases use batch 1: tfjs-backend-cpu's ResizeNearestNeighborGrad mixes up images for batch > 1
  // (see nearestResizeGrad); gradients.test.ts checks every case against finite differences instead.
  it.each([
    ["x2 (block sum)", [4, 6], false, false, 2],
    ["x4 (block sum)", [8, 12], false, false, 2],
    ["x2 by x4, half-pixel centres (block sum)", [4, 12], false, true, 2],
    ["x3 (wasm's kernel)", [6, 9], false, false, 1],
    ["align corners (wasm's kernel)", [4, 6], true, false, 1],
  ] as const)("ResizeNearestNeighbor gradient %s", async (_name, size, alignCorners, halfPixel, batch) => {
    await expectWasmMatchesCpu(() =>
      gradientOf((x) => tf.image.resizeNearestNeighbor(x, [...size], alignCorners, halfPixel), [batch, 2, 3, 4]),
    );
  });

  it.each([
    ["channels of NHWC", [2, 3, 4, 8], [0, 0, 0, 2], [2, 3, 4, 5]],
    ["rows and columns", [2, 5, 6, 3], [1, 1, 2, 0], [1, 3, -1, 3]],
    ["leading axis only (one run)", [4, 3, 2], [1, 0, 0], [2, 3, 2]],
    ["whole tensor", [3, 4], [0, 0], [3, 4]],
    ["rank 1", [10], [3], [4]],
    ["rank 5", [2, 3, 2, 3, 4], [1, 0, 1, 1, 1], [1, 2, 1, 2, 2]],
    ["empty", [3, 4], [1, 1], [0, 2]],
  ] as const)("Slice: %s", async (_name, shape, begin, size) => {
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    const x = () => tf.tensor(seeded(31, count), [...shape]);
    await expectWasmMatchesCpu(() => {
      const part = tf.slice(x(), [...begin], [...size]);
      return part.size === 0 ? tf.ones([1]) : part;
    });
  });

  it("Slice keeps int32 and bool values, and hands strings to wasm's kernel", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      await trainingBackends();
      await tf.setBackend(backend);
      const ints = tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32"), [0, 1], [2, 2]);
      const bools = tf.slice(tf.tensor2d([true, false, true, false], [2, 2], "bool"), [1, 0], [1, 2]);
      const strings = tf.slice(tf.tensor1d(["a", "b", "c"], "string"), [1], [2]);
      expect([ints.dtype, Array.from(ints.dataSync())]).toEqual(["int32", [2, 3, 5, 6]]);
      expect([bools.dtype, Array.from(bools.dataSync())]).toEqual(["bool", [1, 0]]);
      expect(strings.arraySync()).toEqual(["b", "c"]);
      tf.dispose([ints, bools, strings]);
    }
  });

  it.each([
    ["channels into 4", [2, 3, 4, 12], [3, 2, 4, 3], 3],
    ["rows, sizes with -1", [2, 7, 3, 2], [2, -1, 1], 1],
  ] as const)("SplitV: %s", async (_name, shape, sizes, axis) => {
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    await expectWasmMatchesCpu(() => tf.split(tf.tensor(seeded(32, count), [...shape]), [...sizes], axis));
  });

  it("UnsortedSegmentSum (gather's gradient), with repeated and out-of-range ids", async () => {
    await expectWasmMatchesCpu(() => {
      const x = tf.tensor3d(seeded(21, 6 * 2 * 3), [6, 2, 3]);
      const ids = tf.tensor1d([3, 0, 3, 1, -1, 0], "int32");
      return tf.unsortedSegmentSum(x, ids, 5);
    });
  });

  it("gather gradient along axes 0 and 1, with a repeated index", async () => {
    await expectWasmMatchesCpu(() => {
      const params = tf.tensor3d(seeded(22, 5 * 4 * 3), [5, 4, 3]);
      const indices = tf.tensor1d([1, 3, 1, 0], "int32");
      return [0, 1].map((axis) => {
        const gathered = tf.gather(params, indices, axis);
        const r = tf.tensor(seeded(23 + axis, gathered.size), gathered.shape);
        return tf.grad((p: Tensor) => tf.sum(tf.mul(tf.gather(p, indices, axis), r)))(params);
      });
    });
  });

  it("Conv2D forward with dilation 2 (XNNPACK) on a non-square input", async () => {
    await expectWasmMatchesCpu(() => {
      const w = image(23, [3, 3, 4, 6]);
      return tf.conv2d(image(24, [2, 9, 13, 4]), w, 1, "same", "NHWC", 2);
    });
  });

  it("keeps working, with wasm's own kernels as fallbacks, when registered twice", async () => {
    await trainingBackends();
    registerWasmTrainingKernels(tf);
    await expectWasmMatchesCpu(() => gradientOf((x) => tf.avgPool(x, 3, 2, "same"), [1, 5, 6, 2]));
    await expectWasmMatchesCpu(() => gradientOf((x) => tf.depthToSpace(x, 2), [1, 2, 3, 8]));
  });
});
