export { startEvaluator, type EvaluatorResources, type RunningEvaluator } from "./service.ts";
export {
  createEvaluateCandidateHandler,
  scoreUpscaler,
  subGeneratorUpscaler,
  type EvaluateCandidateOutcome,
  type EvaluateCandidateResources,
} from "./evaluate-candidate.job.ts";
export type { ArtifactReader, EvaluationPath, EvaluationResult, EvaluationStore } from "./evaluator-store.ts";
export {
  ORT_PROVIDERS,
  onnxRuntimeUpscaler,
  probeOrtProvider,
  tfjsUpscaler,
  type OrtProvider,
  type Upscaler,
} from "./upscalers.ts";
export { BUNDLED_VALIDATION_SET, ValidationSets, validationSetDir, type ValidationSet } from "./validation-sets.ts";
