import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import type { RgbArray } from "./psnr.ts";
import { batchSrMetrics, srMetrics } from "./sr-metrics.ts";

function image(height: number, width: number, seed: number, noise: number): RgbArray {
  const data = new Float32Array(height * width * 3);
  for (let i = 0; i < data.length; i++) {
    data[i] = 0.5 + 0.3 * Math.sin(0.37 * i + seed) + noise * Math.sin(12.9898 * i * (seed + 1));
  }
  return { height, width, data };
}

function batch(images: RgbArray[]): tf.Tensor4D {
  const [first] = images;
  const data = new Float32Array(images.length * (first?.data.length ?? 0));
  images.forEach((im, i) => data.set(im.data, i * im.data.length));
  return tf.tensor4d(data, [images.length, first?.height ?? 0, first?.width ?? 0, 3]);
}

describe("SR metrics per image and per batch", () => {
  beforeAll(async () => {
    // The test picks the backend; library code never does.
    await tf.setBackend("cpu");
  });

  it("gives each batch element the metrics of the image on its own", async () => {
    const hrs = [image(24, 20, 1, 0), image(24, 20, 2, 0)];
    const srs = [image(24, 20, 1, 0.02), image(24, 20, 2, 0.1)];
    const [sr, hr] = [batch(srs), batch(hrs)];
    const results = await batchSrMetrics(sr, hr, { scale: 4 });
    expect(results).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(results[i]).toEqual(srMetrics(srs[i]!, hrs[i]!, { scale: 4 }));
    expect(results[0]!.psnrY).toBeGreaterThan(results[1]!.psnrY);
    tf.dispose([sr, hr]);
  });

  it("crops `scale` pixels by default", () => {
    const hr = image(24, 24, 3, 0);
    const sr = { ...hr, data: hr.data.slice() };
    sr.data.fill(0, 0, 24 * 3 * 2); // damage the top two rows only
    expect(srMetrics(sr, hr, { scale: 2 }).psnrY).toBe(Infinity);
    expect(srMetrics(sr, hr, { scale: 2, cropBorder: 0 }).psnrY).toBeLessThan(40);
  });

  it("rejects batches of different shapes or non-RGB tensors, naming the shapes", async () => {
    const a = tf.zeros([2, 16, 16, 3]);
    const b = tf.zeros([2, 16, 12, 3]);
    const gray = tf.zeros([2, 16, 16, 1]);
    await expect(batchSrMetrics(a, b, { scale: 2 })).rejects.toThrow(/\[2, 16, 16, 3\] and \[2, 16, 12, 3\]/);
    await expect(batchSrMetrics(gray, gray, { scale: 2 })).rejects.toThrow(/\[n, h, w, 3\]/);
    tf.dispose([a, b, gray]);
  });
});
