/**
 * Datasets by reference: a built-in set by name (`BUILTIN_DATASETS` of `@mfnas/core`: the real photographs in
 * assets/photos, the procedural patterns in assets/sr-sample) or a user folder in any layout `resolveLayout` knows
 * (a folder of HR images, or Set5/Set14/BSD100/Urban100/DIV2K as distributed, using their LR files). Nothing is
 * downloaded. Generated LR is MATLAB bicubic of the 8-bit HR with 8-bit rounding (BasicSR's convention), so figures
 * match those computed on the LR PNGs the benchmark folders ship.
 */
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { BUILTIN_DATASETS, MfnasError, isBuiltinDataset, type BuiltinDataset } from "@mfnas/core";
import { openBenchmarkDataset } from "./dataset.ts";
import type { BenchmarkDatasetOptions, SrDataset } from "./dataset.ts";

const BUILTIN_FOLDERS: Record<BuiltinDataset, string> = {
  "photos-train": "photos/train",
  "photos-val": "photos/val",
  "sample-train": "sr-sample/train",
  "sample-val": "sr-sample/val",
};

/** Absolute folder of a built-in dataset, resolved from this module's location (not the working directory). */
export function builtinDatasetDir(name: BuiltinDataset): string {
  return fileURLToPath(new URL(`../../assets/${BUILTIN_FOLDERS[name]}`, import.meta.url));
}

/** Options of `openDataset`. */
export interface OpenDatasetOptions extends BenchmarkDatasetOptions {
  /**
   * Smallest HR side accepted, e.g. the training patch side; every image is checked from its header when the dataset
   * is opened, and the first smaller one is an error naming the file. Default: the scale (an LR of at least 1 pixel).
   */
  minSide?: number;
}

/**
 * Opens the dataset `ref` names: a built-in name or an absolute folder. LR rounding defaults to "uint8" (BasicSR).
 * Errors (`not_found` for a missing folder, `invalid_input` otherwise) name the folder or file at fault.
 */
export async function openDataset(ref: string, options: OpenDatasetOptions): Promise<SrDataset> {
  let root: string;
  if (isBuiltinDataset(ref)) root = builtinDatasetDir(ref);
  else if (ref.startsWith("/")) root = ref;
  else {
    throw new MfnasError(
      "invalid_input",
      `dataset "${ref}": not a built-in dataset (${BUILTIN_DATASETS.join(", ")}) nor an absolute folder`,
      { dataset: ref },
    );
  }
  const dataset = await openBenchmarkDataset(root, { ...options, lrRounding: options.lrRounding ?? "uint8" });
  const minSide = Math.max(options.minSide ?? 0, options.scale);
  await Promise.all(
    dataset.entries.map(async (entry) => {
      let height: number;
      let width: number;
      try {
        ({ height, width } = await sharp(entry.hrPath).metadata());
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new MfnasError("invalid_input", `${entry.hrPath}: cannot read image header (${why})`, {
          path: entry.hrPath,
        });
      }
      if (Math.min(height, width) < minSide) {
        throw new MfnasError(
          "invalid_input",
          `${entry.hrPath}: ${height}x${width} is too small: x${options.scale} with this dataset needs at least ` +
            `${minSide} pixels on each side`,
          { path: entry.hrPath, height, width, minSide },
        );
      }
    }),
  );
  return dataset;
}
