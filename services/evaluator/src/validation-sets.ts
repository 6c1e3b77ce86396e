/**
 * Validation sets by name: `bundled:val` is the procedural image set bundled with @mfnas/model, a built-in
 * dataset name (`photos-val`: the real photographs shipped with @mfnas/model; see BUILTIN_DATASETS) is that set,
 * and any other name is a folder (one or more `/`-separated segments of letters, digits, '.', '_' and '-', none starting with '.') under the
 * configured validation root, read in any layout the benchmark loader knows (HR only, Set5-style HR/LR, DIV2K).
 * Each set's images are decoded once per scale and kept, cropped so their LR sides divide by 4 (the down4
 * branch) and their HR sides match.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { MfnasError, isBuiltinDataset, type Scale } from "@mfnas/core";
import {
  builtinDatasetDir,
  cropImage,
  openBenchmarkDataset,
  openDataset as openNamedDataset,
  openImageFolderDataset,
  sampleImageDirs,
  type RgbImage,
  type SrDataset,
} from "@mfnas/model";

export const BUNDLED_VALIDATION_SET = "bundled:val";
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** LR sides must divide by the largest pooling factor of any branch. */
const LR_MULTIPLE = 4;

/** One validation image, cropped so every genome of the space can run on its LR. */
export interface ValidationImage {
  readonly name: string;
  readonly lr: RgbImage;
  readonly hr: RgbImage;
}

export interface ValidationSet {
  readonly name: string;
  readonly scale: Scale;
  readonly images: readonly ValidationImage[];
}

/** The folder a validation set name stands for; `invalid_input` for a name that could leave the root. */
export function validationSetDir(name: string, root: string | undefined): string {
  if (name === BUNDLED_VALIDATION_SET) return sampleImageDirs().val;
  if (isBuiltinDataset(name)) return builtinDatasetDir(name);
  const invalid = (why: string) =>
    new MfnasError("invalid_input", `validationSet ${JSON.stringify(name)}: ${why}`, { path: "validationSet" });
  if (name.startsWith("bundled:")) throw invalid(`the bundled set is called ${BUNDLED_VALIDATION_SET}`);
  if (!name.split("/").every((segment) => SEGMENT.test(segment))) {
    throw invalid("must be a folder under the validation root: '/'-separated names without '..', '.' first or '\\'");
  }
  if (root === undefined) throw invalid("no validation root is configured (EVALUATOR_VALIDATION_ROOT)");
  const base = path.resolve(root);
  const dir = path.resolve(base, name);
  if (path.relative(base, dir).startsWith("..")) throw invalid("resolves outside the validation root");
  return dir;
}

async function openDataset(name: string, dir: string, scale: Scale): Promise<SrDataset> {
  if (name === BUNDLED_VALIDATION_SET) return openImageFolderDataset(dir, { scale });
  if (isBuiltinDataset(name)) return openNamedDataset(name, { scale });
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new MfnasError("not_found", `validationSet ${JSON.stringify(name)}: no folder ${dir}`, {
      path: "validationSet",
    });
  }
  return openBenchmarkDataset(dir, { scale });
}

/** Reads validation sets by name and scale, each once (concurrent first reads share one load). */
export class ValidationSets {
  readonly #loaded = new Map<string, Promise<ValidationSet>>();

  constructor(private readonly root: string | undefined) {}

  /** Checks a name without reading anything; throws what `get` would throw for the name itself. */
  check(name: string): void {
    validationSetDir(name, this.root);
  }

  get(name: string, scale: Scale): Promise<ValidationSet> {
    const key = `${scale}\u0000${name}`;
    let set = this.#loaded.get(key);
    if (!set) {
      set = this.#load(name, scale);
      this.#loaded.set(key, set);
      // A failed read is not kept: the folder may appear later.
      void set.catch(() => this.#loaded.delete(key));
    }
    return set;
  }

  async #load(name: string, scale: Scale): Promise<ValidationSet> {
    const dataset = await openDataset(name, validationSetDir(name, this.root), scale);
    const images: ValidationImage[] = [];
    for (let i = 0; i < dataset.entries.length; i++) {
      const pair = await dataset.load(i);
      const h = pair.lr.height - (pair.lr.height % LR_MULTIPLE);
      const w = pair.lr.width - (pair.lr.width % LR_MULTIPLE);
      if (h === 0 || w === 0) {
        throw new MfnasError("invalid_input", `${pair.name}: LR ${pair.lr.height}x${pair.lr.width} is below 4x4`, {
          path: "validationSet",
        });
      }
      images.push({
        name: pair.name,
        lr: cropImage(pair.lr, 0, 0, h, w),
        hr: cropImage(pair.hr, 0, 0, h * scale, w * scale),
      });
    }
    return { name, scale, images };
  }
}
