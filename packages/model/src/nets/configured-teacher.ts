/**
 * The teacher a training config names, loaded and checked: the one place that turns `config.teacher` into an
 * `SrTeacher`, used by the trainer (distillation) and the evaluator (the teacher panel of sample crops).
 */
import { MfnasError, errorMessage, type TrainingConfig } from "@mfnas/core";
import type { Tf } from "../tf.ts";
import { RrdbNet } from "./rrdbnet.ts";
import { loadWeights } from "./safetensors-weights.ts";
import { loadArtifactTeacher, loadPackageTeacher, rrdbNetTeacher, type SrTeacher } from "./sr-teacher.ts";

/** Reads an artifact by sha256; a missing one is a `not_found` MfnasError, anything else is rethrown as it is. */
export type ArtifactRead = (sha256: string) => Promise<Uint8Array>;

/** Re-throws `error` as a permanent error whose message names `field`. */
function at(field: string, error: unknown): never {
  const code = error instanceof MfnasError && error.code === "not_found" ? "not_found" : "invalid_input";
  throw new MfnasError(code, `${field}: ${errorMessage(error)}`, { path: field }, { cause: error });
}

/**
 * Loads `config.teacher` at `config.scale`. Errors name the field at fault (`teacher.package`, `teacher.artifact`,
 * `teacher.scale`, `teacher.weights`) and are permanent; a store error that is not about the artifact (a disk
 * hiccup) is rethrown as it is, so it stays transient.
 */
export async function loadConfiguredTeacher(
  tf: Tf,
  config: Pick<TrainingConfig, "teacher" | "scale">,
  read: ArtifactRead,
): Promise<SrTeacher> {
  const spec = config.teacher;
  if (spec.kind === "tfjs-layers") {
    if (spec.package !== undefined) return loadPackageTeacher(tf, spec.package, config.scale);
    return loadArtifactTeacher(tf, {
      sha256: spec.artifact ?? "",
      scale: config.scale,
      ...(spec.valueRange ? { valueRange: spec.valueRange } : {}),
      ...(spec.featureLayers ? { featureLayers: spec.featureLayers } : {}),
      read,
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = await read(spec.weights);
  } catch (error) {
    if (error instanceof MfnasError && (error.code === "not_found" || error.code === "conflict")) {
      at("teacher.weights", error);
    }
    throw error;
  }
  const { blocks, channels, growth } = spec;
  const net = new RrdbNet(tf, { blocks, channels, growth, scale: config.scale });
  try {
    // loadWeights checks every tensor's presence and shape before assigning, naming the first wrong one.
    loadWeights(tf, net.params, bytes);
  } catch (error) {
    net.dispose();
    at("teacher.weights", error);
  }
  return rrdbNetTeacher(net, spec.weights);
}
