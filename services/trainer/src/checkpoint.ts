/**
 * One training checkpoint as one safetensors file: every weight (supernet, adapters, both discriminators) and
 * every Adam moment as float32, plus a JSON metadata entry with what is not a tensor (step, optimizer iteration
 * counters, the sampler's and the subnet sampler's RNG states, the config hash). Float32 round-trips exactly, so
 * a run resumed from it computes bit for bit what the uninterrupted run would have.
 */
import { MfnasError, type RngState } from "@mfnas/core";
import { readSafetensors, toFloat32, writeSafetensors, type PatchSamplerState, type Tf } from "@mfnas/model";
import type { TrainingState } from "./training-state.ts";

const METADATA_KEY = "mfnas.checkpoint";

export interface CheckpointMeta {
  readonly format: 1;
  /** Steps finished; training continues at this (0-based) step index. */
  readonly step: number;
  readonly configHash: string;
  readonly iterations: { readonly generator: number; readonly dTeacher: number; readonly dStudent: number };
  readonly sampler: PatchSamplerState;
  readonly genomeRng: RngState;
}

export async function encodeCheckpoint(state: TrainingState, meta: CheckpointMeta): Promise<Uint8Array> {
  const tensors = await Promise.all(
    state.tensors().map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })),
  );
  return writeSafetensors(tensors, { [METADATA_KEY]: JSON.stringify(meta) });
}

/** Loads a checkpoint into `state` (checked whole before anything is assigned) and returns its metadata. */
export function restoreCheckpoint(tf: Tf, state: TrainingState, bytes: Uint8Array, configHash: string): CheckpointMeta {
  const file = readSafetensors(bytes);
  const raw = file.metadata[METADATA_KEY];
  if (raw === undefined) throw new MfnasError("invalid_input", `checkpoint: no ${METADATA_KEY} metadata entry`);
  const meta = JSON.parse(raw) as CheckpointMeta;
  if (meta.configHash !== configHash) {
    throw new MfnasError(
      "conflict",
      `checkpoint at step ${meta.step} was written with another training config (${meta.configHash.slice(0, 12)}, now ${configHash.slice(0, 12)})`,
    );
  }
  const values = state.tensors().map(([name, v]) => {
    const t = file.tensors.get(name);
    if (!t || t.shape.join(",") !== v.shape.join(",")) {
      throw new MfnasError("invalid_input", `checkpoint: tensor "${name}" missing or of another shape`, {
        tensor: name,
      });
    }
    return [v, toFloat32(t)] as const;
  });
  tf.tidy(() => {
    for (const [v, data] of values) v.assign(tf.tensor(data, v.shape, "float32"));
  });
  const o = state.optimizers;
  o.generator.iteration = meta.iterations.generator;
  o.dTeacher.iteration = meta.iterations.dTeacher;
  o.dStudent.iteration = meta.iterations.dStudent;
  return meta;
}
