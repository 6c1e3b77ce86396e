/**
 * Export benchmark (prints figures; not a test). For the largest, the smallest and a few random x4 genomes of the
 * default search space at LR 64x64:
 * - export time (median of 3) and file size per format and precision;
 * - inference latency on this CPU of the exported fp32 ONNX model under ONNX Runtime with 1 and 2 intra-op
 *   threads, against the same SubGenerator run by tfjs on the wasm backend (the in-process path the searcher can
 *   use without ONNX), with the largest output difference between the two as a sanity check.
 *
 * `cores busy` is process CPU time over wall time while timing, i.e. how many cores a runtime really used.
 *
 * Run: npx tsx bench/export.ts [randomGenomes=3]
 */
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  DEFAULT_SEARCH_SPACE,
  createRng,
  encodeGenome,
  genomeCost,
  largestGenome,
  narrowSpace,
  sampleGenome,
  smallestGenome,
  type Genome,
} from "@mfnas/core";
import { EXPORT_FORMATS } from "@mfnas/core";
import { exportGenerator, type ExportPrecision, type WeightTensor } from "@mfnas/export";
import { SubGenerator } from "@mfnas/model";
import * as tf from "@tensorflow/tfjs-core";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as ort from "onnxruntime-node";

const SIDE = 64;
const RANDOM_GENOMES = Number(process.argv[2] ?? 3);
/** Timed runs stop after this long (at least MIN_RUNS, at most MAX_RUNS), after WARMUP untimed runs. */
const BUDGET_MS = 3000;
const MIN_RUNS = 3;
const MAX_RUNS = 20;
const WARMUP = 2;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Timing {
  median: number;
  min: number;
  runs: number;
  /** Process CPU time over wall time while timing: how many cores the runtime actually kept busy. */
  cores: number;
}

async function timeRuns(run: () => Promise<void> | void): Promise<Timing> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (times.length < MAX_RUNS && (times.length < MIN_RUNS || performance.now() - start < BUDGET_MS)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  const used = process.cpuUsage(cpu);
  const cores = (used.user + used.system) / 1000 / (performance.now() - start);
  return { median: median(times), min: Math.min(...times), runs: times.length, cores };
}

const timing = (t: Timing) => `${ms(t.median)} / ${ms(t.min)} (${t.runs} runs, ${t.cores.toFixed(2)} cores busy)`;

const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function genomes(): [string, Genome][] {
  const space = narrowSpace(DEFAULT_SEARCH_SPACE, { scales: [4] });
  const rng = createRng(2024);
  return [
    ["largest", largestGenome(space, 4)],
    ["smallest", smallestGenome(space, 4)],
    ...Array.from({ length: RANDOM_GENOMES }, (_, i): [string, Genome] => [
      `random ${i + 1}`,
      sampleGenome(space, rng),
    ]),
  ];
}

async function benchGenome(label: string, genome: Genome): Promise<void> {
  const cost = genomeCost(genome, SIDE, SIDE);
  console.log(`\n## ${label}: ${encodeGenome(genome)}`);
  console.log(`params ${cost.params.toLocaleString("en")}, ${(cost.macs / 1e9).toFixed(2)} GMAC at ${SIDE}x${SIDE}`);

  // initScale 1 (plain kaiming) keeps activations O(1) as in a trained net; the default 0.1 shrinks them layer by
  // layer into float32 denormals, which would time denormal arithmetic rather than the network.
  const sub = SubGenerator.create(tf, genome, { seed: 1, initScale: 1 });
  const weights = new Map<string, WeightTensor>(
    sub.params.entries().map(([name, v]) => [name, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) }]),
  );
  const input = { height: SIDE, width: SIDE };

  console.log("export:");
  let onnxFp32: Uint8Array | undefined;
  for (const format of EXPORT_FORMATS) {
    for (const precision of ["float32", "float16"] as ExportPrecision[]) {
      const times: number[] = [];
      let size = 0;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const artifact = exportGenerator(genome, weights, { format, precision, input });
        times.push(performance.now() - t0);
        size = artifact.files.reduce((n, f) => n + f.bytes.length, 0);
        if (format === "onnx" && precision === "float32") onnxFp32 = artifact.bytes;
      }
      console.log(`  ${format.padEnd(6)} ${precision}: ${ms(median(times)).padStart(9)}  ${kib(size).padStart(11)}`);
    }
  }

  const lr = Float32Array.from({ length: SIDE * SIDE * 3 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const x = tf.tensor4d(lr, [1, SIDE, SIDE, 3]);
  let tfjsOut: Float32Array = new Float32Array(0);
  const wasm = await timeRuns(async () => {
    const y = sub.forward(tf, x);
    tfjsOut = (await y.data()) as Float32Array;
    y.dispose();
  });
  const nchw = new Float32Array(lr.length);
  for (let p = 0; p < SIDE * SIDE; p++) for (let c = 0; c < 3; c++) nchw[c * SIDE * SIDE + p] = lr[p * 3 + c] as number;
  console.log("latency (median / min of timed runs):");
  console.log(`  tfjs wasm (${getThreadsCount()} thread(s)): ${timing(wasm)}`);
  for (const threads of [1, 2]) {
    const session = await ort.InferenceSession.create(onnxFp32 as Uint8Array, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    const feeds = { lr: new ort.Tensor("float32", nchw, [1, 3, SIDE, SIDE]) };
    let out: Float32Array = new Float32Array(0);
    const t = await timeRuns(async () => {
      out = (await session.run(feeds)).sr?.data as Float32Array;
    });
    // Output is NCHW: compare with tfjs's NHWC output, pixel by pixel.
    const hw = out.length / 3;
    let diff = 0;
    const peak = tfjsOut.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let p = 0; p < hw; p++)
      for (let c = 0; c < 3; c++)
        diff = Math.max(diff, Math.abs((out[c * hw + p] as number) - (tfjsOut[p * 3 + c] as number)));
    console.log(
      `  onnxruntime ${threads} thread(s): ${timing(t)}, max |diff| vs tfjs ${diff.toExponential(1)} (max |out| ${peak.toFixed(2)})`,
    );
    await session.release();
  }
  x.dispose();
  sub.dispose();
}

const require = createRequire(import.meta.url);
setWasmPaths(path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep);
if (!(await tf.setBackend("wasm"))) throw new Error("the tfjs wasm backend did not initialise");
console.log(
  `# export bench: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, LR ${SIDE}x${SIDE}, x4`,
);
console.log(`onnxruntime-node ${ort.env.versions.common}, tfjs-core ${tf.version_core}`);
for (const [label, genome] of genomes()) await benchGenome(label, genome);
