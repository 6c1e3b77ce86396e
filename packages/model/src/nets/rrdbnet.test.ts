import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { esrganCost } from "@mfnas/core";
import { beforeAll, describe, expect, it } from "vitest";
import { RrdbNet } from "./rrdbnet.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("RrdbNet", () => {
  it("has BasicSR's parameter names, in BasicSR's order", () => {
    const net = new RrdbNet(tf, { blocks: 1, channels: 8, growth: 4 });
    const rdb = (r: number) => [1, 2, 3, 4, 5].map((k) => `body.0.rdb${r}.conv${k}`);
    const layers = [
      "conv_first",
      ...rdb(1),
      ...rdb(2),
      ...rdb(3),
      "conv_body",
      "conv_up1",
      "conv_up2",
      "conv_hr",
      "conv_last",
    ];
    expect(net.params.names()).toEqual(layers.flatMap((l) => [`${l}.weight`, `${l}.bias`]));
    // HWIO; the dense block's conv k reads x and the k-1 earlier features.
    expect(net.params.get("body.0.rdb2.conv4.weight").shape).toEqual([3, 3, 8 + 3 * 4, 4]);
    expect(net.params.get("body.0.rdb2.conv5.weight").shape).toEqual([3, 3, 8 + 4 * 4, 8]);
    net.dispose();
  });

  it.each([
    { blocks: 2, channels: 8, growth: 4, scale: 4 as const },
    { blocks: 2, channels: 8, growth: 4, scale: 2 as const },
    { blocks: 3, channels: 6, growth: 10, scale: 4 as const },
    { blocks: 1, channels: 16, growth: 2, scale: 2 as const },
  ])("has esrganCost's parameter count for %o", (config) => {
    const net = new RrdbNet(tf, config);
    expect(net.paramCount()).toBe(esrganCost(8, 8, config).params);
    net.dispose();
  });

  it("is RRDB_ESRGAN_x4 by default: 16,697,987 parameters", () => {
    const net = new RrdbNet(tf);
    expect(net.config).toEqual({ blocks: 23, channels: 64, growth: 32, scale: 4 });
    expect(net.paramCount()).toBe(16_697_987);
    expect(net.paramCount()).toBe(esrganCost(64, 64).params);
    net.dispose();
  });

  it.each([4, 2] as const)("upscales by %i (x2 through pixel-unshuffle, as BasicSR)", (scale) => {
    const net = new RrdbNet(tf, { blocks: 2, channels: 8, growth: 4, scale, seed: 1 });
    const lr = tf.randomUniform<tf.Rank.R4>([2, 6, 4, 3], 0, 1, "float32", 2);
    const sr = net.forward(tf, lr);
    expect(sr.shape).toEqual([2, 6 * scale, 4 * scale, 3]);
    expect(Array.from(sr.dataSync()).every(Number.isFinite)).toBe(true);
    // The two images of the batch are independent: running one alone gives the same rows.
    const alone = net.forward(tf, tf.slice(lr, [1, 0, 0, 0], [1, 6, 4, 3]));
    const diff = tf.max(tf.abs(tf.sub(alone, tf.slice(sr, [1, 0, 0, 0], [1, 6 * scale, 4 * scale, 3]))));
    expect(diff.dataSync()[0]).toBeLessThan(1e-5);
    net.dispose();
  });

  it("leaves no tensors behind after a forward pass but its output", () => {
    const net = new RrdbNet(tf, { blocks: 2, channels: 8, growth: 4 });
    const lr = tf.zeros<tf.Rank.R4>([1, 4, 4, 3]);
    const before = tf.memory().numTensors;
    const sr = net.forward(tf, lr);
    expect(tf.memory().numTensors).toBe(before + 1);
    sr.dispose();
    net.dispose();
  });

  it("rejects bad configs and inputs, naming the field", () => {
    expect(() => new RrdbNet(tf, { channels: 0 })).toThrow(/^channels: must be an integer/);
    expect(() => new RrdbNet(tf, { scale: 3 as 4 })).toThrow(/^scale: must be 2 or 4/);
    const net = new RrdbNet(tf, { blocks: 1, channels: 4, growth: 2, scale: 2 });
    expect(() => net.forward(tf, tf.zeros<tf.Rank.R4>([1, 5, 4, 3]))).toThrow(
      /^lr: scale 2 .* 5x4 must have even sides/,
    );
    expect(() => net.forward(tf, tf.zeros<tf.Rank.R4>([1, 4, 4, 1]))).toThrow(/^lr: expected .*3 channels/);
    net.dispose();
  });
});
