/**
 * Data-parallel training throughput: the trainer's step on the main job's configuration (scripts/main-job:
 * trunk 16/24/32, batch 4 of 32px HR patches, sandwich with one random subnet, both PatchGANs, distillation from
 * esrgan-thick's cached targets on photos-train) with 1 worker (the step on the main thread) and with 2, 3, ...
 * worker threads. Prints images/s per worker count and the load average around each measurement; not a test.
 *
 *   npx tsx bench/train-workers.ts [steps=20] [maxWorkers=2] [batch=4] [patch=32]
 * `batch` and `patch` override the main job's batch size and HR patch side (its other settings stay).
 * The teacher's targets are computed once and kept under $TMPDIR/mfnas-bench-artifacts for later runs.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { createRng, learningRateAt } from "@mfnas/core";
import { batchTensorList, batchToTensors, createPatchSampler, selectBackend, type PatchBatch } from "@mfnas/model";
import {
  DataParallelTrainer,
  TrainingState,
  distilledTeacherBlocks,
  genomesForStep,
  prepareRun,
  prepareTeacherTargets,
  type ArtifactPort,
} from "@mfnas/trainer";
import { demoConfig } from "../scripts/main-job/supernet.ts";

const [steps = 20, maxWorkers = 2, batch = 4, patch = 32] = process.argv.slice(2, 6).map(Number);
const WARM_UP = 2;

/** Artifacts as files named by sha256, with a JSON index of cache keys. */
class FileArtifacts implements ArtifactPort {
  constructor(private readonly dir: string) {}
  async get(sha256: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(path.join(this.dir, sha256)));
  }
  async findByCacheKey(cacheKey: string): Promise<string | null> {
    return (await this.#index())[cacheKey] ?? null;
  }
  async put(artifact: { bytes: Uint8Array; metadata?: Record<string, string | number> }) {
    const sha256 = createHash("sha256").update(artifact.bytes).digest("hex");
    await mkdir(this.dir, { recursive: true });
    await writeFile(path.join(this.dir, sha256), artifact.bytes);
    const key = artifact.metadata?.cacheKey;
    if (typeof key === "string") {
      const index = await this.#index();
      index[key] = sha256;
      await writeFile(path.join(this.dir, "index.json"), JSON.stringify(index));
    }
    return { sha256 };
  }
  async #index(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(path.join(this.dir, "index.json"), "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
  }
}

const load = () => os.loadavg()[0]?.toFixed(1) ?? "?";
const { tf, name: backend } = await selectBackend(tfCore, { prefer: "wasm" });
const artifacts = new FileArtifacts(path.join(os.tmpdir(), "mfnas-bench-artifacts"));
const run = await prepareRun(tf, { ...demoConfig(1_000), batch, patchSize: patch }, artifacts);
const { config } = run;
const started = performance.now();
const { targets, computed } = await prepareTeacherTargets(tf, run.teacher, run.train, artifacts, {
  blocks: distilledTeacherBlocks(run.space, config, run.teacher),
});
console.log(
  `teacher targets: ${targets.length} images, ${computed} computed in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
const sampler = createPatchSampler(run.train, {
  patchSize: config.patchSize,
  batchSize: config.batch,
  seed: config.seed,
  targets: (i) => targets[i] as NonNullable<(typeof targets)[number]>,
});
const batches: PatchBatch[] = [];
for (let i = 0; i < WARM_UP + steps; i++) batches.push(await sampler.next());

const rows: string[] = [];
for (let workers = 1; workers <= maxWorkers; workers++) {
  const state = new TrainingState(tf, run.space, config, run.teacher, run.vgg);
  const pool =
    workers > 1
      ? await DataParallelTrainer.start(tf, state, {
          workers,
          backend,
          space: run.space,
          config,
          teacherFeatures: run.teacher.features,
          vgg: run.vgg,
        })
      : undefined;
  const rng = createRng(1);
  const loadBefore = load();
  let timed = 0;
  for (const [step, batch] of batches.entries()) {
    const genomes = genomesForStep(run.space, config.sampling, config.scale, step, rng);
    const lr = learningRateAt(config.optimizer.lr, config.schedule, step, config.steps);
    const t0 = performance.now();
    if (pool) {
      await pool.step(genomes, batch, { g: lr, d: lr });
    } else {
      const tensors = batchToTensors(tf, batch);
      state.step(genomes, tensors, { g: lr, d: lr });
      tf.dispose(batchTensorList(tensors));
    }
    if (step >= WARM_UP) timed += performance.now() - t0;
  }
  await pool?.close();
  state.dispose();
  const perStep = timed / steps / 1000;
  const row = `${workers} worker(s): ${(1000 * perStep).toFixed(0)} ms/step, ${(config.batch / perStep).toFixed(2)} images/s (load average ${loadBefore} before, ${load()} after)`;
  console.log(row);
  rows.push(row);
}
console.log(
  `${backend}, main job configuration (batch ${config.batch}, HR patch ${config.patchSize}, ${2 + config.sampling.random} subnets/step), ${steps} timed steps after ${WARM_UP} warm-up, ${os.availableParallelism()} cores:\n${rows.join("\n")}`,
);
run.teacher.dispose();
