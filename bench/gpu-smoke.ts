/**
 * Smoke test of a GPU worker: says which compute backend loaded, then times one supernet training step (default
 * space and training config: batch 16, HR patch 128, sandwich rule, ESRGAN-size teacher) and one candidate
 * evaluation (a random genome on the bundled validation set) on the tfjs path and, when its CUDA provider loads,
 * on ONNX Runtime. A warm-up of each comes first. Exits 1 with "no GPU backend loaded" when tfjs fell back to a CPU
 * backend (tfjs-node-gpu missing or broken, or no NVIDIA device visible), before timing anything.
 *
 *   npx tsx bench/gpu-smoke.ts                       (a checkout with dev dependencies)
 *   docker run --rm --gpus all mfnas-trainer-gpu node dist/bench/gpu-smoke.js    (the GPU images)
 */
import { performance } from "node:perf_hooks";
import * as tfCore from "@tensorflow/tfjs-core";
import { DEFAULT_SEARCH_SPACE, createRng, parseTrainingConfig, sampleGenome } from "@mfnas/core";
import {
  MfaSupernet,
  RrdbNet,
  batchToTensors,
  createPatchSampler,
  openSampleDatasets,
  rrdbNetTeacher,
  selectComputeBackend,
} from "@mfnas/model";
import {
  BUNDLED_VALIDATION_SET,
  ValidationSets,
  probeOrtProvider,
  scoreUpscaler,
  subGeneratorUpscaler,
} from "@mfnas/evaluator";
import { TrainingState, genomesForStep } from "@mfnas/trainer";

const backend = await selectComputeBackend(tfCore, { log: (line) => console.log(line) });
console.log(
  `backend: ${backend.name}, accelerator ${backend.accelerator}, NVIDIA devices: ${backend.gpuDevices.join(", ") || "none"}`,
);
if (backend.accelerator !== "gpu") {
  const why =
    backend.name === "tensorflow-gpu" ? "tfjs-node-gpu loaded but no NVIDIA device is visible" : backend.reason;
  console.error(`gpu-smoke: no GPU backend loaded: tfjs runs on ${backend.name} (${why})`);
  process.exit(1);
}
const { tf } = backend;
const ortCuda = await probeOrtProvider("cuda").then(
  () => "loaded",
  (error: unknown) => `not loaded: ${(error instanceof Error ? error.message : String(error)).split("\n", 1)[0]}`,
);
console.log(`onnxruntime cuda provider: ${ortCuda}`);

async function timed(what: string, run: () => Promise<void> | void): Promise<void> {
  await run(); // warm-up: kernel compilation, allocations, cuDNN autotuning
  const start = performance.now();
  await run();
  console.log(`${what}: ${(performance.now() - start).toFixed(0)} ms`);
}

// One training step, as the trainer runs it (teacher forward inside the step, no cached targets).
const config = parseTrainingConfig({
  teacher: { weights: "0".repeat(64) },
  data: { train: "bundled", val: "bundled" },
  steps: 1_000,
});
if (config.teacher.kind !== "rrdbnet") throw new Error("gpu-smoke times an RRDBNet teacher");
const { blocks, channels, growth, weights } = config.teacher;
const teacher = rrdbNetTeacher(new RrdbNet(tf, { blocks, channels, growth, scale: config.scale }), weights);
const state = new TrainingState(tf, DEFAULT_SEARCH_SPACE, config, teacher, undefined);
const { train } = await openSampleDatasets({ scale: config.scale });
const sampler = createPatchSampler(train, { patchSize: config.patchSize, batchSize: config.batch, seed: 0 });
const rng = createRng(0);
let step = 0;
await timed(`training step (batch ${config.batch}, HR patch ${config.patchSize})`, async () => {
  const { lr, hr } = batchToTensors(tf, await sampler.next());
  state.step(
    genomesForStep(DEFAULT_SEARCH_SPACE, config.sampling, config.scale, step++, rng),
    { lr, hr },
    {
      g: 1e-4,
      d: 1e-4,
    },
  );
  tf.dispose([lr, hr]);
});

// One candidate evaluation, as the evaluator runs it (extraction, inference, PSNR/SSIM).
const supernet = new MfaSupernet(tf, DEFAULT_SEARCH_SPACE, { seed: 7, initScale: 1, outputInitScale: 1 });
const genome = sampleGenome(DEFAULT_SEARCH_SPACE, createRng(7));
const set = await new ValidationSets(undefined).get(BUNDLED_VALIDATION_SET, genome.scale);
const paths = [
  { label: "tfjs", path: "tfjs" as const, ortProvider: undefined },
  ...(ortCuda === "loaded"
    ? [{ label: "onnxruntime cuda", path: "onnxruntime" as const, ortProvider: "cuda" as const }]
    : []),
];
for (const { label, path, ortProvider } of paths) {
  await timed(`evaluation, ${label} (${set.images.length} images)`, async () => {
    const upscaler = await subGeneratorUpscaler(tf, supernet, genome, path, { backend: backend.name, ortProvider });
    try {
      await scoreUpscaler(upscaler, set);
    } finally {
      await upscaler.dispose();
    }
  });
}
