/**
 * Emulated-phone timing with and without flush-to-zero (prints figures; not a test). For MODELS random
 * SubGenerators (latency probes, LR LR_SIDE) and the default space's tail kernels (conv C->C + LReLU + conv C->3 at
 * HR, the kernels most often hit), an emulated phone on a private adb server runs benchmark_model on each model
 * RUNS times over adb (pushArtifact, the TFLite runner's command, runBenchmark: the device lab's own path), each run with its own
 * heap layout; once on a phone started with IEEE subnormals (MFNAS_EMULATED_SUBNORMALS=keep, which the phone's
 * runner inherits) and once on one with subnormals flushed to zero (the default). Printed per mode: how far a
 * model's fastest run time moves between invocations (layout sensitivity), how often two measurements of RUNS/2
 * invocations each agree within ±5% / ±10% on the fastest run, and the mean fastest time over all models.
 *
 * Run: npx tsx bench/emulated-subnormals.ts [MODELS=24] [RUNS=8] [LR_SIDE=32]
 */
import { DEFAULT_SEARCH_SPACE, createRng, kernelKey, sampleGenome, spaceKernels } from "@mfnas/core";
import { EMULATED_RUNNER_PATH, pushArtifact, runBenchmark, startEmulatedPhones, tfliteRunner } from "@mfnas/devices";
import { exportGenerator, exportGraph, kernelGraph } from "@mfnas/export";
import { probeWeights } from "@mfnas/searcher";
import { startAdbServer } from "../tests/support/device-lab.ts";
import { emulatedPhoneRuntime } from "../tests/support/latency-lab.ts";

const [models = 24, runs = 8, side = 32] = process.argv.slice(2).map(Number);
const input = { height: side, width: side };
const rng = createRng(31);
const files: { name: string; bytes: Uint8Array }[] = [];
for (let i = 0; i < models; i++) {
  const genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
  const options = { format: "tflite", precision: "float32", input } as const;
  files.push({ name: `m${i}`, bytes: exportGenerator(genome, probeWeights(genome), options).bytes });
}
for (const kernel of spaceKernels(DEFAULT_SEARCH_SPACE, side, side).filter((k) => k.kind === "tail")) {
  const bytes = exportGraph(kernelGraph(kernel), { format: "tflite", precision: "float32" }).bytes;
  files.push({ name: kernelKey(kernel), bytes });
}

const ADB_PORT = 5097;
const runtimeConfig = emulatedPhoneRuntime();
const adb = await startAdbServer(ADB_PORT);
const driver = adb.driver;
const runner = { path: EMULATED_RUNNER_PATH, version: "emulated" };

/** An emulated phone whose runner keeps or flushes subnormals; `run` is one benchmark_model invocation over adb. */
async function startPhone(subnormals: "keep" | "flush") {
  process.env.MFNAS_EMULATED_SUBNORMALS = subnormals;
  const [phone] = await startEmulatedPhones(1, { adb: { port: ADB_PORT }, serialPrefix: `subnormals-${subnormals}` });
  if (!phone) throw new Error("no emulated phone started");
  const remote: string[] = [];
  for (const f of files) remote.push((await pushArtifact(driver, phone.serial, f.bytes)).remotePath);
  return {
    /** One benchmark_model invocation on the i-th model: its fastest run, ms. */
    run: async (i: number) => {
      const command = tfliteRunner.command(runner, remote[i] ?? "", runtimeConfig);
      return (await runBenchmark(driver, phone.serial, command)).result.inference.minUs / 1000;
    },
    stop: () => phone.stop(),
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
  const phone = await startPhone(mode);
  const times: number[][] = files.map(() => []);
  // Round-robin, so every model's invocations are spread over the whole run and meet other models' leftovers.
  for (let r = 0; r < runs; r++) for (let i = 0; i < files.length; i++) times[i]!.push(await phone.run(i));
  await phone.stop();
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
await adb.stop();
process.exit(0);
