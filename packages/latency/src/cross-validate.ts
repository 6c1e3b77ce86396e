/**
 * Accuracy of a predictor from the measurements it is fitted on, without spending device time on a separate
 * held-out set: k-fold cross-validation. Each fold's SubGenerators are predicted by a predictor fitted on the
 * other folds (and every profiled kernel), and the figures are those of all folds' predictions together.
 */
import { createRng } from "@mfnas/core";
import { accuracyFigures, type AccuracyFigures } from "./accuracy.ts";
import type { KernelSample } from "./kernel-model.ts";
import { fitPredictor, predictLatency, type FitOptions, type GenomeSample, type PredictorScope } from "./predictor.ts";

export interface CrossValidationOptions extends FitOptions {
  /** Number of folds. Default 5. */
  readonly folds?: number;
  /** Seed of the fold assignment. Default 1. */
  readonly foldSeed?: number;
}

/** Fewest measured SubGenerators per fold for a cross-validated figure to mean something. */
export const MIN_SAMPLES_PER_FOLD = 4;

/**
 * k-fold cross-validated accuracy of the predictor `fitPredictor(scope, kernels, samples)` would give; undefined
 * when there are fewer than `folds * MIN_SAMPLES_PER_FOLD` usable samples. Deterministic for a seed.
 */
export function crossValidatedAccuracy(
  scope: PredictorScope,
  kernels: readonly KernelSample[],
  samples: readonly GenomeSample[],
  options: CrossValidationOptions = {},
): AccuracyFigures | undefined {
  const folds = options.folds ?? 5;
  const usable = samples.filter((s) => Number.isFinite(s.ms) && s.ms > 0);
  if (!Number.isInteger(folds) || folds < 2 || usable.length < folds * MIN_SAMPLES_PER_FOLD) return undefined;
  const order = createRng(options.foldSeed ?? 1).shuffle(usable.map((_, i) => i));
  const foldOf = new Map(order.map((index, position) => [index, position % folds]));
  const pairs = [];
  for (let f = 0; f < folds; f++) {
    const train = usable.filter((_, i) => foldOf.get(i) !== f);
    const predictor = fitPredictor(scope, kernels, train, options);
    for (const [i, s] of usable.entries()) {
      if (foldOf.get(i) !== f) continue;
      const p = predictLatency(predictor, s.genome);
      pairs.push({ predictedMs: p.meanMs, predictedStdMs: p.stdMs, measuredMs: s.ms });
    }
  }
  return accuracyFigures(pairs);
}
