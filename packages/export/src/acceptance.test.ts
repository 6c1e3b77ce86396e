/**
 * Acceptance: exported models compute what the tfjs SubGenerator computes, on real runtimes, for seeded random
 * genomes of a small space. fp32 exports must match the tfjs output within 1e-4. fp16 exports must match tfjs run
 * with the same fp16-rounded weights within 1e-4 (compute stays fp32, and the bicubic skip's constants stay fp32),
 * and the fp32 reference within FP16_TOLERANCE relative to the output's largest magnitude.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { DEFAULT_SEARCH_SPACE, createRng, encodeGenome, narrowSpace, sampleGenome, type Genome } from "@mfnas/core";
import { ParamStore, SubGenerator, upsampleBicubic } from "@mfnas/model";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExportGraph, exportGenerator, exportGraph, type ExportGraph, type ExportPrecision } from "./index.ts";
import { roundToFloat16 } from "./float16.ts";
import {
  checkOnnxFiles,
  liteRtPackageDir,
  maxAbs,
  maxAbsDiff,
  nchwToNhwc,
  nhwcToNchw,
  pythonHas,
  runArmnn,
  runLiteRt,
  runOnnx,
  type TfliteResult,
} from "./test-support.ts";
import type { WeightTensor } from "./weights.ts";

const FP32_TOLERANCE = 1e-4;
const FP16_TOLERANCE = 1e-2;
const H = 8;
const W = 8;
const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, {
  trunkWidths: [8, 16],
  branchWidths: [8, 16],
  depth: { min: 1, max: 3 },
});
const GENOMES: Genome[] = (() => {
  const rng = createRng(20_240_611);
  return Array.from({ length: 10 }, () => sampleGenome(SPACE, rng));
})();

const HAS_ARMNN = await pythonHas("pyarmnn");
const HAS_ONNX_PY = await pythonHas("onnx");
const LITERT = liteRtPackageDir(process.env.MFNAS_LITERT_CORE);

interface GraphModelLike {
  execute(x: tf.Tensor): tf.Tensor | tf.Tensor[];
  dispose(): void;
}
type Converter = { loadGraphModel(handler: tf.io.IOHandler): Promise<GraphModelLike> };
// A variable specifier: the converter is optional, and TypeScript must not try to resolve it.
const CONVERTER_PACKAGE: string = "@tensorflow/tfjs-converter";
async function loadConverter(): Promise<Converter | undefined> {
  const dir = process.env.MFNAS_TFJS_CONVERTER;
  try {
    if (dir) return createRequire(path.join(dir, "package.json"))(dir) as Converter;
    return (await import(CONVERTER_PACKAGE)) as Converter;
  } catch {
    return undefined;
  }
}
const CONVERTER = await loadConverter();

// CI installs every runtime (.ci/run sets MFNAS_REQUIRE_RUNTIMES=1): there a missing one is a failure, not a skip.
describe.runIf(process.env.MFNAS_REQUIRE_RUNTIMES === "1")("verification runtimes", () => {
  it("are all present", () => {
    expect({
      armnn: HAS_ARMNN,
      onnxChecker: HAS_ONNX_PY,
      liteRt: LITERT !== undefined,
      tfjsConverter: CONVERTER !== undefined,
    }).toEqual({ armnn: true, onnxChecker: true, liteRt: true, tfjsConverter: true });
  });
});

interface Case {
  genome: Genome;
  weights: Map<string, WeightTensor>;
  weights16: Map<string, WeightTensor>;
  input: Float32Array;
  reference: Float32Array;
  reference16: Float32Array;
}

function forward(genome: Genome, weights: ReadonlyMap<string, WeightTensor>, input: Float32Array): Float32Array {
  const params = new ParamStore(tf);
  for (const [name, t] of weights) {
    const value = tf.tensor(t.data, [...t.shape], "float32");
    params.adopt(name, value);
    value.dispose();
  }
  const sub = new SubGenerator(genome, params);
  const x = tf.tensor4d(input, [1, H, W, 3]);
  const y = sub.forward(tf, x);
  const out = Float32Array.from(y.dataSync());
  tf.dispose([x, y]);
  sub.dispose();
  return out;
}

function makeCase(genome: Genome, seed: number): Case {
  // initScale 1 (plain kaiming) keeps activations O(1), so an absolute 1e-4 means something, and a random conv_last
  // (not the default zeros) makes the output depend on every op, not only on the skip; the random biases (the
  // init's are zero) exercise bias handling, including the pixel-shuffle channel reorder of biases.
  const sub = SubGenerator.create(tf, genome, { seed, initScale: 1, outputInitScale: 1 });
  const rng = createRng(seed + 1);
  const weights = new Map<string, WeightTensor>(
    sub.params.entries().map(([name, v]) => {
      const data = name.endsWith(".bias")
        ? Float32Array.from({ length: v.size }, () => rng.nextFloat() * 0.2 - 0.1)
        : Float32Array.from(v.dataSync());
      return [name, { shape: [...v.shape], data }];
    }),
  );
  sub.dispose();
  const input = Float32Array.from({ length: H * W * 3 }, () => rng.nextFloat());
  const weights16 = new Map([...weights].map(([name, t]) => [name, { shape: t.shape, data: roundToFloat16(t.data) }]));
  return {
    genome,
    weights,
    weights16,
    input,
    reference: forward(genome, weights, input),
    reference16: forward(genome, weights16, input),
  };
}

/** Largest differences seen per runtime and precision, printed once at the end for the record. */
const seen = new Map<string, number>();
function record(key: string, diff: number): void {
  seen.set(key, Math.max(seen.get(key) ?? 0, diff));
}

function expectClose(c: Case, precision: ExportPrecision, output: Float32Array, runtime: string): void {
  const exact = precision === "float32" ? c.reference : c.reference16;
  const diff = maxAbsDiff(output, exact);
  record(`${runtime} ${precision} vs tfjs${precision === "float16" ? " (fp16 weights)" : ""}`, diff);
  expect(diff, `${runtime} ${precision} ${JSON.stringify(c.genome)}`).toBeLessThan(FP32_TOLERANCE);
  if (precision === "float16") {
    const relative = maxAbsDiff(output, c.reference) / Math.max(1, maxAbs(c.reference));
    record(`${runtime} float16 vs tfjs fp32 (relative)`, relative);
    expect(relative).toBeLessThan(FP16_TOLERANCE);
  }
}

const PRECISIONS: ExportPrecision[] = ["float32", "float16"];
let cases: Case[] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
  cases = GENOMES.map((g, i) => makeCase(g, 100 + i));
});

afterAll(() => {
  const lines = [...seen].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`);
  const largest = Math.max(...cases.map((c) => maxAbs(c.reference)));
  const names = GENOMES.map((g) => `  ${encodeGenome(g)}`).join("\n");
  console.log(`genomes:\n${names}\nlargest |tfjs output| ${largest.toFixed(2)}; max differences:\n${lines.join("\n")}`);
});

describe("the genome sample", () => {
  it("covers every op: both scales and upsamplers, every branch kind, multi-branch concats", () => {
    const kinds = new Set(GENOMES.flatMap((g) => g.blocks.flatMap((b) => b.branches)));
    expect([...kinds].sort()).toEqual(["conv3", "dil2", "down2", "down4"]);
    expect(new Set(GENOMES.map((g) => g.upsampler)).size).toBe(2);
    expect(new Set(GENOMES.map((g) => g.scale)).size).toBe(2);
    expect(GENOMES.some((g) => g.blocks.some((b) => b.branches.length > 1))).toBe(true);
  });
});

describe("ONNX on ONNX Runtime", () => {
  it.each(PRECISIONS)("%s matches tfjs for every genome", async (precision) => {
    for (const c of cases) {
      const artifact = exportGenerator(c.genome, c.weights, {
        format: "onnx",
        precision,
        input: { height: H, width: W },
      });
      const out = await runOnnx(artifact.bytes, nhwcToNchw(c.input, H, W, 3), [1, 3, H, W]);
      const s = c.genome.scale;
      expectClose(c, precision, nchwToNhwc(out, H * s, W * s, 3), "onnxruntime");
    }
  });

  it.skipIf(!HAS_ONNX_PY)("passes onnx.checker.check_model (full check) at opset 17", async () => {
    const files = cases.flatMap((c) =>
      PRECISIONS.map(
        (precision) =>
          exportGenerator(c.genome, c.weights, { format: "onnx", precision, input: { height: H, width: W } }).bytes,
      ),
    );
    const results = await checkOnnxFiles(files);
    expect(results).toHaveLength(files.length);
    for (const r of results) expect(r, r.error).toMatchObject({ ok: true, opset: 17 });
  });
});

function tfliteJobs(selected: Case[], precision: ExportPrecision) {
  return selected.map((c) => ({
    model: exportGenerator(c.genome, c.weights, { format: "tflite", precision, input: { height: H, width: W } }).bytes,
    input: c.input,
    shape: [1, H, W, 3],
  }));
}

function expectRuns(selected: Case[], precision: ExportPrecision, results: TfliteResult[], runtime: string): void {
  expect(results).toHaveLength(selected.length);
  results.forEach((r, i) => {
    if (!r.ok) throw new Error(`${runtime} refused ${JSON.stringify(selected[i]?.genome)}: ${r.error}`);
    expectClose(selected[i] as Case, precision, r.output, runtime);
  });
}

/** `graph` cut after the node that writes `output` (every node before it kept), or only the nodes `keep` names. */
function cutGraph(graph: ExportGraph, output: string, keep?: readonly string[]): ExportGraph {
  const end = graph.nodes.findIndex((n) => n.output === output);
  const nodes = graph.nodes.slice(0, end + 1).filter((n) => keep === undefined || keep.includes(n.output));
  return { ...graph, nodes, output };
}

/**
 * The bicubic skip's phases of the case's input from tfjs, in the export graph's pixel-shuffle order (a graph cut
 * before the depth-to-space keeps it: no writer reorders a conv that feeds none): channel c*s*s + i*s + j holds
 * sub-pixel (i, j) of channel c.
 */
function skipPhases(c: Case): Float32Array {
  const s = c.genome.scale;
  return tf.tidy(() => {
    const up = upsampleBicubic(tf, tf.tensor4d(c.input, [1, H, W, 3]), s);
    return Float32Array.from(tf.transpose(tf.reshape(up, [H, s, W, s, 3]), [0, 2, 4, 1, 3]).dataSync());
  });
}

// Arm NN 20.08's TfLite parser has no DEPTH_TO_SPACE, so no generator runs on it whole: every generator ends with
// the bicubic skip's depth-to-space, pixel-shuffle ones have more. It also needs conv weights to be constant
// tensors (not the outputs of DEQUANTIZE). So it checks, in fp32, each nearest-conv generator's residual (the model
// cut after conv_last: every op but the skip) and the skip up to its depth-to-space (the symmetric pad's slices and
// concats and the constant 'valid' phase conv), and pins that it refuses the whole model for DEPTH_TO_SPACE: an Arm
// NN that has it fails here, and the check can then run the whole models.
describe.skipIf(!HAS_ARMNN)("TFLite on Arm NN (TfLite parser, CpuRef)", () => {
  it("float32 nearest-conv residuals and bicubic skips match tfjs; whole models are refused for DEPTH_TO_SPACE", async () => {
    const selected = cases.filter((c) => c.genome.upsampler === "nearest-conv");
    expect(selected.length).toBeGreaterThan(0);
    const input = { height: H, width: W };
    const jobs = selected.flatMap((c) => {
      const graph = buildExportGraph(c.genome, c.weights, input);
      const job = (g: ExportGraph) => ({
        model: exportGraph(g, { format: "tflite" }).bytes,
        input: c.input,
        shape: [1, H, W, 3],
      });
      return [
        job(cutGraph(graph, "conv_last")),
        job(cutGraph(graph, "skip.bicubic", ["skip.pad", "skip.bicubic"])),
        job(graph),
      ];
    });
    const results = await runArmnn(jobs);
    expect(results).toHaveLength(3 * selected.length);
    selected.forEach((c, i) => {
      const [residual, phases, whole] = results.slice(3 * i, 3 * i + 3) as [TfliteResult, TfliteResult, TfliteResult];
      for (const r of [residual, phases]) {
        if (!r.ok) throw new Error(`armnn refused part of ${JSON.stringify(c.genome)}: ${r.error}`);
      }
      const expectedResidual = tf.tidy(() => {
        const x = tf.tensor4d(c.input, [1, H, W, 3]);
        const sr = tf.tensor4d(c.reference, [1, H * c.genome.scale, W * c.genome.scale, 3]);
        return Float32Array.from(tf.sub(sr, upsampleBicubic(tf, x, c.genome.scale)).dataSync());
      });
      const residualDiff = maxAbsDiff((residual as { output: Float32Array }).output, expectedResidual);
      const phaseDiff = maxAbsDiff((phases as { output: Float32Array }).output, skipPhases(c));
      record("armnn float32 vs tfjs (residual, cut after conv_last)", residualDiff);
      record("armnn float32 vs tfjs (bicubic skip before depth-to-space)", phaseDiff);
      expect(residualDiff, `armnn residual ${JSON.stringify(c.genome)}`).toBeLessThan(FP32_TOLERANCE);
      expect(phaseDiff, `armnn skip ${JSON.stringify(c.genome)}`).toBeLessThan(FP32_TOLERANCE);
      expect(whole.ok ? "" : whole.error).toMatch(/Operator not supported.*DEPTH_TO_SPACE/);
    });
  });
});

describe.skipIf(LITERT === undefined)("TFLite on LiteRT.js", () => {
  it.each(PRECISIONS)("%s matches tfjs for every genome", async (precision) => {
    expectRuns(cases, precision, await runLiteRt(LITERT as string, tfliteJobs(cases, precision)), "litert");
  });
});

describe.skipIf(CONVERTER === undefined)("TF.js GraphModel via tfjs-converter loadGraphModel", () => {
  it.each(PRECISIONS)("%s matches tfjs for every genome", async (precision) => {
    for (const c of cases) {
      const artifact = exportGenerator(c.genome, c.weights, {
        format: "tfjs",
        precision,
        input: { height: H, width: W },
      });
      const json = JSON.parse(new TextDecoder().decode(artifact.bytes)) as {
        modelTopology: object;
        weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
        format: string;
      };
      const weightData = (artifact.files[1]?.bytes as Uint8Array).slice().buffer;
      const handler = tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData,
        format: json.format,
      });
      const model = await (CONVERTER as Converter).loadGraphModel(handler);
      const x = tf.tensor4d(c.input, [1, H, W, 3]);
      const y = model.execute(x) as tf.Tensor;
      expectClose(c, precision, Float32Array.from(y.dataSync()), "tfjs-graph-model");
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});
