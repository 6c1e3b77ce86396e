/**
 * SR datasets: a list of images, each loaded on demand as an (HR, LR) pair with HR mod-cropped to the scale.
 * - `openImageFolderDataset`: any folder of HR images; LR is made with MATLAB-style bicubic imresize, the convention
 *   of the SR literature, so results stay comparable with published x2/x4 figures.
 * - `openBenchmarkDataset`: Set5/Set14/B100/Urban100/DIV2K as distributed (see `resolveLayout`), using their LR files.
 * Decoded pairs are kept in a byte-bounded LRU cache.
 */
import { relative, sep } from "node:path";
import sharp from "sharp";
import { MfnasError } from "@mfnas/core";
import { modCrop, readImage } from "./image-io.ts";
import type { RgbImage } from "./image-io.ts";
import { bicubicDownscale } from "./imresize.ts";
import { listImages, resolveLayout } from "./image-folder.ts";
import type { DatasetEntry, DatasetLayout } from "./image-folder.ts";
import { LruCache } from "./lru-cache.ts";

/** The SR factors mfnas trains and evaluates. */
export type SrScale = 2 | 4;

/** One HR image and its LR counterpart; `hr` is `scale` times `lr` in both sides. */
export interface SrPair {
  readonly name: string;
  readonly hr: RgbImage;
  readonly lr: RgbImage;
}

export interface SrDataset {
  readonly root: string;
  readonly scale: SrScale;
  readonly layout: DatasetLayout;
  readonly entries: readonly DatasetEntry[];
  /** The pair of entry `index`, decoded (and for HR-only layouts downscaled) once and then served from the cache. */
  load(index: number): Promise<SrPair>;
}

/** Options shared by both dataset kinds. */
export interface DatasetOptions {
  /** SR factor, 2 or 4. Required. */
  scale: SrScale;
  /** Bound on the decoded HR + LR pixels kept in memory, in bytes (float32). Default 512 MiB. */
  cacheBytes?: number;
  /**
   * How LR images made by imresize are rounded: "none" (default) keeps floats; "uint8" rounds as MATLAB does on
   * 8-bit images, reproducing the LR PNGs that benchmark folders ship. Ignored where LR files exist.
   */
  lrRounding?: "none" | "uint8";
}

/** Options of `openBenchmarkDataset`. */
export interface BenchmarkDatasetOptions extends DatasetOptions {
  /** DIV2K split; default "valid" when both splits are present, else the one present. */
  split?: "train" | "valid";
  /** Check every pair's sizes from the file headers when opening, so a bad pair fails early. Default true. */
  validate?: boolean;
}

const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;

function checkScale(scale: number): asserts scale is SrScale {
  if (scale !== 2 && scale !== 4) {
    throw new MfnasError("invalid_input", `scale: must be 2 or 4, got ${String(scale)}`, { path: "scale", scale });
  }
}

function sizeMismatch(entry: DatasetEntry, scale: number, hr: [number, number], lr: [number, number]): MfnasError {
  const [hh, hw] = hr;
  const [lh, lw] = lr;
  const croppedH = hh - (hh % scale);
  const croppedW = hw - (hw % scale);
  return new MfnasError(
    "invalid_input",
    `size mismatch: LR ${entry.lrPath ?? "?"} is ${lh}x${lw} (x${scale} = ${lh * scale}x${lw * scale}) but HR ` +
      `${entry.hrPath} is ${hh}x${hw}, mod-cropped to ${croppedH}x${croppedW}`,
    { hrPath: entry.hrPath, lrPath: entry.lrPath, hr, lr, scale },
  );
}

function createDataset(
  root: string,
  layout: DatasetLayout,
  entries: readonly DatasetEntry[],
  options: DatasetOptions,
): SrDataset {
  const { scale } = options;
  const cache = new LruCache<number, SrPair>(
    options.cacheBytes ?? DEFAULT_CACHE_BYTES,
    (pair) => pair.hr.data.byteLength + pair.lr.data.byteLength,
  );
  const loadPair = async (entry: DatasetEntry): Promise<SrPair> => {
    const decoded = await readImage(entry.hrPath);
    const hr = modCrop(decoded, scale);
    if (hr.height < scale || hr.width < scale) {
      throw new MfnasError("invalid_input", `${entry.hrPath}: ${decoded.height}x${decoded.width} is below x${scale}`, {
        path: entry.hrPath,
      });
    }
    if (entry.lrPath === undefined) {
      return { name: entry.name, hr, lr: bicubicDownscale(hr, scale, { rounding: options.lrRounding ?? "none" }) };
    }
    const lr = await readImage(entry.lrPath);
    if (lr.height * scale !== hr.height || lr.width * scale !== hr.width) {
      throw sizeMismatch(entry, scale, [decoded.height, decoded.width], [lr.height, lr.width]);
    }
    return { name: entry.name, hr, lr };
  };
  return {
    root,
    scale,
    layout,
    entries,
    load(index: number): Promise<SrPair> {
      const entry = entries[index];
      if (!Number.isInteger(index) || entry === undefined) {
        return Promise.reject(
          new MfnasError("invalid_input", `dataset ${root}: index ${index} outside 0..${entries.length - 1}`, {
            index,
          }),
        );
      }
      return cache.get(index, () => loadPair(entry));
    },
  };
}

/** Every .png/.jpg/.jpeg under `root` (recursively, sorted by relative path) as HR; LR made by bicubic imresize. */
export async function openImageFolderDataset(root: string, options: DatasetOptions): Promise<SrDataset> {
  checkScale(options.scale);
  const files = await listImages(root);
  if (files.length === 0) {
    throw new MfnasError("invalid_input", `${root}: no .png/.jpg/.jpeg images found`, { path: root });
  }
  const entries = files.map((hrPath) => ({ name: relative(root, hrPath).split(sep).join("/"), hrPath }));
  return createDataset(root, "hr-folder", entries, options);
}

/** A benchmark folder in any layout `resolveLayout` knows, paired by file name and size-checked. */
export async function openBenchmarkDataset(root: string, options: BenchmarkDatasetOptions): Promise<SrDataset> {
  checkScale(options.scale);
  const resolved = await resolveLayout(root, options.scale, options.split);
  if (options.validate ?? true) {
    // Headers only: cheap even for DIV2K, and a wrong pair is reported before training starts.
    await Promise.all(
      resolved.entries.map(async (entry) => {
        if (entry.lrPath === undefined) return;
        const [hr, lr] = await Promise.all([headerSize(entry.hrPath), headerSize(entry.lrPath)]);
        const s = options.scale;
        if (lr[0] * s !== hr[0] - (hr[0] % s) || lr[1] * s !== hr[1] - (hr[1] % s)) {
          throw sizeMismatch(entry, s, hr, lr);
        }
      }),
    );
  }
  return createDataset(resolved.root, resolved.layout, resolved.entries, options);
}

async function headerSize(path: string): Promise<[number, number]> {
  try {
    const { height, width } = await sharp(path).metadata();
    return [height, width];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new MfnasError("invalid_input", `${path}: cannot read image header (${why})`, { path }, { cause: error });
  }
}
