import {
  MfnasError,
  Rng,
  createRng,
  errorMessage,
  isPermanent,
  largestGenome,
  learningRateAt,
  smallestGenome,
} from "@mfnas/core";
import {
  BACKEND_NAMES,
  batchTensorList,
  batchToTensors,
  createPatchSampler,
  type BackendName,
  type BatchTensors,
  type PatchBatch,
  type PatchSampler,
  type PatchSamplerOptions,
  type Tf,
} from "@mfnas/model";
import { throwIfAborted, type JobContext, type WorkerLog } from "@mfnas/queue";
import { encodeCheckpoint, restoreCheckpoint, type CheckpointMeta } from "./checkpoint.ts";
import { DataParallelTrainer } from "./data-parallel.ts";
import { validationPsnr } from "./evaluate.ts";
import { prepareRun, type PreparedRun } from "./prepare.ts";
import { genomesForStep } from "./sampling.ts";
import { shardPlan } from "./shards.ts";
import { distilledTeacherBlocks, prepareTeacherTargets } from "./teacher-targets.ts";
import type { ArtifactPort, SupernetStore } from "./trainer-store.ts";
import { TrainingState, type StepLosses } from "./training-state.ts";

export interface TrainSupernetResources {
  /** The tf namespace of the selected backend (selectBackend's `tf`), with training gradients registered. */
  readonly tf: Tf;
  readonly store: SupernetStore;
  readonly artifacts: ArtifactPort;
  readonly log: WorkerLog;
  /** Told at every logged step how many steps and images the window since the previous one took (metrics). */
  readonly onSteps?: (window: TrainingWindow) => void;
  /**
   * Worker threads each step's batch is split over (data-parallel.ts), each with its own tfjs instance. Default 1:
   * steps run on this thread. A run keeps the count it started with (recorded in its checkpoints): a resume
   * under another count goes on with the recorded one, so its losses stay those of an uninterrupted run.
   */
  readonly workers?: number;
  /** Folder uploaded dataset archives are unpacked into (see `PrepareOptions`). Unset: such configs fail. */
  readonly datasetCacheDir?: string;
}

export interface TrainingWindow {
  readonly supernetId: string;
  /** Step reached (1-based count of steps done). */
  readonly step: number;
  readonly steps: number;
  readonly images: number;
  readonly seconds: number;
}

/** Seed of the subnet-sampling stream, apart from the patch sampler's (which uses the config seed itself). */
const GENOME_STREAM = 0x5eed;

/**
 * `trainer.train-supernet`: trains a weight-sharing MFA supernet with the sandwich rule and distillation from an
 * ESRGAN teacher. Everything is validated before anything is written (a bad config fails the supernet for good);
 * training resumes from the latest checkpoint, which holds every weight, optimizer moment and random stream, so
 * a run killed at any moment continues exactly as if it had not been. On shutdown it checkpoints and rethrows (the
 * job goes back to the queue); when the supernet is cancelled it checkpoints and stops within one step.
 */
export function createTrainSupernetHandler(resources: TrainSupernetResources) {
  const { tf, store, artifacts, log } = resources;
  return async function trainSupernet(ctx: JobContext<"trainer.train-supernet">): Promise<{ step: number }> {
    const { supernetId } = ctx.payload;
    const row = await store.getSupernet(supernetId);
    if (!row) throw new MfnasError("not_found", `supernet ${supernetId} does not exist`, { supernetId });
    if (row.status === "ready" || row.status === "failed" || row.status === "cancelled") {
      log.info("supernet already finished; nothing to do", { supernetId, status: row.status });
      return { step: (await store.latestCheckpoint(supernetId))?.step ?? 0 };
    }
    let run: PreparedRun;
    try {
      run = await prepareRun(
        tf,
        row.trainingConfig,
        artifacts,
        resources.datasetCacheDir !== undefined ? { datasetCacheDir: resources.datasetCacheDir } : {},
      );
    } catch (error) {
      if (isPermanent(error)) await store.finish(supernetId, { status: "failed", error: errorMessage(error) });
      throw error;
    }
    const state = new TrainingState(tf, run.space, run.config, run.teacher, run.vgg);
    try {
      return await train(ctx, run, state);
    } finally {
      state.dispose();
      run.teacher.dispose();
      run.vgg?.dispose();
    }
  };

  async function train(
    ctx: JobContext<"trainer.train-supernet">,
    run: PreparedRun,
    state: TrainingState,
  ): Promise<{ step: number }> {
    const { supernetId } = ctx.payload;
    const { config } = run;
    await store.markTraining(supernetId);
    if (!run.vgg) log.warn("perceptual loss off: no vggWeights artifact in the training config", { supernetId });
    const targets = await teacherTargets(ctx, run);
    const samplerOptions: PatchSamplerOptions = {
      patchSize: config.patchSize,
      batchSize: config.batch,
      targets: (index) => {
        const found = targets[index];
        if (!found) throw new MfnasError("invalid_input", `no teacher targets for training image ${index}`);
        return found;
      },
    };
    let step = 0;
    let sampler: PatchSampler;
    let genomeRng: Rng;
    const latest = await store.latestCheckpoint(supernetId);
    let workers = resources.workers ?? 1;
    if (latest) {
      const meta = restoreCheckpoint(tf, state, await artifacts.get(latest.artifactSha256), run.configHash);
      step = meta.step;
      sampler = createPatchSampler(run.train, { ...samplerOptions, resumeFrom: meta.sampler });
      genomeRng = Rng.fromState(meta.genomeRng);
      // Checkpoints from before data-parallel training were all written by one worker.
      const recorded = meta.workers ?? 1;
      if (recorded !== workers) {
        log.warn(
          `resuming with the ${recorded} training worker(s) the run started with, not ${workers}: another count ` +
            "sums the gradients in another order, and the losses would drift from an uninterrupted run's",
          { supernetId, step, workers: recorded, configured: workers },
        );
        workers = recorded;
      }
      log.info("resuming supernet training from checkpoint", { supernetId, step, workers });
    } else {
      sampler = createPatchSampler(run.train, { ...samplerOptions, seed: config.seed });
      genomeRng = createRng((config.seed ^ GENOME_STREAM) >>> 0);
      log.info("starting supernet training", {
        supernetId,
        steps: config.steps,
        genomesPerStep: 2 + config.sampling.random,
        workers,
      });
    }
    const pool =
      shardPlan(config.batch, workers).sizes.length > 1
        ? await DataParallelTrainer.start(tf, state, {
            workers,
            backend: backendName(tf),
            space: run.space,
            config,
            teacherFeatures: run.teacher.features,
            vgg: run.vgg,
          })
        : undefined;
    try {
      return await trainSteps(ctx, run, state, { step, sampler, genomeRng, workers, pool, savedStep: latest?.step });
    } finally {
      await pool?.close();
    }
  }

  async function trainSteps(
    ctx: JobContext<"trainer.train-supernet">,
    run: PreparedRun,
    state: TrainingState,
    from: {
      step: number;
      sampler: PatchSampler;
      genomeRng: Rng;
      workers: number;
      pool: DataParallelTrainer | undefined;
      savedStep: number | undefined;
    },
  ): Promise<{ step: number }> {
    const { supernetId } = ctx.payload;
    const { config } = run;
    const { sampler, genomeRng, workers, pool } = from;
    let step = from.step;
    let savedStep = from.savedStep ?? -1;
    let metrics: Record<string, number> = {};

    const checkpoint = async (why: string) => {
      if (step === savedStep) return;
      const o = state.optimizers;
      const meta: CheckpointMeta = {
        format: 1,
        step,
        configHash: run.configHash,
        iterations: {
          generator: o.generator.iteration,
          dTeacher: o.dTeacher.iteration,
          dStudent: o.dStudent.iteration,
        },
        sampler: sampler.state(),
        genomeRng: genomeRng.state(),
        workers,
      };
      const bytes = await encodeCheckpoint(state, meta);
      const { sha256 } = await artifacts.put({
        bytes,
        kind: "checkpoint",
        mediaType: "application/vnd.safetensors",
        metadata: { supernetId, step, configHash: run.configHash, workers },
      });
      // The teacher's size beside the validation figures: what the SubGenerators are compared with.
      const teacher = {
        teacherParams: run.teacher.cost.params,
        teacherMacsPerLrPixel: run.teacher.cost.macsPerLrPixel,
      };
      await store.recordCheckpoint({ supernetId, step, artifactSha256: sha256, metrics: { ...metrics, ...teacher } });
      savedStep = step;
      log.info("checkpoint saved", { supernetId, step, why, sha256 });
    };

    let windowStart = performance.now();
    let windowSteps = 0;
    while (step < config.steps) {
      if (ctx.signal.aborted) {
        await checkpoint("shutdown");
        throwIfAborted(ctx.signal);
      }
      if ((await store.getStatus(supernetId)) === "cancelled") {
        await checkpoint("cancelled");
        log.info("supernet cancelled; training stopped", { supernetId, step });
        return { step };
      }
      const batch = await sampler.next();
      const genomes = genomesForStep(run.space, config.sampling, config.scale, step, genomeRng);
      const rates = {
        g: learningRateAt(config.optimizer.lr, config.schedule, step, config.steps),
        d: learningRateAt(config.optimizer.discriminatorLr ?? config.optimizer.lr, config.schedule, step, config.steps),
      };
      const losses = pool ? await pool.step(genomes, batch, rates) : stepHere(state, genomes, batch, rates);
      step += 1;
      windowSteps += 1;
      if (step % config.logEvery === 0 || step === config.steps) {
        const seconds = (performance.now() - windowStart) / 1000;
        const imagesPerSecond = (windowSteps * config.batch) / seconds;
        const etaSeconds = ((config.steps - step) * seconds) / windowSteps;
        await store.recordProgress({ supernetId, step, losses, imagesPerSecond });
        resources.onSteps?.({ supernetId, step, steps: windowSteps, images: windowSteps * config.batch, seconds });
        await ctx.progress({ step, of: config.steps, losses, imagesPerSecond, etaSeconds: Math.round(etaSeconds) });
        log.info(
          `step ${step}/${config.steps} ${Object.entries(losses)
            .map(([k, v]) => `${k}=${v.toPrecision(4)}`)
            .join(" ")} ${imagesPerSecond.toFixed(1)} img/s eta ${Math.round(etaSeconds)}s`,
          { supernetId, step },
        );
        windowStart = performance.now();
        windowSteps = 0;
      }
      if (step % config.evalEvery === 0 || step === config.steps) {
        const largest = largestGenome(run.space, config.scale);
        const smallest = smallestGenome(run.space, config.scale);
        metrics = {
          psnrYLargest: await validationPsnr(tf, state.supernet, largest, run.val),
          psnrYSmallest: await validationPsnr(tf, state.supernet, smallest, run.val),
        };
        log.info("validation", { supernetId, step, ...metrics });
      }
      if (step % config.checkpointEvery === 0) await checkpoint("interval");
    }
    await checkpoint("finished");
    await store.finish(supernetId, { status: "ready" });
    log.info("supernet training finished", { supernetId, steps: step, ...metrics });
    return { step };
  }

  function stepHere(
    state: TrainingState,
    genomes: ReturnType<typeof genomesForStep>,
    batch: PatchBatch,
    rates: { g: number; d: number },
  ): StepLosses {
    const tensors: BatchTensors = batchToTensors(tf, batch);
    try {
      return state.step(genomes, tensors, rates);
    } finally {
      tf.dispose(batchTensorList(tensors));
    }
  }

  /** The teacher's outputs on every training image, from the artifact store or computed once now (with progress). */
  async function teacherTargets(ctx: JobContext<"trainer.train-supernet">, run: PreparedRun) {
    const { supernetId } = ctx.payload;
    const blocks = distilledTeacherBlocks(run.space, run.config, run.teacher);
    const started = performance.now();
    let lastLog = 0;
    const prepared = await prepareTeacherTargets(tf, run.teacher, run.train, artifacts, {
      blocks,
      signal: ctx.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastLog < 5_000 && p.images < p.imagesTotal) return;
        lastLog = now;
        log.info(
          `teacher targets: image ${p.images}/${p.imagesTotal} (${p.reused} cached), tile ${p.tiles}/${p.tilesTotal}`,
          { supernetId, teacher: run.teacher.identity },
        );
        void ctx.progress({ phase: "teacher-targets", ...p }).catch(() => undefined);
      },
    });
    log.info("teacher targets ready", {
      supernetId,
      teacher: run.teacher.identity,
      computed: prepared.computed,
      reused: prepared.reused,
      blocks: blocks.join(","),
      seconds: Math.round((performance.now() - started) / 1000),
    });
    return prepared.targets;
  }
}

/** The name of `tf`'s current backend, which data-parallel workers select for themselves. */
function backendName(tf: Tf): BackendName {
  const name = tf.getBackend();
  const known = BACKEND_NAMES.find((b) => b === name);
  if (!known) throw new MfnasError("unsupported", `data-parallel training: unknown tfjs backend "${name}"`);
  return known;
}
