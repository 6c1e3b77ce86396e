import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { MfnasError } from "@mfnas/core";
import { beforeAll, describe, expect, it } from "vitest";
import { ParamStore } from "./params.ts";
import { RrdbNet } from "./rrdbnet.ts";
import { loadWeights, saveWeights } from "./safetensors-weights.ts";
import { readSafetensors, toFloat32, writeSafetensors, type SafetensorsInput } from "./safetensors.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A value that encodes its PyTorch OIHW index, so a transposition mistake shows up as a wrong digit. */
const code = (o: number, i: number, h: number, w: number) => o * 1000 + i * 100 + h * 10 + w;

function oneConv(): ParamStore {
  const params = new ParamStore(tf, { seed: 1 });
  params.conv("conv", 3, 2, 4, { kind: "kaiming-normal", scale: 1 }); // HWIO [3, 3, 2, 4]
  return params;
}

/** The PyTorch checkpoint of `oneConv`: weight OIHW [4, 2, 3, 3] holding `code`, bias [4]. */
function pytorchConv(extra: SafetensorsInput[] = []): Uint8Array {
  const weight = new Float32Array(4 * 2 * 3 * 3);
  let k = 0;
  for (let o = 0; o < 4; o++)
    for (let i = 0; i < 2; i++) for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) weight[k++] = code(o, i, h, w);
  return writeSafetensors([
    { name: "conv.weight", shape: [4, 2, 3, 3], data: weight },
    { name: "conv.bias", shape: [4], data: new Float32Array([1, 2, 3, 4]) },
    ...extra,
  ]);
}

function failure(run: () => unknown): MfnasError {
  try {
    run();
  } catch (error) {
    if (error instanceof MfnasError) return error;
    throw error;
  }
  throw new Error("expected an MfnasError");
}

describe("loadWeights / saveWeights", () => {
  it("transposes PyTorch OIHW conv weights to HWIO on load and back on save", async () => {
    const params = oneConv();
    loadWeights(tf, params, pytorchConv());
    const hwio = params.get("conv.weight").bufferSync();
    for (let h = 0; h < 3; h++)
      for (let w = 0; w < 3; w++)
        for (let i = 0; i < 2; i++) for (let o = 0; o < 4; o++) expect(hwio.get(h, w, i, o)).toBe(code(o, i, h, w));
    expect(Array.from(params.get("conv.bias").dataSync())).toEqual([1, 2, 3, 4]);

    const saved = readSafetensors(await saveWeights(params));
    const original = readSafetensors(pytorchConv());
    for (const name of ["conv.weight", "conv.bias"]) {
      expect(saved.tensors.get(name)?.shape).toEqual(original.tensors.get(name)?.shape);
      const [a, b] = [saved, original].map((f) => Array.from(toFloat32(f.tensors.get(name) ?? fail())));
      expect(a).toEqual(b);
    }
    params.dispose();
  });

  it("round-trips a tiny RRDBNet: another seed's net loads the file and computes the same output", async () => {
    // initScale 1: with 0.1 on every conv the untrained output is ~1e-5, too small to tell two nets apart.
    const config = { blocks: 2, channels: 8, growth: 4, scale: 4 as const, initScale: 1 };
    const source = new RrdbNet(tf, { ...config, seed: 1 });
    const target = new RrdbNet(tf, { ...config, seed: 2 });
    const lr = tf.randomUniform<tf.Rank.R4>([1, 6, 6, 3], 0, 1, "float32", 3);
    const expected = source.forward(tf, lr);
    const before = target.forward(tf, lr);
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(maxDiff(before, expected)).toBeGreaterThan(0.1);

    const file = await saveWeights(source.params, { metadata: { arch: "RRDBNet" } });
    const header = readSafetensors(file);
    expect(header.metadata).toEqual({ arch: "RRDBNet" });
    expect(header.tensors.get("body.1.rdb3.conv5.weight")?.shape).toEqual([8, 8 + 4 * 4, 3, 3]); // OIHW
    loadWeights(tf, target.params, file);
    expect(maxDiff(target.forward(tf, lr), expected)).toBe(0);
    source.dispose();
    target.dispose();
  });

  it("keeps HWIO as it is with layout 'tfjs'", async () => {
    const a = oneConv();
    const file = await saveWeights(a, { layout: "tfjs" });
    expect(readSafetensors(file).tensors.get("conv.weight")?.shape).toEqual([3, 3, 2, 4]);
    const b = new ParamStore(tf, { seed: 9 });
    b.conv("conv", 3, 2, 4, { kind: "kaiming-normal", scale: 1 });
    loadWeights(tf, b, file, { layout: "tfjs" });
    expect(Array.from(b.get("conv.weight").dataSync())).toEqual(Array.from(a.get("conv.weight").dataSync()));
    expect(() => loadWeights(tf, b, file)).toThrow(
      /expected shape \[4, 2, 3, 3\] \(PyTorch OIHW\), got \[3, 3, 2, 4\]/,
    );
    a.dispose();
    b.dispose();
  });

  it("loads half-precision checkpoints as float32", () => {
    const params = new ParamStore(tf);
    params.create("scale", [2], { kind: "zeros" });
    const halves = new Uint8Array([0x00, 0x3c, 0x00, 0xc1]); // 1, -2.5 as little-endian F16
    const header = new TextEncoder().encode(
      JSON.stringify({ scale: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }),
    );
    const file = new Uint8Array(8 + header.length + 4);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    file.set(halves, 8 + header.length);
    loadWeights(tf, params, file);
    expect(Array.from(params.get("scale").dataSync())).toEqual([1, -2.5]);
    params.dispose();
  });

  it("names missing, unexpected, mis-shaped and non-float tensors, and changes nothing when it fails", () => {
    const params = oneConv();
    const before = Array.from(params.get("conv.weight").dataSync());
    const extra = { name: "conv_hr.weight", shape: [1], data: new Float32Array(1) };
    const cases: [Uint8Array, string, RegExp][] = [
      [
        writeSafetensors([{ name: "conv.bias", shape: [4], data: new Float32Array(4) }]),
        "invalid_input",
        /missing tensor conv\.weight$/,
      ],
      [pytorchConv([extra]), "invalid_input", /unexpected tensor conv_hr\.weight \(not parameters of this network\)/],
      [
        writeSafetensors([
          { name: "conv.weight", shape: [4, 2, 5, 5], data: new Float32Array(200) },
          { name: "conv.bias", shape: [4], data: new Float32Array(4) },
        ]),
        "invalid_input",
        /tensor "conv\.weight": expected shape \[4, 2, 3, 3\] \(PyTorch OIHW\), got \[4, 2, 5, 5\]/,
      ],
    ];
    for (const [file, codeName, message] of cases) {
      const error = failure(() => loadWeights(tf, params, file));
      expect(error.code).toBe(codeName);
      expect(error.message).toMatch(message);
    }
    // The weight is valid and would load first; the integer bias fails after it, yet nothing is assigned.
    const ints = new TextEncoder().encode(
      JSON.stringify({
        "conv.weight": { dtype: "F32", shape: [4, 2, 3, 3], data_offsets: [0, 288] },
        "conv.bias": { dtype: "I32", shape: [4], data_offsets: [288, 304] },
      }),
    );
    const file = new Uint8Array(8 + ints.length + 304);
    new DataView(file.buffer).setBigUint64(0, BigInt(ints.length), true);
    file.set(ints, 8);
    const error = failure(() => loadWeights(tf, params, file));
    expect(error.code).toBe("unsupported");
    expect(error.message).toMatch(/tensor "conv\.bias": unsupported dtype I32/);
    expect(Array.from(params.get("conv.weight").dataSync())).toEqual(before);

    loadWeights(tf, params, pytorchConv([extra]), { allowExtra: true });
    expect(params.get("conv.weight").bufferSync().get(2, 1, 1, 3)).toBe(code(3, 1, 2, 1));
    params.dispose();
  });
});

function fail(): never {
  throw new Error("missing tensor");
}
