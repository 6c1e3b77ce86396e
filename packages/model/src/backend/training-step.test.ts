import { describe, expect, it } from "vitest";
import type { NamedTensorMap, Scalar, Tensor, Tensor4D, Variable } from "@tensorflow/tfjs-core";
import { maxAbs, relativeError, runOn, seeded, tf } from "./test-support.ts";

// A small MFA-like generator (x2, pixel-shuffle) and PatchGAN-like discriminator, written with plain tf ops so
// the test depends only on this folder. Non-square 8x12 LR input, batch 2.
const C = 8;
const WB = 4;
const SHAPES: Record<string, number[]> = {
  head: [3, 3, 3, C],
  conv3: [3, 3, C, WB],
  dil2: [3, 3, C, WB],
  down2: [3, 3, C, WB],
  down4: [3, 3, C, WB],
  fuse: [1, 1, 4 * WB, C],
  trunk: [3, 3, C, C],
  shuffle: [3, 3, C, 4 * C],
  last: [3, 3, C, 3],
  d1: [4, 4, 3, 8],
  d2: [4, 4, 8, 16],
  d3: [3, 3, 16, 1],
};
const GENERATOR = ["head", "conv3", "dil2", "down2", "down4", "fuse", "trunk", "shuffle", "last"];
const DISCRIMINATOR = ["d1", "d2", "d3"];

type Weights = Record<string, Variable>;

function weights(): Weights {
  const out: Weights = {};
  Object.entries(SHAPES).forEach(([name, shape], i) => {
    const fanIn = (shape[0] ?? 1) * (shape[1] ?? 1) * (shape[2] ?? 1);
    const w = tf.mul(
      tf.tensor(
        seeded(
          300 + i,
          shape.reduce((a, b) => a * b, 1),
        ),
        shape,
      ),
      Math.sqrt(3 / fanIn),
    );
    out[name] = tf.variable(w, true, name);
    out[`${name}/b`] = tf.variable(tf.tensor1d(seeded(400 + i, shape[3] ?? 1, -0.1, 0.1)), true, `${name}/b`);
  });
  return out;
}

function conv(w: Weights, name: string, x: Tensor, stride = 1, dilation = 1): Tensor4D {
  return tf.add(tf.conv2d(x as Tensor4D, w[name] as Tensor4D, stride, "same", "NHWC", dilation), w[`${name}/b`]!);
}
const lrelu = (x: Tensor) => tf.leakyRelu(x, 0.2);
const up = (x: Tensor, f: number) => {
  const [, h, wd] = x.shape;
  return tf.image.resizeNearestNeighbor(x as Tensor4D, [(h ?? 0) * f, (wd ?? 0) * f]);
};

function generator(w: Weights, lr: Tensor): Tensor {
  const f0 = conv(w, "head", lr);
  const branches = [
    lrelu(conv(w, "conv3", f0)),
    lrelu(conv(w, "dil2", f0, 1, 2)),
    up(lrelu(conv(w, "down2", tf.avgPool(f0, 2, 2, "valid"))), 2),
    up(lrelu(conv(w, "down4", tf.avgPool(f0, 4, 4, "valid"))), 4),
  ];
  const block = tf.add(f0, tf.mul(conv(w, "fuse", tf.concat(branches, 3)), 0.2));
  const trunk = tf.add(conv(w, "trunk", block), f0);
  const shuffled = lrelu(tf.depthToSpace(conv(w, "shuffle", trunk), 2));
  return conv(w, "last", shuffled);
}

function discriminator(w: Weights, image: Tensor): Tensor {
  return conv(w, "d3", lrelu(conv(w, "d2", lrelu(conv(w, "d1", image, 2)), 2)));
}

const named = (grads: NamedTensorMap) => Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));

/** One Adam step of G then D; returns every gradient, then every weight after both steps. */
function trainingStep(): Tensor[] {
  const w = weights();
  const lr = tf.tensor4d(seeded(1, 2 * 8 * 12 * 3), [2, 8, 12, 3]);
  const hr = tf.tensor4d(seeded(2, 2 * 16 * 24 * 3), [2, 16, 24, 3]);
  const vars = (names: string[]) => names.flatMap((n) => [w[n]!, w[`${n}/b`]!]);
  // One Adam per network: tfjs's Adam keys its moments by position in the gradient list, not by variable.
  const gOptimizer = tf.train.adam(1e-3);
  const dOptimizer = tf.train.adam(1e-3);

  const gLoss = (): Scalar => {
    const sr = generator(w, lr);
    const logits = discriminator(w, sr);
    const adversarial = tf.losses.sigmoidCrossEntropy(tf.onesLike(logits), logits);
    return tf.add(tf.mean(tf.abs(tf.sub(sr, hr))), tf.mul(adversarial, 1e-2));
  };
  const dLoss = (fake: Tensor): Scalar => {
    // Softplus form of the non-saturating loss: -log sigmoid(real) - log(1 - sigmoid(fake)).
    return tf.add(tf.mean(tf.softplus(tf.neg(discriminator(w, hr)))), tf.mean(tf.softplus(discriminator(w, fake))));
  };
  const g = tf.variableGrads(gLoss, vars(GENERATOR));
  gOptimizer.applyGradients(named(g.grads));
  // Made outside variableGrads (tfjs-core has no stopGradient): D's step must not reach G's weights.
  const fake = generator(w, lr);
  const d = tf.variableGrads(() => dLoss(fake), vars(DISCRIMINATOR));
  dOptimizer.applyGradients(named(d.grads));
  const gradients = [...Object.values(g.grads), ...Object.values(d.grads)];
  const after = Object.values(w).map((v) => tf.clone(v));
  tf.dispose(Object.values(w));
  gOptimizer.dispose();
  dOptimizer.dispose();
  return [g.value, d.value, ...gradients, ...after];
}

describe("one GAN training step", () => {
  it("runs on wasm with gradients and updated weights equal to cpu's", async () => {
    const cpu = await runOn("cpu", trainingStep);
    const wasm = await runOn("wasm", trainingStep);
    expect(wasm).toHaveLength(cpu.length);
    const gradientCount = (GENERATOR.length + DISCRIMINATOR.length) * 2;
    cpu.forEach((expected, i) => {
      const actual = wasm[i]!;
      expect(actual.every(Number.isFinite)).toBe(true);
      // Every gradient must be non-zero, so the comparison cannot pass on dead paths.
      if (i >= 2 && i < 2 + gradientCount) expect(maxAbs(expected)).toBeGreaterThan(0);
      expect(relativeError(actual, expected)).toBeLessThanOrEqual(1e-4);
    });
  });
});
