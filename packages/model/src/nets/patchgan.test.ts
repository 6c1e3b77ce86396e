import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import type { Tensor4D } from "../tf.ts";
import { PatchGanDiscriminator } from "./patchgan.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
}

describe("PatchGanDiscriminator", () => {
  it("has pix2pix's layer widths and, without norm layers, a bias on every conv", () => {
    const d = new PatchGanDiscriminator(tf);
    expect(d.widths()).toEqual([64, 128, 256, 512]);
    // 4x4 convs 3->64->128->256->512->1, each with a bias.
    const expected =
      [3 * 64, 64 * 128, 128 * 256, 256 * 512, 512].reduce((s, n) => s + 16 * n, 0) + 64 + 128 + 256 + 512 + 1;
    expect(expected).toBe(2_764_737);
    expect(d.params.count()).toBe(expected);
    expect(d.paramCount()).toBe(expected);
    d.dispose();
    const capped = new PatchGanDiscriminator(tf, { baseWidth: 4, layers: 5, maxMultiplier: 4 });
    expect(capped.widths()).toEqual([4, 8, 16, 16, 16, 16]);
    capped.dispose();
  });

  it("returns patch logits and the activation after each LeakyReLU", () => {
    const d = new PatchGanDiscriminator(tf, { baseWidth: 4, seed: 1 });
    const { logits, features } = d.forward(tf, tf.randomNormal<tf.Rank.R4>([2, 32, 40, 3], 0, 1, "float32", 1));
    expect(features.map((f) => f.shape)).toEqual([
      [2, 16, 20, 4],
      [2, 8, 10, 8],
      [2, 4, 5, 16],
      [2, 3, 4, 32],
    ]);
    expect(logits.shape).toEqual([2, 2, 3, 1]);
    // LeakyReLU(0.2) outputs: negative values are exactly 0.2 x the pre-activation, so some must be negative.
    expect(features.every((f) => (tf.min(f).dataSync()[0] ?? 0) < 0)).toBe(true);
    d.dispose();
  });

  it("sees a 70x70 patch per logit with the default 3 layers", () => {
    const d = new PatchGanDiscriminator(tf, { baseWidth: 2, seed: 3 });
    const images = tf.randomNormal<tf.Rank.R4>([1, 96, 96, 3], 0, 1, "float32", 4);
    const dx = tf.grad((x: tf.Tensor) => {
      const { logits } = d.forward(tf, x as Tensor4D);
      return tf.sum(tf.slice(logits, [0, 5, 5, 0], [1, 1, 1, 1]));
    })(images);
    const touched = (axis: 1 | 2) => {
      const reduced = tf.sum(tf.abs(dx), axis === 1 ? [0, 2, 3] : [0, 1, 3]).arraySync() as number[];
      return reduced.filter((v) => v > 0).length;
    };
    expect([touched(1), touched(2)]).toEqual([70, 70]);
    d.dispose();
  });

  it("runs a student as the first-k channel slice, equal to its extracted copy", () => {
    // A wider init than pix2pix's 0.02 keeps the logits O(1), so the 1e-6 tolerance below is meaningful.
    const d = new PatchGanDiscriminator(tf, { baseWidth: 8, seed: 5, initStd: 0.3 });
    const images = tf.randomNormal<tf.Rank.R4>([1, 24, 32, 3], 0, 1, "float32", 6);
    const sliced = d.forward(tf, images, { baseWidth: 3 });
    expect(sliced.features.map((f) => f.shape[3])).toEqual([3, 6, 12, 24]);
    const student = d.extract(3);
    expect(student.widths()).toEqual(d.widths(3));
    expect(student.params.count()).toBe(d.paramCount(3));
    expect(student.params.get("conv2.weight").shape).toEqual([4, 4, 6, 12]);
    const own = student.forward(tf, images);
    expect(maxAbsDiff(own.logits, sliced.logits)).toBeLessThan(1e-6);
    expect(maxAbsDiff(own.logits, tf.zerosLike(own.logits))).toBeGreaterThan(0.1);
    own.features.forEach((f, n) => expect(maxAbsDiff(f, sliced.features[n] as Tensor4D)).toBeLessThan(1e-6));
    // The full width is not a slice of the student: the outputs differ.
    expect(maxAbsDiff(d.forward(tf, images).logits, own.logits)).toBeGreaterThan(0);
    student.dispose();
    d.dispose();
  });

  it("rejects widths above its own, wrong channels and images too small for a patch", () => {
    const d = new PatchGanDiscriminator(tf, { baseWidth: 4 });
    const ok = tf.zeros<tf.Rank.R4>([1, 24, 24, 3]);
    expect(() => d.forward(tf, ok, { baseWidth: 5 })).toThrow(/^baseWidth: must be an integer in 1\.\.4/);
    expect(() => d.extract(0)).toThrow(/^baseWidth:/);
    expect(() => d.forward(tf, tf.zeros<tf.Rank.R4>([1, 24, 24, 1]))).toThrow(/^images: expected .*3 channels/);
    expect(() => d.forward(tf, tf.zeros<tf.Rank.R4>([1, 23, 24, 3]))).toThrow(/^images: 23x24 is too small .*>= 24/);
    expect(() => new PatchGanDiscriminator(tf, { layers: 0 })).toThrow(/^layers: must be an integer/);
    d.dispose();
  });
});
