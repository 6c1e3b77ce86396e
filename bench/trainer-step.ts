// The supernet trainer's full step (TrainingState.step: the sandwich rule's SubGenerators with pixel, output- and
// feature-distillation and adversarial losses, one generator Adam step, then the teacher and student PatchGANs
// with discriminator distillation) on tfjs wasm, side by side with a PyTorch rebuild of the same step
// (bench/reference/torch_trainer_step.py) at 1 and 2 threads, for the main job's training configuration
// (scripts/main-job/supernet.ts) and the default one. PyTorch gets every weight, the batch and the teacher targets
// from this run, and checks its SubGenerator outputs and the first two steps' losses against ours before timing.
// The teacher targets are computed once by the real teacher (@upscalerjs/esrgan-thick) outside the timing, as the
// trainer caches them. Prints measured figures only.
//
//   npx tsx bench/trainer-step.ts [--steps N] [--config main|default|both] [--batch N] [--check-only] [--verbose]
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tfCore from "@tensorflow/tfjs-core";
import {
  DEFAULT_SEARCH_SPACE,
  DEFAULT_TEACHER_PACKAGE,
  bicubicSkipWeights,
  convLayerSpecs,
  createRng,
  genomeCost,
  narrowSpace,
  parseTrainingConfig,
  upsamplerParamName,
  type Genome,
  type TrainingConfig,
  type TrainingConfigInput,
} from "@mfnas/core";
import {
  batchToTensors,
  createPatchSampler,
  distillationPairs,
  loadPackageTeacher,
  openSampleDatasets,
  selectBackend,
  writeSafetensors,
  type BatchTensors,
  type PatchGanDiscriminator,
  type SafetensorsInput,
  type Tensor,
} from "@mfnas/model";
import { TrainingState, distilledTeacherBlocks, genomesForStep } from "@mfnas/trainer";
import { demoConfig } from "../scripts/main-job/supernet.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const CHECK_ONLY = args.includes("--check-only");
const STEPS = CHECK_ONLY ? 0 : Number(option("--steps") ?? 2);
const WHICH = option("--config") ?? "both";
const BATCH = option("--batch");
const THREADS = [1, 2];

const CONFIGS: Record<string, TrainingConfigInput> = {
  main: demoConfig(800),
  default: { data: { train: "bundled", val: "bundled" }, steps: 1_000 },
};

/** MACs of a PatchGAN on one side x side image, from its layer shapes (4x4 convs, padding 1). */
function patchGanMacs(d: PatchGanDiscriminator, side: number): number {
  let s = side;
  let cin = d.config.inChannels;
  let macs = 0;
  for (const [n, width] of d.widths().entries()) {
    s = n < d.config.layers ? Math.floor((s + 2 - 4) / 2) + 1 : s - 1;
    macs += 16 * cin * width * s * s;
    cin = width;
  }
  return macs + 16 * cin * (s - 1) * (s - 1);
}

/**
 * Model MACs of one step (the same count for both frameworks; a backward pass counts twice its forward): each
 * SubGenerator forward and backward, the student PatchGAN on the real batch once and on each fake forward and
 * backward to the input; then each PatchGAN on the real batch and every fake, forward and backward.
 */
function stepMacs(config: TrainingConfig, genomes: readonly Genome[], state: TrainingState): number {
  const lrSide = config.patchSize / config.scale;
  const generators = genomes.reduce((sum, g) => sum + 3 * genomeCost(g, lrSide, lrSide).macs, 0);
  const student = patchGanMacs(state.dStudent, config.patchSize);
  const teacher = patchGanMacs(state.dTeacher, config.patchSize);
  const fakes = genomes.length;
  const generatorPhase = generators + student * (1 + 2 * fakes);
  const discriminatorPhase = 3 * (1 + fakes) * (teacher + student);
  return config.batch * (generatorPhase + discriminatorPhase);
}

/** Where the tfjs supernet takes each of a genome's conv weights from (MfaSupernet's slicing, as data). */
function sliceRecipe(state: TrainingState, g: Genome) {
  const { space, widths } = state.supernet;
  const layers: Record<string, { name: string; kernel: number; cin: number; cout: number; rows?: number[][] }> = {};
  for (const s of convLayerSpecs(g)) {
    const fuse = /^body\.(\d+)\.fuse$/.exec(s.name);
    const block = fuse ? g.blocks[Number(fuse[1])] : undefined;
    layers[s.name] = {
      name: s.name,
      kernel: s.kernel,
      cin: s.cin,
      cout: s.cout,
      ...(block
        ? { rows: block.branches.map((k) => [space.branchKinds.indexOf(k) * widths.branch, block.branchWidth]) }
        : {}),
    };
  }
  const stages = Math.log2(g.scale);
  return {
    scale: g.scale,
    upsampler: g.upsampler,
    upsamplers: Array.from({ length: stages }, (_, s) => upsamplerParamName(g.upsampler, s)),
    blocks: g.blocks.map((b) => ({ branches: b.branches })),
    layers,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function bench(label: string, input: TrainingConfigInput) {
  const config = parseTrainingConfig({ ...input, ...(BATCH ? { batch: Number(BATCH) } : {}) });
  const { tf } = await selectBackend(tfCore, { prefer: "wasm" });
  const space = narrowSpace(DEFAULT_SEARCH_SPACE, config.space ?? {});
  const teacher = await loadPackageTeacher(
    tf,
    config.teacher.kind === "tfjs-layers"
      ? (config.teacher.package ?? DEFAULT_TEACHER_PACKAGE)
      : DEFAULT_TEACHER_PACKAGE,
    config.scale,
  );
  const state = new TrainingState(tf, space, config, teacher, undefined);
  const { train } = await openSampleDatasets({ scale: config.scale });
  const sampler = createPatchSampler(train, { patchSize: config.patchSize, batchSize: config.batch, seed: 0 });
  const { lr, hr } = batchToTensors(tf, await sampler.next());
  // The cached targets the trainer's sampler would hand the step: the teacher's output and distilled blocks.
  const blocks = distilledTeacherBlocks(space, config, teacher);
  const out = teacher.run(tf, lr, blocks.length > 0);
  const targets = { sr: out.sr, blocks: new Map(blocks.map((b) => [b, out.blocks[b] as tfCore.Tensor4D])) };
  const batch: BatchTensors = { lr, hr, teacher: targets };
  const genomes = genomesForStep(space, config.sampling, config.scale, 0, createRng(config.seed));
  const rates = { g: config.optimizer.lr, d: config.optimizer.discriminatorLr ?? config.optimizer.lr };

  // Everything PyTorch starts from, taken before our first step changes the weights.
  const tensors: SafetensorsInput[] = [];
  const put = (name: string, t: Tensor) =>
    tensors.push({ name, shape: t.shape, data: new Float32Array(t.dataSync() as Float32Array) });
  for (const [name, v] of state.supernet.params.entries()) put(`g/${name}`, v);
  for (const [name, v] of state.adapters.params.entries()) put(`a/${name}`, v);
  for (const [name, v] of state.dTeacher.params.entries()) put(`dt/${name}`, v);
  for (const [name, v] of state.dStudent.params.entries()) put(`ds/${name}`, v);
  put("lr", lr);
  put("hr", hr);
  put("teacher/sr", targets.sr);
  for (const [b, t] of targets.blocks) put(`teacher/block/${b}`, t);
  const skip = bicubicSkipWeights(config.scale).weight;
  tensors.push({ name: "skip", shape: skip.shape, data: Float32Array.from(skip.data) });
  genomes.forEach((g, k) => {
    const sr = state.supernet.forward(tf, g, lr);
    put(`out/${k}`, sr);
    sr.dispose();
  });
  const expectedLosses = [state.step(genomes, batch, rates), state.step(genomes, batch, rates)];

  // Our step, timed: one warm-up (the two checked steps above), then STEPS.
  const ours: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const start = performance.now();
    state.step(genomes, batch, rates);
    ours.push(performance.now() - start);
  }
  const oursMs = median(ours);

  const features = teacher.features;
  const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-trainer-step-"));
  try {
    const tensorsFile = path.join(dir, "tensors.safetensors");
    await writeFile(tensorsFile, writeSafetensors(tensors));
    const job = {
      tensors: tensorsFile,
      genomes: genomes.map((g) => ({
        ...sliceRecipe(state, g),
        pairs: features && config.losses.featureDistill > 0 ? distillationPairs(g.blocks.length, features.count) : [],
      })),
      losses: config.losses,
      adam: { betas: config.optimizer.betas, epsilon: config.optimizer.epsilon },
      rates,
      discriminatorLayers: config.discriminator.layers,
      discriminatorDistill: config.losses.discriminatorDistill,
      expectedLosses,
      threads: CHECK_ONLY ? [] : THREADS,
      warmup: 1,
      steps: STEPS,
    };
    const jobFile = path.join(dir, "job.json");
    await writeFile(jobFile, JSON.stringify(job));
    const torch = JSON.parse(
      execFileSync("/usr/bin/python3", [path.join(root, "bench/reference/torch_trainer_step.py"), jobFile], {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      }),
    ) as {
      torch: string;
      maxOutputDiff: number;
      checks: { maxRelativeDiff: number; worst: string; losses: unknown; expected: unknown }[];
      timings: { threads: number; stepMs: number }[];
    };
    const macs = stepMacs(config, genomes, state);
    console.log(
      `${label}: batch ${config.batch}, HR patch ${config.patchSize}, ${genomes.length} SubGenerators ` +
        `(${genomes.map((g) => `${g.trunkWidth}x${g.blocks.length}`).join(", ")}), D ${config.discriminator.teacherBaseWidth}/` +
        `${config.discriminator.studentBaseWidth} x${config.discriminator.layers}, ${(macs / 1e9).toFixed(1)} GMAC per step; ` +
        `PyTorch ${torch.torch}: max |output diff| ${torch.maxOutputDiff.toExponential(2)}, loss max rel. diff ` +
        torch.checks.map((c, i) => `step ${i + 1} ${c.maxRelativeDiff.toExponential(2)} (${c.worst})`).join(", "),
    );
    if (args.includes("--verbose")) console.log(JSON.stringify(torch.checks));
    const row = (runtime: string, ms: number, vs?: number) => ({
      config: label,
      runtime,
      "step ms": Math.round(ms),
      "img/s": +((config.batch * 1000) / ms).toFixed(2),
      "GFLOP/s": +((2 * macs) / ms / 1e6).toFixed(2),
      "wasm / this": vs === undefined ? "-" : +(oursMs / vs).toFixed(2),
    });
    return [
      row("tfjs wasm (SIMD)", oursMs),
      ...torch.timings.map((t) => row(`PyTorch ${torch.torch}, ${t.threads} thread(s)`, t.stepMs, t.stepMs)),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    tf.dispose([lr, hr, out.sr, ...out.blocks]);
    state.dispose();
    teacher.dispose();
  }
}

const rows = [];
for (const label of WHICH === "both" ? ["main", "default"] : [WHICH]) {
  const input = CONFIGS[label];
  if (!input) throw new Error(`--config: must be main, default or both, got ${label}`);
  const result = await bench(label, input);
  for (const r of result) console.log(JSON.stringify(r));
  rows.push(...result);
}
console.log(`median of ${STEPS} timed steps after warm-up; GFLOP/s = 2 x model MACs per step / step time`);
console.table(rows);
