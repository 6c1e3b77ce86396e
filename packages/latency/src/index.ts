/**
 * Latency predictors learned from device measurements (pure computation; measuring and storing go through the
 * callers' ports): kernel decomposition and profiling plans, per-kernel models, the kernel-sum predictor with a
 * boosted-tree correction and its uncertainty, accuracy figures, and the active-measurement policy.
 */
export {
  MIN_KERNEL_MS,
  fitKernelModel,
  fitLinear,
  kernelGroup,
  kernelLatency,
  kernelSum,
  type KernelModel,
  type KernelSample,
  type LinearFit,
} from "./kernel-model.ts";
export {
  fitBoosted,
  fitEnsemble,
  predictBoosted,
  predictEnsemble,
  type BoostOptions,
  type BoostedModel,
  type Ensemble,
  type Tree,
} from "./gbt.ts";
export {
  FEATURE_NAMES,
  MIN_TREE_SAMPLES,
  PREDICTOR_FORMAT,
  PRIOR_RELATIVE_STD,
  architectureFeatures,
  fitPredictor,
  parsePredictor,
  predictLatency,
  serializePredictor,
  type FitOptions,
  type GenomeSample,
  type LatencyPredictor,
  type Prediction,
  type PredictorScope,
} from "./predictor.ts";
export {
  PROFILE_FORMAT,
  parseProfile,
  profileKernels,
  profilingPlan,
  serializeProfile,
  type KernelMeasurer,
  type KernelProfile,
} from "./profiling.ts";
export { accuracyFigures, type AccuracyFigures, type PredictedVsMeasured } from "./accuracy.ts";
export { selectForMeasurement, type ActiveCandidate, type ActiveSelection, type MeasureReason } from "./active.ts";
export { MIN_SAMPLES_PER_FOLD, crossValidatedAccuracy, type CrossValidationOptions } from "./cross-validate.ts";
