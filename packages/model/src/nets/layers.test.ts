import * as tf from "@tensorflow/tfjs-core";
// tfjs-core's node entry registers no gradients; a trainer imports this once, and so do gradient tests.
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingGradients } from "../backend/training-gradients.ts";
import type { Tensor4D } from "../tf.ts";
import { conv2d, pixelShuffle, pixelUnshuffle, upsampleNearest } from "./layers.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
  registerTrainingGradients(tf);
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
}

/** A 3x3 kernel dilated by 2 written out as the 5x5 kernel with zeros in between (standard conv, standard gradient). */
function zeroInserted(w: Tensor4D): Tensor4D {
  const [, , cin, cout] = w.shape;
  const buf = tf.buffer([5, 5, cin, cout]);
  const src = w.bufferSync();
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++)
      for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) buf.set(src.get(y, x, i, o), 2 * y, 2 * x, i, o);
  return buf.toTensor() as Tensor4D;
}

describe("dilated conv", () => {
  // Odd and even sides: 'same' padding of the dilated kernel on every side.
  it.each([
    [8, 8],
    [7, 9],
    [5, 6],
  ])("equals the zero-inserted 5x5 conv on %ix%i", (h, w) => {
    const x = tf.randomNormal<tf.Rank.R4>([2, h, w, 3], 0, 1, "float32", 1);
    const weight = tf.randomNormal<tf.Rank.R4>([3, 3, 3, 4], 0, 1, "float32", 2);
    const bias = tf.randomNormal<tf.Rank.R1>([4], 0, 1, "float32", 3);
    const ours = conv2d(tf, x, { weight, bias }, { dilation: 2 });
    const reference = tf.add(tf.conv2d(x, zeroInserted(weight), 1, "same"), bias);
    expect(ours.shape).toEqual([2, h, w, 4]);
    expect(maxAbsDiff(ours, reference)).toBeLessThan(1e-5);
  });

  it("has gradients (tfjs has none for dilated conv2d) equal to the zero-inserted 5x5 conv's", () => {
    const x = tf.randomNormal<tf.Rank.R4>([1, 7, 6, 2], 0, 1, "float32", 4);
    const w = tf.randomNormal<tf.Rank.R4>([3, 3, 2, 3], 0, 1, "float32", 5);
    const b = tf.zeros<tf.Rank.R1>([3]);
    const target = tf.randomNormal([1, 7, 6, 3], 0, 1, "float32", 6);
    const loss = (y: tf.Tensor) => tf.sum<tf.Scalar>(tf.mul(y, target));
    const ours = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
      loss(conv2d(tf, xi as Tensor4D, { weight: wi as Tensor4D, bias: b }, { dilation: 2 })),
    )([x, w]);
    const dx = tf.grad((xi: tf.Tensor) => loss(tf.conv2d(xi as Tensor4D, zeroInserted(w), 1, "same")))(x);
    expect(maxAbsDiff(ours[0] as tf.Tensor, dx)).toBeLessThan(1e-4);
    // d(loss)/dw at the dilated taps equals the 5x5 kernel's gradient at the even taps.
    const dw5 = tf.grad((w5: tf.Tensor) => loss(tf.conv2d(x, w5 as Tensor4D, 1, "same")))(zeroInserted(w));
    const dwTaps = tf.stridedSlice(dw5, [0, 0, 0, 0], [5, 5, 2, 3], [2, 2, 1, 1]);
    expect(maxAbsDiff(ours[1] as tf.Tensor, dwTaps)).toBeLessThan(1e-4);
  });

  it("refuses dilation with a stride (not implemented rather than wrong)", () => {
    const x = tf.zeros<tf.Rank.R4>([1, 4, 4, 1]);
    const conv = { weight: tf.zeros<tf.Rank.R4>([3, 3, 1, 1]), bias: tf.zeros<tf.Rank.R1>([1]) };
    expect(() => conv2d(tf, x, conv, { dilation: 2, stride: 2 })).toThrow(
      expect.objectContaining({ code: "unsupported" }),
    );
  });
});

describe("pixel shuffle", () => {
  it("follows PyTorch's channel order: out[h*2+i, w*2+j, c] = in[h, w, c*4 + i*2 + j]", () => {
    const [n, h, w, c] = [2, 3, 2, 3];
    const x = tf.reshape<tf.Rank.R4>(tf.range(0, n * h * w * c * 4), [n, h, w, c * 4]);
    const y = pixelShuffle(tf, x, 2);
    expect(y.shape).toEqual([n, 2 * h, 2 * w, c]);
    const xs = x.bufferSync();
    const ys = y.bufferSync();
    for (let b = 0; b < n; b++)
      for (let r = 0; r < 2 * h; r++)
        for (let q = 0; q < 2 * w; q++)
          for (let k = 0; k < c; k++) {
            const source = xs.get(b, Math.floor(r / 2), Math.floor(q / 2), k * 4 + (r % 2) * 2 + (q % 2));
            expect(ys.get(b, r, q, k)).toBe(source);
          }
  });

  it("is inverted by pixelUnshuffle", () => {
    const x = tf.randomNormal<tf.Rank.R4>([2, 4, 6, 8], 0, 1, "float32", 7);
    expect(maxAbsDiff(pixelUnshuffle(tf, pixelShuffle(tf, x, 2), 2), x)).toBe(0);
    const hr = tf.randomNormal<tf.Rank.R4>([1, 8, 4, 3], 0, 1, "float32", 8);
    expect(maxAbsDiff(pixelShuffle(tf, pixelUnshuffle(tf, hr, 2), 2), hr)).toBe(0);
  });
});

describe("nearest upsampling", () => {
  it("copies pixel (floor(y/f), floor(x/f)) like PyTorch's interpolate(mode='nearest')", () => {
    const x = tf.reshape<tf.Rank.R4>(tf.range(0, 2 * 3 * 2), [1, 2, 3, 2]);
    const y = upsampleNearest(tf, x, 4);
    expect(y.shape).toEqual([1, 8, 12, 2]);
    const xs = x.bufferSync();
    const ys = y.bufferSync();
    for (let r = 0; r < 8; r++)
      for (let q = 0; q < 12; q++)
        for (let k = 0; k < 2; k++) expect(ys.get(0, r, q, k)).toBe(xs.get(0, Math.floor(r / 4), Math.floor(q / 4), k));
  });
});
