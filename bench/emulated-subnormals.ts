/**
 * Emulated-phone timing with and without flush-to-zero (prints figures; not a test). For MODELS random
 * SubGenerators (latency probes, LR LR_SIDE) and the default space's tail kernels (conv C->C + LReLU + conv C->3 at
 * HR, the kernels most often hit), the emulated phone's resident runner (tools/benchmark-model-litert.mjs
 * --mfnas_serve, the process the emulated phone runs) measures each model RUNS times, each run a benchmark_model
 * invocation with its own heap layout, once with IEEE subnormals (MFNAS_EMULATED_SUBNORMALS=keep) and once with
 * subnormals flushed to zero (the default). Printed per mode: how far a model's fastest run time moves between
 * invocations (layout sensitivity), how often two measurements of RUNS/2 invocations each agree within ±5% / ±10%
 * on the fastest run, and the mean fastest time over all models.
 *
 * Run: npx tsx bench/emulated-subnormals.ts [MODELS=24] [RUNS=8] [LR_SIDE=32]
 */
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_SEARCH_SPACE, createRng, sampleGenome } from "@mfnas/core";
import { parseBenchmarkOutput } from "@mfnas/devices";
import { exportGenerator, exportGraph } from "@mfnas/export";
import { spaceKernels } from "@mfnas/latency";
import { kernelGraph } from "../services/searcher/src/adapters/kernel-graph.ts";
import { probeWeights } from "../services/searcher/src/adapters/probe-weights.ts";

const [models = 24, runs = 8, side = 32] = process.argv.slice(2).map(Number);
const TOOL = path.resolve("packages/devices/tools/benchmark-model-litert.mjs");
const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-subnormals-"));
const input = { height: side, width: side };
const rng = createRng(31);
const files: { name: string; file: string }[] = [];
for (let i = 0; i < models; i++) {
  const genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
  const file = path.join(dir, `m${i}.tflite`);
  await writeFile(
    file,
    exportGenerator(genome, probeWeights(genome), { format: "tflite", precision: "float32", input }).bytes,
  );
  files.push({ name: `m${i}`, file });
}
for (const kernel of spaceKernels(DEFAULT_SEARCH_SPACE, side, side).filter((k) => k.kind === "tail")) {
  const name = `tail.c${"c" in kernel ? kernel.c : 0}.${kernel.h}x${kernel.w}`;
  const file = path.join(dir, `${name}.tflite`);
  await writeFile(file, exportGraph(kernelGraph(kernel), { format: "tflite", precision: "float32" }).bytes);
  files.push({ name, file });
}

/** A resident runner, as the emulated phone starts it; `run` is one benchmark_model invocation. */
async function startRunner(subnormals: "keep" | "flush") {
  const child = spawn(process.execPath, [TOOL, "--mfnas_serve"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, MFNAS_EMULATED_SUBNORMALS: subnormals },
  });
  const pending = new Map<number, { out: string; resolve: (text: string) => void }>();
  await new Promise<void>((resolve) => child.once("message", () => resolve()));
  child.on("message", (m: { id: number; chunk?: string; code?: number }) => {
    const p = pending.get(m.id);
    if (!p) return;
    if (m.chunk !== undefined) p.out += m.chunk;
    if (m.code !== undefined) {
      pending.delete(m.id);
      p.resolve(p.out);
    }
  });
  let next = 0;
  return {
    run(file: string): Promise<number> {
      const id = next++;
      const args = [`--mfnas_graph_file=${file}`, `--graph=${file}`, "--num_runs=10", "--warmup_runs=2"];
      return new Promise<string>((resolve) => {
        pending.set(id, { out: "", resolve });
        child.send({ id, args: [...args, "--min_secs=0", "--warmup_min_secs=0"] });
      }).then((out) => parseBenchmarkOutput(out).inference.minUs / 1000);
    },
    stop: () => child.kill(),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
console.log(
  `${models} SubGenerators and ${files.length - models} tail kernels, LR ${side}x${side}, ${runs} invocations each`,
);
console.log(
  "| subnormals | layout spread (median / worst) | runs >10% above the model's best | two measurements within ±5% | within ±10% | mean fastest |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
const best = new Map<string, number[]>();
for (const mode of ["keep", "flush"] as const) {
  const runner = await startRunner(mode);
  const times: number[][] = files.map(() => []);
  // Round-robin, so every model's invocations are spread over the whole run and meet other models' leftovers.
  for (let r = 0; r < runs; r++)
    for (let i = 0; i < files.length; i++) times[i]!.push(await runner.run(files[i]!.file));
  runner.stop();
  const spreads = times.map((t) => Math.max(...t) / Math.min(...t) - 1).sort((a, b) => a - b);
  const slowRuns = times.flatMap((t) => t.filter((x) => x > 1.1 * Math.min(...t))).length;
  const half = Math.floor(runs / 2);
  const diffs = times.map((t) => {
    const a = Math.min(...t.slice(0, half));
    const b = Math.min(...t.slice(half));
    return Math.abs(a - b) / Math.min(a, b);
  });
  const within = (limit: number) => diffs.filter((d) => d <= limit).length / diffs.length;
  const meanBest = times.reduce((s, t) => s + Math.min(...t), 0) / times.length;
  best.set(
    mode,
    times.map((t) => Math.min(...t)),
  );
  console.log(
    `| ${mode} | ${pct(spreads[Math.floor(spreads.length / 2)]!)} / ${pct(spreads.at(-1)!)} | ${pct(slowRuns / (runs * files.length))} | ${pct(within(0.05))} | ${pct(within(0.1))} | ${meanBest.toFixed(2)} ms |`,
  );
}
const ratios = (best.get("keep") ?? []).map((k, i) => k / (best.get("flush")?.[i] ?? k));
const slower = ratios.filter((r) => r > 1.1).length;
const slowerSubGenerators = ratios.slice(0, models).filter((r) => r > 1.1).length;
console.log(
  `\nfastest run with subnormals kept vs flushed: more than 10% slower for ${slower} of ${files.length} models (${slowerSubGenerators} of the ${models} SubGenerators), worst ${Math.max(...ratios).toFixed(2)}x`,
);
process.exit(0);
