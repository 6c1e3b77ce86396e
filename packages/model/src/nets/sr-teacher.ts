/**
 * The teacher a supernet distils from, whatever it is: a pretrained TF.js layers model shipped by an installed npm
 * package (`loadPackageTeacher`, esrgan-thick by default) or BasicSR's RRDBNet from safetensors (`rrdbNetTeacher`).
 * Both take and return NHWC RGB in [0, 1] here (a model with another range is scaled around), and both expose their
 * block outputs for feature distillation.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { MfnasError, TEACHER_PACKAGES, esrganCost, type TeacherPackageName } from "@mfnas/core";
import type { Tensor4D, Tf } from "../tf.ts";
import { LayersModelNet, parseLayersModel, readLayersModel, type LayersModelFiles } from "./layers-model.ts";
import type { RrdbNet } from "./rrdbnet.ts";

/** The block outputs a teacher exposes for feature distillation. */
export interface TeacherFeatures {
  /** Number of block outputs, in depth order. */
  readonly count: number;
  readonly channels: number;
  /** LR side / feature side: 1 when they are at LR size (2 for x2 RRDBNet, which pixel-unshuffles its input). */
  readonly downscale: number;
}

export interface TeacherOutput {
  /** SR output [N, scale*H, scale*W, 3] in [0, 1]. */
  readonly sr: Tensor4D;
  /** Every block output (empty unless asked for). */
  readonly blocks: Tensor4D[];
}

export interface SrTeacher {
  /** Stable identity of the model and its weights (package and version, or weights sha256) and scale. */
  readonly identity: string;
  readonly scale: number;
  readonly features: TeacherFeatures | undefined;
  /** Weights + biases, and multiply-accumulates per LR input pixel. */
  readonly cost: { readonly params: number; readonly macsPerLrPixel: number };
  /** Runs the frozen teacher on an LR batch in [0, 1]. The caller disposes the tensors returned. */
  run(tf: Tf, lr: Tensor4D, withFeatures: boolean): TeacherOutput;
  dispose(): void;
}

/** BasicSR RRDBNet weights (already loaded into `net`) as a teacher; `weightsSha256` names them in its identity. */
export function rrdbNetTeacher(net: RrdbNet, weightsSha256: string): SrTeacher {
  const { blocks, channels, growth, scale } = net.config;
  // MACs grow with the input area exactly (all convs are 'same'), so any even size gives the per-pixel figure.
  const macs = esrganCost(64, 64, { blocks, channels, growth, scale }).macs / (64 * 64);
  return {
    identity: `rrdbnet:${weightsSha256}:b${blocks}c${channels}g${growth}:x${scale}`,
    scale,
    features: { count: blocks, channels, downscale: scale === 2 ? 2 : 1 },
    cost: { params: net.paramCount(), macsPerLrPixel: macs },
    run(tf, lr, withFeatures) {
      return withFeatures ? net.forwardWithFeatures(tf, lr) : { sr: net.forward(tf, lr), blocks: [] };
    },
    dispose: () => net.dispose(),
  };
}

/** Folder of an installed npm package and its version (resolved like an import from this package). */
async function packageRoot(name: string): Promise<{ root: string; version: string }> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch (error) {
    throw new MfnasError(
      "not_found",
      `teacher.package: ${name} is not installed (npm ci installs it with the project)`,
      { package: name },
      { cause: error },
    );
  }
  // The package's exports map hides package.json, so walk up from its entry point.
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const json = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (json.name === name) return { root: dir, version: json.version ?? "0.0.0" };
    } catch {
      // not the package root yet
    }
  }
  throw new MfnasError("not_found", `teacher.package: cannot find the root folder of ${name}`, { package: name });
}

/** A layers model as a teacher. `featureLayer(k)` names block k's output (1-based); `valueRange` its pixel range. */
export function layersModelTeacher(
  net: LayersModelNet,
  options: { identity: string; valueRange: readonly [0, number]; featureLayer?: (k: number) => string },
): SrTeacher {
  const { params, macsPerInputPixel, scale, outputChannels } = net.cost();
  if (outputChannels !== 3) {
    net.dispose();
    throw new MfnasError("invalid_input", `teacher: the model outputs ${outputChannels} channels, not RGB`, {
      path: "teacher",
    });
  }
  const names: string[] = [];
  if (options.featureLayer) {
    for (let k = 1; net.channelsOf(options.featureLayer(k)) !== undefined; k++) names.push(options.featureLayer(k));
  }
  const first = names[0];
  const features =
    first === undefined
      ? undefined
      : {
          count: names.length,
          channels: net.channelsOf(first) ?? 0,
          downscale: 1 / (net.factorOf(first) ?? 1),
        };
  const peak = options.valueRange[1];
  return {
    identity: options.identity,
    scale,
    features,
    cost: { params, macsPerLrPixel: macsPerInputPixel },
    run(tf, lr, withFeatures) {
      const input: Tensor4D = peak === 1 ? lr : tf.mul(lr, peak);
      let out: Map<string, Tensor4D>;
      try {
        out = net.run(tf, input, withFeatures ? names : []);
      } finally {
        if (input !== lr) input.dispose();
      }
      let sr = out.get(net.outputName) as Tensor4D;
      if (peak !== 1) {
        const raw = sr;
        sr = tf.div<Tensor4D>(raw, peak);
        raw.dispose();
      }
      return { sr, blocks: withFeatures ? names.map((n) => out.get(n) as Tensor4D) : [] };
    },
    dispose: () => net.dispose(),
  };
}

/** Builds a layers teacher from read files, checking its scale; errors name the config field. */
function checkedLayersTeacher(
  tf: Tf,
  files: LayersModelFiles,
  scale: number,
  options: { identity: string; valueRange: readonly [0, number]; featureLayer?: (k: number) => string },
): SrTeacher {
  const net = new LayersModelNet(tf, files);
  const factor = net.cost().scale;
  if (factor !== scale) {
    net.dispose();
    throw new MfnasError("invalid_input", `teacher.scale: the model upscales by ${factor}, not ${scale}`, {
      path: "teacher.scale",
    });
  }
  return layersModelTeacher(net, options);
}

/**
 * The x`scale` model of an installed teacher package (`TEACHER_PACKAGES`), read from the package's
 * models/x{scale}/model.json: nothing is downloaded. Its scale, input convention and outputs are checked against
 * the model's layers; errors name the config field (`teacher.package`, `teacher.scale`).
 */
export async function loadPackageTeacher(tf: Tf, name: TeacherPackageName, scale: number): Promise<SrTeacher> {
  const known = TEACHER_PACKAGES[name];
  if (!(known.scales as readonly number[]).includes(scale)) {
    throw new MfnasError("invalid_input", `teacher.scale: ${name} has no x${scale} model`, { path: "teacher.scale" });
  }
  const { root, version } = await packageRoot(name);
  try {
    const files = await readLayersModel(join(root, "models", `x${scale}`));
    return checkedLayersTeacher(tf, files, scale, {
      identity: `tfjs-layers:${name}@${version}:x${scale}`,
      valueRange: known.valueRange,
      featureLayer: known.featureLayer,
    });
  } catch (error) {
    if (error instanceof MfnasError && error.message.startsWith("teacher.")) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new MfnasError("invalid_input", `teacher.package: ${name}@${version} x${scale}: ${why}`, {
      path: "teacher.package",
    });
  }
}

/** Options of `loadArtifactTeacher`. */
export interface ArtifactTeacherOptions {
  /** sha256 of the model.json artifact (the teacher's identity). */
  readonly sha256: string;
  readonly scale: number;
  /** Pixel range the model takes and returns. Default [0, 1]. */
  readonly valueRange?: readonly [0, number];
  /** Block k's output layer name with `{k}` for 1, 2, ...; absent: no block outputs. */
  readonly featureLayers?: string;
  /** Reads an artifact by its sha256 (the model.json's weight paths are shard artifacts' digests). */
  readonly read: (sha256: string) => Promise<Uint8Array>;
}

/**
 * A layers model uploaded to the artifact store: model.json whose weight paths are the shards' sha256s. Errors name
 * `teacher.artifact` (a missing artifact is `not_found`); a store error that is not about the artifact is rethrown
 * as it is, so a transient one stays transient.
 */
export async function loadArtifactTeacher(tf: Tf, options: ArtifactTeacherOptions): Promise<SrTeacher> {
  const field = "teacher.artifact";
  const read = async (sha: string): Promise<Uint8Array> => {
    try {
      return await options.read(sha);
    } catch (error) {
      if (error instanceof MfnasError && (error.code === "not_found" || error.code === "conflict")) {
        throw new MfnasError(error.code === "not_found" ? "not_found" : "invalid_input", `${field}: ${error.message}`, {
          path: field,
        });
      }
      throw error;
    }
  };
  try {
    const text = new TextDecoder().decode(await read(options.sha256));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MfnasError("invalid_input", `${field}: artifact ${options.sha256} is not a model.json`, {
        path: field,
      });
    }
    const files = await parseLayersModel(json, `artifact ${options.sha256}`, (path) => {
      if (!/^[0-9a-f]{64}$/.test(path)) {
        throw new MfnasError("invalid_input", `weight path ${path} is not the sha256 of an uploaded shard`);
      }
      return read(path);
    });
    const template = options.featureLayers;
    return checkedLayersTeacher(tf, files, options.scale, {
      identity: `tfjs-layers:artifact:${options.sha256}:x${options.scale}`,
      valueRange: options.valueRange ?? [0, 1],
      ...(template ? { featureLayer: (k: number) => template.replaceAll("{k}", String(k)) } : {}),
    });
  } catch (error) {
    if (error instanceof MfnasError && (error.message.startsWith("teacher.") || error.code === "transient"))
      throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new MfnasError("invalid_input", `${field}: ${why}`, { path: field });
  }
}
