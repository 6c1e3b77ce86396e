/**
 * Everything a training run needs, validated before anything is written: the config, the space, both image
 * folders, the teacher weights (present, and of the configured shape) and the optional VGG19 weights. Each error
 * is an `invalid_input` / `not_found` MfnasError whose message starts with the config field at fault.
 */
import { createHash } from "node:crypto";
import {
  DEFAULT_SEARCH_SPACE,
  canonicalJson,
  datasetArtifactSha,
  MfnasError,
  errorMessage,
  narrowSpace,
  parseTrainingConfig,
  type SearchSpace,
  type TrainingConfig,
} from "@mfnas/core";
import {
  Vgg19Features,
  loadConfiguredTeacher,
  openDataset,
  type SrDataset,
  type SrTeacher,
  type Tf,
} from "@mfnas/model";
import { unpackedDataset } from "./dataset-cache.ts";
import type { ArtifactPort } from "./trainer-store.ts";

export interface PreparedRun {
  readonly config: TrainingConfig;
  /** sha256 of the validated config: a checkpoint is only resumed under the config that wrote it. */
  readonly configHash: string;
  readonly space: SearchSpace;
  readonly train: SrDataset;
  readonly val: SrDataset;
  /** The frozen teacher (a package's TF.js layers model, or RRDBNet weights from an artifact). */
  readonly teacher: SrTeacher;
  /** Absent when no VGG19 weights are configured: the perceptual loss is then off. */
  readonly vgg: Vgg19Features | undefined;
}

/** Re-throws `error` as a permanent error whose message names `field`. */
function at(field: string, error: unknown): never {
  const code = error instanceof MfnasError && error.code === "not_found" ? "not_found" : "invalid_input";
  throw new MfnasError(code, `${field}: ${errorMessage(error)}`, { path: field }, { cause: error });
}

/** Options of `prepareRun`. */
export interface PrepareOptions {
  /**
   * Folder uploaded dataset archives ("artifact:<sha256>" datasets) are unpacked into, one subfolder per archive.
   * Unset: a config naming such a dataset fails, naming the field.
   */
  readonly datasetCacheDir?: string;
}

/**
 * Opens a configured dataset (built-in name, "bundled", a folder or an uploaded archive, unpacked into the dataset
 * cache); every image must hold one training patch.
 */
async function openData(
  field: "data.train" | "data.val",
  ref: string,
  config: TrainingConfig,
  artifacts: ArtifactPort,
  options: PrepareOptions,
): Promise<SrDataset> {
  let name = ref === "bundled" ? (field === "data.train" ? "sample-train" : "sample-val") : ref;
  const archive = datasetArtifactSha(ref);
  if (archive !== undefined) {
    if (options.datasetCacheDir === undefined) {
      at(field, "uploaded datasets need a dataset cache folder, and this trainer has none");
    }
    try {
      name = await unpackedDataset(options.datasetCacheDir, archive, () => artifacts.get(archive));
    } catch (error) {
      const permanent = ["not_found", "conflict", "invalid_input"];
      if (error instanceof MfnasError && permanent.includes(error.code)) at(field, error);
      throw error; // a disk hiccup is transient
    }
  }
  try {
    return await openDataset(name, { scale: config.scale, minSide: field === "data.train" ? config.patchSize : 0 });
  } catch (error) {
    return at(field, error);
  }
}

async function loadArtifact(field: string, artifacts: ArtifactPort, sha256: string): Promise<Uint8Array> {
  try {
    return await artifacts.get(sha256);
  } catch (error) {
    if (error instanceof MfnasError && (error.code === "not_found" || error.code === "conflict")) at(field, error);
    throw error; // anything else (a disk hiccup) is transient
  }
}

export async function prepareRun(
  tf: Tf,
  rawConfig: unknown,
  artifacts: ArtifactPort,
  options: PrepareOptions = {},
): Promise<PreparedRun> {
  const config = parseTrainingConfig(rawConfig);
  let space: SearchSpace;
  try {
    space = config.space ? narrowSpace(DEFAULT_SEARCH_SPACE, config.space) : DEFAULT_SEARCH_SPACE;
  } catch (error) {
    at("space", error);
  }
  if (!space.scales.includes(config.scale)) {
    at("scale", `${config.scale} is not a scale of the space (${space.scales.join(", ")})`);
  }
  const [train, val] = [
    await openData("data.train", config.data.train, config, artifacts, options),
    await openData("data.val", config.data.val, config, artifacts, options),
  ];
  const vggBytes = config.vggWeights ? await loadArtifact("vggWeights", artifacts, config.vggWeights) : undefined;
  const teacher = await loadConfiguredTeacher(tf, config, (sha) => artifacts.get(sha));
  let vgg: Vgg19Features | undefined;
  try {
    if (vggBytes) {
      vgg = new Vgg19Features(tf);
      try {
        vgg.load(tf, vggBytes);
      } catch (error) {
        at("vggWeights", error);
      }
    }
  } catch (error) {
    teacher.dispose();
    vgg?.dispose();
    throw error;
  }
  // Canonical JSON: the config read back from Postgres (JSONB reorders keys) must hash like the one submitted.
  const configHash = createHash("sha256").update(canonicalJson(config)).digest("hex");
  return { config, configHash, space, train, val, teacher, vgg };
}
