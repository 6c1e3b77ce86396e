import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seeded } from "../backend/test-support.ts";
import type { Tensor4D } from "../tf.ts";
import { LayersModelNet, readLayersModel } from "./layers-model.ts";

let dir: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "mfnas-layers-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const conv = (name: string, filters: number, input: string, activation = "linear") => ({
  class_name: "Conv2D",
  name,
  config: { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: "same", activation, use_bias: true },
  inbound_nodes: [[[input, 0, 0, {}]]],
});
const node = (class_name: string, name: string, inputs: string[], config: Record<string, unknown> = {}) => ({
  class_name,
  name,
  config: { name, ...config },
  inbound_nodes: [inputs.map((i) => [i, 0, 0, {}])],
});

/** A small model in the shape of UpscalerJS's ESRGAN: conv, a residual block scaled by beta, dense concat, x2 shuffle. */
function tinyModel(extraLayers: object[] = []) {
  const layers = [
    { class_name: "InputLayer", name: "in", config: { batch_input_shape: [null, null, null, 3] }, inbound_nodes: [] },
    conv("c1", 4, "in", "relu"),
    conv("c2", 4, "c1"),
    node("MultiplyBeta", "beta", ["c2"], { beta: 0.2 }),
    node("Add", "block_out", ["c1", "beta"]),
    node("Concatenate", "cat", ["c1", "block_out"], { axis: -1 }),
    node("Activation", "act", ["cat"], { activation: "relu" }),
    conv("pre", 12, "act"),
    node("PixelShuffle2x", "shuffle", ["pre"], { scale: 2 }),
    ...extraLayers,
  ];
  const specs = [
    ["c1", [3, 3, 3, 4]],
    ["c2", [3, 3, 4, 4]],
    ["pre", [3, 3, 8, 12]],
  ] as const;
  const weights = specs.flatMap(([name, shape]) => [
    { name: `${name}/kernel`, shape: [...shape], dtype: "float32" },
    { name: `${name}/bias`, shape: [shape[3]], dtype: "float32" },
  ]);
  const count = weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  const values = seeded(7, count, -0.5, 0.5);
  const modelJson = {
    format: "layers-model",
    modelTopology: {
      model_config: {
        class_name: "Functional",
        config: { layers, input_layers: [["in", 0, 0]], output_layers: [["shuffle", 0, 0]] },
      },
    },
    weightsManifest: [{ paths: ["a.bin", "b.bin"], weights }],
  };
  return { modelJson, values, count };
}

async function writeModel(name: string, model: ReturnType<typeof tinyModel>): Promise<string> {
  const folder = join(dir, name);
  const { mkdir } = await import("node:fs/promises");
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "model.json"), JSON.stringify(model.modelJson));
  const bytes = new Uint8Array(model.values.buffer);
  await writeFile(join(folder, "a.bin"), bytes.subarray(0, 100));
  await writeFile(join(folder, "b.bin"), bytes.subarray(100));
  return folder;
}

describe("TF.js layers models read from disk", () => {
  it("run like the same graph written with tf ops, returning any layer, counting params and MACs", async () => {
    const model = tinyModel();
    const net = new LayersModelNet(tf, await readLayersModel(await writeModel("ok", model)));
    const v = model.values;
    let at = 0;
    const take = (shape: number[]) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const t = tf.tensor(v.slice(at, at + size), shape);
      at += size;
      return t;
    };
    const [k1, b1, k2, b2, k3, b3] = [
      take([3, 3, 3, 4]),
      take([4]),
      take([3, 3, 4, 4]),
      take([4]),
      take([3, 3, 8, 12]),
      take([12]),
    ] as [Tensor4D, tf.Tensor, Tensor4D, tf.Tensor, Tensor4D, tf.Tensor];
    const x = tf.tensor4d(seeded(3, 2 * 5 * 6 * 3, 0, 1), [2, 5, 6, 3]);
    const out = net.run(tf, x, ["block_out"]);
    const expected = tf.tidy(() => {
      const c1: Tensor4D = tf.relu(tf.add(tf.conv2d(x, k1, 1, "same"), b1));
      const c2: Tensor4D = tf.add(tf.conv2d(c1, k2, 1, "same"), b2);
      const block: Tensor4D = tf.add(c1, tf.mul(c2, 0.2));
      const pre: Tensor4D = tf.add(tf.conv2d(tf.relu(tf.concat([c1, block], 3)), k3, 1, "same"), b3);
      return { block, sr: tf.depthToSpace(pre, 2) };
    });
    expect(out.get("shuffle")?.shape).toEqual([2, 10, 12, 3]);
    const close = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(close(out.get("shuffle") as Tensor4D, expected.sr)).toBeLessThan(1e-5);
    expect(close(out.get("block_out") as Tensor4D, expected.block)).toBeLessThan(1e-5);
    expect(net.cost()).toEqual({
      params: model.count,
      // c1, c2 and pre run at LR size: 27*4 + 36*4 + 72*12 MACs per LR pixel.
      macsPerInputPixel: 27 * 4 + 36 * 4 + 72 * 12,
      scale: 2,
      inputChannels: 3,
      outputChannels: 3,
    });
    expect([net.channelsOf("block_out"), net.factorOf("shuffle")]).toEqual([4, 2]);
    const before = tf.memory().numTensors;
    tf.dispose([...net.run(tf, x).values()]);
    expect(tf.memory().numTensors).toBe(before); // intermediates freed
    expect(() => net.run(tf, x, ["nope"])).toThrow("no layer named nope");
    net.dispose();
  });

  it("refuses unsupported layers, a non-RGB input and short weight shards, naming what is wrong", async () => {
    const lambda = tinyModel([node("Lambda", "custom_op", ["shuffle"])]);
    await expect(
      readLayersModel(await writeModel("lambda", lambda)).then((f) => new LayersModelNet(tf, f)),
    ).rejects.toThrow("layer custom_op: class Lambda is not supported");

    const gray = tinyModel();
    const input = gray.modelJson.modelTopology.model_config.config.layers[0] as { config: object };
    input.config = { batch_input_shape: [null, null, null, 1] };
    await expect(
      readLayersModel(await writeModel("gray", gray)).then((f) => new LayersModelNet(tf, f)),
    ).rejects.toThrow("input in: shape [, , , 1], expected an NHWC batch of RGB images [N, H, W, 3]");

    const short = tinyModel();
    const folder = await writeModel("short", short);
    await writeFile(join(folder, "b.bin"), new Uint8Array(8));
    await expect(readLayersModel(folder)).rejects.toThrow(/weight shards hold 108 bytes, the manifest's float32/);
    await expect(readLayersModel(join(dir, "missing"))).rejects.toMatchObject({ code: "not_found" });
  });
});
