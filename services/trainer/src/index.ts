export { createTrainSupernetHandler, type TrainSupernetResources } from "./train-supernet.job.ts";
export { TrainingState } from "./training-state.ts";
export { encodeCheckpoint, restoreCheckpoint, type CheckpointMeta } from "./checkpoint.ts";
export { validationPsnr } from "./evaluate.ts";
export { prepareRun, type PreparedRun } from "./prepare.ts";
export type { ArtifactPort, SupernetStore } from "./trainer-store.ts";
export { genomesForStep } from "./sampling.ts";
export {
  distilledTeacherBlocks,
  prepareTeacherTargets,
  type PrepareTeacherTargetsOptions,
  type PreparedTeacherTargets,
  type TeacherTargetsProgress,
} from "./teacher-targets.ts";
export { DataParallelTrainer, type DataParallelOptions } from "./data-parallel.ts";
