/**
 * The small procedurally generated image set bundled with the package (assets/sr-sample, made by
 * scripts/generate-sample-images.ts): enough texture for smoke-training and for tests, without any download.
 */
import { fileURLToPath } from "node:url";
import { openImageFolderDataset } from "./dataset.ts";
import type { DatasetOptions, SrDataset } from "./dataset.ts";

export interface SampleImageDirs {
  readonly root: string;
  readonly train: string;
  readonly val: string;
}

/** Absolute folders of the bundled set, resolved from this module's location (not the working directory). */
export function sampleImageDirs(): SampleImageDirs {
  const root = fileURLToPath(new URL("../../assets/sr-sample/", import.meta.url)).replace(/[/\\]$/, "");
  return {
    root,
    train: fileURLToPath(new URL("../../assets/sr-sample/train", import.meta.url)),
    val: fileURLToPath(new URL("../../assets/sr-sample/val", import.meta.url)),
  };
}

/** The bundled train and validation sets as datasets, LR made by imresize. */
export async function openSampleDatasets(options: DatasetOptions): Promise<{ train: SrDataset; val: SrDataset }> {
  const dirs = sampleImageDirs();
  const [train, val] = await Promise.all([
    openImageFolderDataset(dirs.train, options),
    openImageFolderDataset(dirs.val, options),
  ]);
  return { train, val };
}
