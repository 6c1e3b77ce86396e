import { describe, expect, it } from "vitest";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { seeded, tf, trainingBackends } from "../backend/test-support.ts";
import { PatchGanDiscriminator } from "../nets/patchgan.ts";
import { saveWeights } from "../nets/safetensors-weights.ts";
import {
  FeatureAdapters,
  bceWithLogits,
  discriminatorDistillLoss,
  distillationPairs,
  featureDistillLoss,
  l1Loss,
  perceptualLoss,
  relativisticDiscriminatorLoss,
  relativisticGeneratorLoss,
  Vgg19Features,
} from "./index.ts";

const value = (t: { dataSync(): ArrayLike<number> }) => t.dataSync()[0] ?? NaN;
const image = (seed: number, shape: [number, number, number, number]) =>
  tf.tensor4d(
    seeded(
      seed,
      shape.reduce((a, b) => a * b, 1),
      0,
      1,
    ),
    shape,
  );

describe("losses", () => {
  it("computes L1 and stable BCE with logits, also for huge logits", async () => {
    await trainingBackends();
    expect(value(l1Loss(tf, tf.tensor([1, 2, 3]), tf.tensor([2, 2, 1])))).toBeCloseTo(1);
    expect(value(bceWithLogits(tf, tf.tensor([0]), 1))).toBeCloseTo(Math.log(2));
    expect(value(bceWithLogits(tf, tf.tensor([1000]), 0))).toBeCloseTo(1000);
    expect(value(bceWithLogits(tf, tf.tensor([-1000]), 0))).toBeCloseTo(0);
  });

  it("makes RaGAN losses that reward the discriminator for telling real from fake, and G for the opposite", async () => {
    await trainingBackends();
    const real = tf.tensor([3, 4]);
    const fake = tf.tensor([-3, -4]);
    expect(value(relativisticDiscriminatorLoss(tf, real, fake))).toBeLessThan(0.01);
    expect(value(relativisticGeneratorLoss(tf, real, fake))).toBeGreaterThan(6);
    // Symmetric: swapping the roles swaps the losses.
    expect(value(relativisticGeneratorLoss(tf, fake, real))).toBeCloseTo(
      value(relativisticDiscriminatorLoss(tf, real, fake)),
    );
    // Differentiable through softplus (no logSigmoid) on an intermediate.
    const g = tf.grad((x) => relativisticGeneratorLoss(tf, tf.mul(x, 2), fake))(real);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it("pairs student blocks with evenly spaced teacher blocks ending at the last", () => {
    expect(distillationPairs(2, 23)).toEqual([11, 22]);
    expect(distillationPairs(1, 4)).toEqual([3]);
    expect(distillationPairs(4, 2)).toEqual([0, 0, 1, 1]);
  });

  it("distils features through elastic adapters, pooling to a half-resolution teacher", async () => {
    await trainingBackends();
    const adapters = new FeatureAdapters(tf, 2, 16, 8, { seed: 1 });
    const student = [image(1, [2, 8, 8, 12]), image(2, [2, 8, 8, 12])];
    const teacher = [image(3, [2, 4, 4, 8]), image(4, [2, 4, 4, 8])];
    const loss = featureDistillLoss(tf, adapters, student, teacher);
    expect(value(loss)).toBeGreaterThan(0);
    const grads = tf.variableGrads(
      () => featureDistillLoss(tf, adapters, student, teacher),
      adapters.params.entries().map(([, v]) => v),
    );
    const w = grads.grads[adapters.params.get("adapter.0.weight").name];
    // Only the first 12 of 16 input rows are used by a width-12 student.
    expect(w?.shape).toEqual([1, 1, 16, 8]);
    const rows = tf.slice(w as Tensor4D, [0, 0, 12, 0], [1, 1, 4, 8]);
    expect(Math.max(...Array.from(tf.abs(rows).dataSync()))).toBe(0);
    adapters.dispose();
  });

  it("distils a discriminator slice towards the full one: zero on itself, positive for other weights", async () => {
    await trainingBackends();
    const teacherD = new PatchGanDiscriminator(tf, { baseWidth: 8, layers: 2, seed: 1 });
    const student = teacherD.extract(4);
    const images = image(5, [2, 24, 24, 3]);
    const fromTeacher = teacherD.forward(tf, images);
    const sameSlice = teacherD.forward(tf, images, { baseWidth: 4 });
    const loss = discriminatorDistillLoss(tf, student.forward(tf, images), fromTeacher);
    // The student is the slice: its features equal the teacher's first channels; only the logits differ.
    expect(value(loss)).toBeCloseTo(value(l1Loss(tf, sameSlice.logits, fromTeacher.logits)), 4);
    const other = new PatchGanDiscriminator(tf, { baseWidth: 4, layers: 2, seed: 9 });
    expect(value(discriminatorDistillLoss(tf, other.forward(tf, images), fromTeacher))).toBeGreaterThan(value(loss));
  });

  it("runs VGG19 features under torchvision names, loads them from safetensors and gives 0 on equal images", async () => {
    await trainingBackends();
    const vgg = new Vgg19Features(tf, { upTo: 7, seed: 2 });
    expect(vgg.params.names()).toEqual([
      "features.0.weight",
      "features.0.bias",
      "features.2.weight",
      "features.2.bias",
      "features.5.weight",
      "features.5.bias",
      "features.7.weight",
      "features.7.bias",
    ]);
    const hr = image(6, [1, 16, 16, 3]);
    expect(vgg.forward(tf, hr).shape).toEqual([1, 8, 8, 128]);
    expect(value(perceptualLoss(tf, vgg, hr, hr))).toBe(0);
    const sr = image(7, [1, 16, 16, 3]);
    const before = value(perceptualLoss(tf, vgg, sr, hr));
    const copy = new Vgg19Features(tf, { upTo: 7, seed: 3 });
    copy.load(tf, await saveWeights(vgg.params));
    expect(value(perceptualLoss(tf, copy, sr, hr))).toBeCloseTo(before, 5);
  });
});
