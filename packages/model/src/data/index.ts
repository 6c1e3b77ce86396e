export { cropImage, createImage, decodeImage, encodePng, modCrop, readImage, toUint8, writePng } from "./image-io.ts";
export type { RgbImage } from "./image-io.ts";
export { bicubicDownscale, cubicKernel, imresize, resizeContributions } from "./imresize.ts";
export type { ImresizeOptions, ResizeContributions } from "./imresize.ts";
export { isImageFile, listImages, resolveLayout } from "./image-folder.ts";
export type { DatasetEntry, DatasetLayout, ResolvedLayout } from "./image-folder.ts";
export { openBenchmarkDataset, openImageFolderDataset } from "./dataset.ts";
export type { BenchmarkDatasetOptions, DatasetOptions, SrDataset, SrPair, SrScale } from "./dataset.ts";
export { batchTensorList, batchToTensors, createPatchSampler, pairToTensors } from "./patch-sampler.ts";
export type {
  BatchTensors,
  PatchBatch,
  PatchSampler,
  PatchSamplerOptions,
  PatchSamplerState,
} from "./patch-sampler.ts";
export {
  computeTeacherTargets,
  decodeTeacherTargets,
  encodeTeacherTargets,
  teacherTargetsKey,
  teacherTileCount,
} from "./teacher-targets.ts";
export type { TargetPlane, TeacherTargetOptions, TeacherTargets } from "./teacher-targets.ts";
export { openSampleDatasets, sampleImageDirs } from "./sample-images.ts";
export type { SampleImageDirs } from "./sample-images.ts";
export { LruCache } from "./lru-cache.ts";
export { builtinDatasetDir, openDataset } from "./named-datasets.ts";
export type { OpenDatasetOptions } from "./named-datasets.ts";
export { clipImage01, cropHrWindow, pickSampleWindow, sideBySide } from "./sample-sheet.ts";
export type { LrWindow } from "./sample-sheet.ts";
