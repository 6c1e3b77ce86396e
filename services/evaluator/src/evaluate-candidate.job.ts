import { performance } from "node:perf_hooks";
import {
  MfnasError,
  decodeGenome,
  encodeGenome,
  genomeHash,
  narrowSpace,
  DEFAULT_SEARCH_SPACE,
  type SearchSpaceOverride,
  type Genome,
  type SearchSpace,
} from "@mfnas/core";
import {
  decodeSupernetWeights,
  srMetrics,
  supernetFromWeights,
  type MfaSupernet,
  type RgbImage,
  type Tf,
} from "@mfnas/model";
import { throwIfAborted, type JobContext, type WorkerLog } from "@mfnas/queue";
import type {
  EvaluationPath,
  EvaluationResult,
  EvaluationStore,
  ImageScore,
  SampleArtifacts,
} from "./evaluator-store.ts";
import { SampleTeachers, writeSampleSheet } from "./sample-sheet.ts";
import { SupernetCache } from "./supernet-cache.ts";
import { onnxRuntimeUpscaler, subGeneratorWeights, tfjsUpscaler, type Upscaler } from "./upscalers.ts";
import type { ValidationSet, ValidationSets } from "./validation-sets.ts";

export interface EvaluateCandidateResources {
  /** The tf namespace of the selected backend: extracts SubGenerators, and runs them on the tfjs path. */
  readonly tf: Tf;
  /** Name of that backend (stored with tfjs evaluations). */
  readonly backend: string;
  readonly path: EvaluationPath;
  readonly store: EvaluationStore;
  /** Checkpoints are read from it; sample crops (and the teacher panels they share) are written to it. */
  readonly artifacts: SampleArtifacts;
  readonly validationSets: ValidationSets;
  readonly log: WorkerLog;
  /** ONNX Runtime intra-op threads; default ONNX Runtime's. */
  readonly ortThreads?: number;
  /** Decoded checkpoints kept across jobs. Default 2. */
  readonly cachedCheckpoints?: number;
}

/** What an `evaluator.evaluate-candidate` job returns (also when the evaluation was already stored). */
export interface EvaluateCandidateOutcome {
  /** False when the evaluation existed and nothing was computed. */
  readonly evaluated: boolean;
  readonly psnr: number;
  readonly ssim: number;
  readonly imageCount: number;
  readonly path: EvaluationPath;
  readonly durationMs: number;
}

function outcome(result: EvaluationResult, evaluated: boolean): EvaluateCandidateOutcome {
  const { psnr, ssim, imageCount, path, durationMs } = result;
  return { evaluated, psnr, ssim, imageCount, path, durationMs };
}

/**
 * The SR images of `upscaler` on a validation set, scored on Y with the border of `scale` pixels cropped;
 * `onImage` sees each SR image as it was scored.
 */
export async function scoreUpscaler(
  upscaler: Upscaler,
  set: ValidationSet,
  signal?: AbortSignal,
  onImage?: (index: number, sr: RgbImage) => void,
): Promise<{ psnr: number; ssim: number; images: ImageScore[] }> {
  const images: ImageScore[] = [];
  for (const image of set.images) {
    if (signal) throwIfAborted(signal);
    const sr = await upscaler.upscale(image.lr);
    onImage?.(images.length, sr);
    const m = srMetrics(sr, image.hr, { scale: set.scale });
    images.push({ name: image.name, psnr: m.psnrY, ssim: m.ssimY });
  }
  const mean = (f: (s: ImageScore) => number) => images.reduce((sum, s) => sum + f(s), 0) / images.length;
  return { psnr: mean((s) => s.psnr), ssim: mean((s) => s.ssim), images };
}

/** An upscaler of the genome's SubGenerator, extracted from the supernet, on the given path. */
export async function subGeneratorUpscaler(
  tf: Tf,
  supernet: MfaSupernet,
  genome: Genome,
  path: EvaluationPath,
  options: { backend: string; ortThreads?: number | undefined },
): Promise<Upscaler> {
  const sub = supernet.extract(genome);
  if (path === "tfjs") return tfjsUpscaler(tf, sub, options.backend);
  try {
    const weights = await subGeneratorWeights(sub);
    return onnxRuntimeUpscaler(
      genome,
      weights,
      options.ortThreads !== undefined ? { threads: options.ortThreads } : {},
    );
  } finally {
    sub.dispose();
  }
}

/**
 * `evaluator.evaluate-candidate`: scores one SubGenerator, with its supernet checkpoint's inherited weights, on a
 * validation set (mean Y-PSNR and Y-SSIM, border cropped by the scale) and writes one Evaluation row. A stored
 * result ends the job at once. Missing records, a genome outside the supernet's space (the error names the gene),
 * a genome hash that does not match the genome and a bad validation set name are permanent failures; nothing is
 * written for them.
 */
export function createEvaluateCandidateHandler(resources: EvaluateCandidateResources) {
  const { tf, store, artifacts, validationSets, log } = resources;
  const cache = new SupernetCache(resources.cachedCheckpoints ?? 2);
  const teachers = new SampleTeachers(tf, artifacts);

  async function loadSupernet(supernetId: string, step: number, artifactSha256: string, space: SearchSpace) {
    const started = performance.now();
    const { weights } = decodeSupernetWeights(await artifacts.get(artifactSha256), space);
    const supernet = supernetFromWeights(tf, space, weights);
    log.info("supernet checkpoint loaded", { supernetId, step, ms: Math.round(performance.now() - started) });
    return supernet;
  }

  async function evaluateCandidate(ctx: JobContext<"evaluator.evaluate-candidate">): Promise<EvaluateCandidateOutcome> {
    const { supernetId, checkpointStep, validationSet } = ctx.payload;
    const key = { supernetId, checkpointStep, genomeHash: ctx.payload.genomeHash, validationSet };
    const existing = await store.findEvaluation(key);
    if (existing) return outcome(existing, false);
    validationSets.check(validationSet);

    const checkpoint = await store.getCheckpoint(supernetId, checkpointStep);
    if (!checkpoint) {
      throw new MfnasError("not_found", `supernet ${supernetId} has no checkpoint at step ${checkpointStep}`, {
        supernetId,
        checkpointStep,
      });
    }
    // A supernet stores its space as trained: the default space narrowed by its training config's `space`.
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, checkpoint.searchSpace as SearchSpaceOverride);
    const genome = decodeGenome(ctx.payload.genome, space);
    if (genomeHash(genome) !== key.genomeHash) {
      throw new MfnasError("invalid_input", `genomeHash: ${key.genomeHash} is not the hash of ${ctx.payload.genome}`, {
        path: "genomeHash",
      });
    }
    const set = await validationSets.get(validationSet, genome.scale);
    throwIfAborted(ctx.signal);

    const lease = await cache.acquire(`${supernetId}@${checkpointStep}`, () =>
      loadSupernet(supernetId, checkpointStep, checkpoint.artifactSha256, space),
    );
    // Timed from here: extraction, export, inference and metrics, not the (cached) checkpoint load.
    const started = performance.now();
    let upscaler: Upscaler | undefined;
    let scores: Awaited<ReturnType<typeof scoreUpscaler>>;
    let firstSr: RgbImage | undefined;
    try {
      upscaler = await subGeneratorUpscaler(tf, lease.supernet, genome, resources.path, {
        backend: resources.backend,
        ortThreads: resources.ortThreads,
      });
      scores = await scoreUpscaler(upscaler, set, ctx.signal, (index, sr) => {
        if (index === 0) firstSr = sr;
      });
    } finally {
      await upscaler?.dispose();
      lease.release();
    }
    const durationMs = performance.now() - started;
    const firstImage = set.images[0];
    const samples =
      firstImage && firstSr
        ? await writeSampleSheet({
            tf,
            image: firstImage,
            sr: firstSr,
            scale: genome.scale,
            genomeHash: key.genomeHash,
            trainingConfig: checkpoint.trainingConfig,
            teachers,
            artifacts,
            log,
          })
        : null;
    const result: EvaluationResult = {
      ...key,
      genome: encodeGenome(genome),
      ...scores,
      imageCount: scores.images.length,
      path: upscaler.path,
      runtime: upscaler.runtime,
      durationMs,
      samples,
    };
    const { created } = await store.recordEvaluation(result);
    if (!created) return outcome((await store.findEvaluation(key)) ?? result, false);
    log.info("candidate evaluated", {
      ...key,
      psnr: result.psnr,
      ssim: result.ssim,
      ms: Math.round(result.durationMs),
    });
    return outcome(result, true);
  }

  return Object.assign(evaluateCandidate, {
    /** Frees the cached supernets (on shutdown). */
    dispose: () => {
      cache.clear();
      teachers.dispose();
    },
  });
}
