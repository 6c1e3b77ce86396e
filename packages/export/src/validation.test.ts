/**
 * Everything wrong with an export request fails with an MfnasError naming the gene, input side, tensor or node,
 * before any file exists.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { EXPORT_FORMATS, MfnasError, convLayerSpecs, type Genome } from "@mfnas/core";
import { describe, expect, it } from "vitest";
import { buildExportGraph, exportGenerator, exportGraph, exportToDirectory, type ExportGraph } from "./index.ts";
import { randomWeights } from "../../../tests/support/random-weights.ts";
import { tempDir } from "./test-support.ts";
import type { WeightTensor } from "./weights.ts";

const GENOME: Genome = {
  scale: 4,
  trunkWidth: 8,
  blocks: [
    { branchWidth: 8, branches: ["conv3", "dil2", "down2", "down4"] },
    { branchWidth: 8, branches: ["down2"] },
  ],
  upsampler: "pixel-shuffle",
};
const INPUT = { height: 8, width: 8 };

function expectError(fn: () => unknown, code: string, message: string | RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MfnasError);
    expect((error as MfnasError).code).toBe(code);
    expect((error as MfnasError).message).toMatch(message);
    return;
  }
  throw new Error("expected an error");
}

function withWeight(name: string, value: WeightTensor | undefined): Map<string, WeightTensor> {
  const weights = randomWeights(GENOME, 1);
  if (value === undefined) weights.delete(name);
  else weights.set(name, value);
  return weights;
}

describe("genome and input validation", () => {
  it.each([
    [{ ...GENOME, scale: 3 }, /^scale: unknown scale 3/],
    [{ ...GENOME, blocks: [{ branchWidth: 8, branches: ["k9"] }] }, /^blocks\[0\]\.branches: unknown branch "k9"/],
    [{ ...GENOME, blocks: [] }, /^blocks: depth 0/],
    [{ ...GENOME, upsampler: "transposed-conv" }, /^upsampler: unknown upsampler/],
    [{ ...GENOME, extra: 1 }, /extra/],
  ])("rejects a malformed genome, naming the gene (%#)", (genome, message) => {
    expectError(() => buildExportGraph(genome as Genome, randomWeights(GENOME, 1), INPUT), "invalid_input", message);
  });

  it("rejects an input size a pooled branch cannot divide, naming the block", () => {
    expectError(
      () => buildExportGraph(GENOME, randomWeights(GENOME, 1), { height: 6, width: 8 }),
      "invalid_input",
      /^blocks\[0\]\.branches: branch down4/,
    );
    expectError(
      () => buildExportGraph(GENOME, randomWeights(GENOME, 1), { height: 0, width: 8 }),
      "invalid_input",
      /height/,
    );
  });
});

describe("weight validation", () => {
  const fuse = convLayerSpecs(GENOME).find((s) => s.name === "body.0.fuse");

  it("knows the fused conv's input width: branches x branch width", () => {
    expect(fuse).toMatchObject({ kernel: 1, cin: 32, cout: 8 });
  });

  it.each([
    ["a missing bias", "conv_first.bias", undefined, /^conv_first\.bias: missing weight/],
    [
      "a wrong shape",
      "body.0.dil2.weight",
      { shape: [3, 3, 8, 16], data: new Float32Array(1152) },
      /^body\.0\.dil2\.weight: expected shape \[3, 3, 8, 8\], got \[3, 3, 8, 16\]/,
    ],
    [
      "a short data array",
      "conv_hr.bias",
      { shape: [8], data: new Float32Array(7) },
      /^conv_hr\.bias: shape \[8\] needs 8 values, got 7/,
    ],
    [
      "a non-finite value",
      "conv_last.weight",
      { shape: [3, 3, 8, 3], data: new Float32Array(216).fill(Number.NaN) },
      /^conv_last\.weight: value NaN at index 0/,
    ],
    [
      "a plain array",
      "conv_body.bias",
      { shape: [8], data: [0, 0, 0, 0, 0, 0, 0, 0] as unknown as Float32Array },
      /^conv_body\.bias: expected \{shape/,
    ],
    [
      "an extra tensor",
      "body.5.conv3.weight",
      { shape: [1], data: new Float32Array(1) },
      /^body\.5\.conv3\.weight: not a parameter of this genome/,
    ],
    [
      "the skip's constants, which are the architecture's, not the caller's",
      "skip.bicubic.weight",
      { shape: [5, 5, 3, 48], data: new Float32Array(3600) },
      /^skip\.bicubic\.weight: not a parameter of this genome/,
    ],
  ])("rejects %s, naming the tensor", (_, name, value, message) => {
    expectError(() => buildExportGraph(GENOME, withWeight(name, value), INPUT), "invalid_input", message);
  });

  it("accepts weights as a plain object as well as a Map", () => {
    const graph = buildExportGraph(GENOME, Object.fromEntries(randomWeights(GENOME, 1)), INPUT);
    const convs = graph.nodes.filter((n) => n.op === "conv2d");
    // Every trained conv, plus the bicubic skip's constant one.
    expect(convs.filter((n) => n.constant !== true)).toHaveLength(convLayerSpecs(GENOME).length);
    expect(convs.filter((n) => n.constant === true).map((n) => [n.param, n.padding])).toEqual([
      ["skip.bicubic", "valid"],
    ]);
  });

  it("refuses float16 for weights beyond its range instead of writing infinities", () => {
    const weights = withWeight("conv_first.bias", { shape: [8], data: new Float32Array(8).fill(1e5) });
    expect(() => exportGenerator(GENOME, weights, { format: "onnx", input: INPUT })).not.toThrow();
    expectError(
      () => exportGenerator(GENOME, weights, { format: "onnx", precision: "float16", input: INPUT }),
      "unsupported",
      /^conv_first\.bias: value 100000 does not fit float16/,
    );
  });
});

describe("unsupported ops and attributes", () => {
  const graph = buildExportGraph(GENOME, randomWeights(GENOME, 1), INPUT);
  const edit = (index: number, change: Record<string, unknown>): ExportGraph => ({
    ...graph,
    nodes: graph.nodes.map((n, i) => (i === index ? { ...n, ...change } : n)),
  });
  const firstOf = (op: string) => graph.nodes.findIndex((n) => n.op === op);

  it.each([
    ["an unknown op", () => edit(firstOf("leakyRelu"), { op: "gelu" }), /: op "gelu" is not exportable/],
    [
      "a dilation of 3",
      () => edit(firstOf("conv2d"), { dilation: 3 }),
      /^conv_first: dilation 3 is not exportable \(supported: 1, 2\)/,
    ],
    ["a 3x3 pool", () => edit(firstOf("avgPool"), { size: 3 }), /pool size 3 is not exportable/],
    ["a x3 resize", () => edit(firstOf("resizeNearest"), { factor: 3 }), /resize factor 3 is not exportable/],
    [
      "a block-3 depth-to-space",
      () => edit(firstOf("depthToSpace"), { blockSize: 3 }),
      /block size 3 is not exportable/,
    ],
    ["a symmetric pad of 3", () => edit(firstOf("symmetricPad"), { pad: 3 }), /symmetric pad 3 is not exportable/],
    [
      "a dilated 'valid' conv",
      () =>
        edit(
          graph.nodes.findIndex((n) => n.op === "conv2d" && n.padding === "valid"),
          { dilation: 2 },
        ),
      /^skip\.bicubic: a 'valid' conv must not be dilated/,
    ],
  ])("rejects %s in every format", (_, make, message) => {
    const bad = make();
    for (const format of EXPORT_FORMATS) expectError(() => exportGraph(bad, { format }), "unsupported", message);
  });

  it("rejects a graph whose wiring or shapes are inconsistent", () => {
    expectError(
      () => exportGraph(edit(1, { inputs: ["nowhere"] }), { format: "onnx" }),
      "invalid_input",
      /input 0 \(nowhere\) is not produced/,
    );
    expectError(
      () => exportGraph(edit(0, { shape: [1, 8, 8, 9] }), { format: "tflite" }),
      "invalid_input",
      /^conv_first: recorded shape/,
    );
  });

  it("rejects an unknown format or precision", () => {
    expectError(() => exportGraph(graph, { format: "coreml" as "onnx" }), "unsupported", /^format:/);
    expectError(
      () => exportGraph(graph, { format: "onnx", precision: "int8" as "float16" }),
      "unsupported",
      /^precision:/,
    );
  });
});

describe("no bytes on failure", () => {
  it("writes nothing when the genome, a weight or an op is bad", async () => {
    const root = await tempDir();
    const bad: [Genome, Map<string, WeightTensor>][] = [
      [{ ...GENOME, trunkWidth: 0 }, randomWeights(GENOME, 1)],
      [GENOME, withWeight("conv_hr.weight", undefined)],
    ];
    for (const [i, [genome, weights]] of bad.entries()) {
      const dir = path.join(root, String(i));
      for (const format of EXPORT_FORMATS) {
        await expect(exportToDirectory(genome, weights, { format, input: INPUT }, dir)).rejects.toBeInstanceOf(
          MfnasError,
        );
      }
      expect(existsSync(dir)).toBe(false);
    }
    const dir = path.join(root, "ok");
    await exportToDirectory(GENOME, randomWeights(GENOME, 1), { format: "tfjs", input: INPUT }, dir);
    expect((await readdir(dir)).sort()).toEqual(["metadata.json", "model.json", "weights.bin"]);
  });
});
