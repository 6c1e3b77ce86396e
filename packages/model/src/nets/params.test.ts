import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ParamStore } from "./params.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const values = (store: ParamStore, name: string) => Array.from(store.get(name).dataSync());

describe("ParamStore", () => {
  it("draws each parameter from its seed and name, not from creation order", () => {
    const a = new ParamStore(tf, { seed: 3 });
    a.conv("conv_first", 3, 3, 8, { kind: "kaiming-normal", scale: 0.1 });
    a.conv("conv_last", 3, 8, 3, { kind: "kaiming-normal", scale: 0.1 });
    const b = new ParamStore(tf, { seed: 3 });
    b.conv("conv_last", 3, 8, 3, { kind: "kaiming-normal", scale: 0.1 });
    const c = new ParamStore(tf, { seed: 4 });
    c.conv("conv_last", 3, 8, 3, { kind: "kaiming-normal", scale: 0.1 });
    expect(values(b, "conv_last.weight")).toEqual(values(a, "conv_last.weight"));
    expect(values(c, "conv_last.weight")).not.toEqual(values(a, "conv_last.weight"));
    expect(values(a, "conv_first.weight")).not.toEqual(values(a, "conv_last.weight").slice(0, 216));
    for (const s of [a, b, c]) s.dispose();
  });

  it("initialises conv weights kaiming-normal (fan_in = k*k*cin) times the scale, biases at zero", () => {
    const store = new ParamStore(tf, { seed: 1 });
    store.conv("body.0.conv", 3, 32, 64, { kind: "kaiming-normal", scale: 0.1 });
    const w = values(store, "body.0.conv.weight");
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    // 18,432 samples: the sample std is within ~1% of sqrt(2 / 288) * 0.1 = 0.00833.
    expect(std).toBeCloseTo(Math.sqrt(2 / (3 * 3 * 32)) * 0.1, 4);
    expect(Math.abs(mean)).toBeLessThan(2e-4);
    expect(values(store, "body.0.conv.bias").every((v) => v === 0)).toBe(true);
    store.create("d.weight", [4, 4, 16, 16], { kind: "normal", std: 0.02 });
    const d = values(store, "d.weight");
    expect(Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length)).toBeCloseTo(0.02, 3);
    store.dispose();
  });

  it("counts scalars, lists names in creation order and frees every variable on dispose", () => {
    const before = tf.memory().numTensors;
    const store = new ParamStore(tf);
    store.conv("conv_first", 3, 3, 4, { kind: "zeros" });
    store.create("scale", [5], { kind: "zeros" });
    expect(store.count()).toBe(3 * 3 * 3 * 4 + 4 + 5);
    expect(store.names()).toEqual(["conv_first.weight", "conv_first.bias", "scale"]);
    expect(store.entries().map(([name, v]) => [name, v.shape])).toEqual([
      ["conv_first.weight", [3, 3, 3, 4]],
      ["conv_first.bias", [4]],
      ["scale", [5]],
    ]);
    expect(tf.memory().numTensors).toBe(before + 3);
    store.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => store.get("scale")).toThrow(/disposed/);
  });

  it("adopts a copy of a tensor that stays valid after the source is disposed", () => {
    const store = new ParamStore(tf);
    const source = tf.tensor([1, 2, 3]);
    store.adopt("w", source);
    source.dispose();
    expect(values(store, "w")).toEqual([1, 2, 3]);
    store.dispose();
  });

  it("rejects duplicate names, bad shapes, unknown names and bad seeds, naming the parameter", () => {
    const store = new ParamStore(tf);
    store.create("w", [2], { kind: "zeros" });
    expect(() => store.create("w", [2], { kind: "zeros" })).toThrow(/^w: parameter already exists/);
    expect(() => store.create("v", [2, 0], { kind: "zeros" })).toThrow(/^v: shape must be positive integers/);
    expect(() => store.get("nope")).toThrow(/^nope: no such parameter/);
    expect(() => new ParamStore(tf, { seed: 1.5 })).toThrow(/seed/);
    store.dispose();
  });
});
