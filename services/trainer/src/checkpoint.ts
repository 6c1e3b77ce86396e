/**
 * One training checkpoint as one safetensors file (the format of @mfnas/model's supernet checkpoints): every weight
 * (supernet, adapters, both discriminators) and every Adam moment as float32, plus the metadata entry with what is
 * not a tensor (step, optimizer iteration counters, the sampler's and the subnet sampler's RNG states, the config
 * hash, the worker count). Float32 round-trips exactly, so a run resumed from it computes bit for bit what the uninterrupted run
 * would have.
 */
import { MfnasError, type RngState } from "@mfnas/core";
import {
  checkpointTensor,
  decodeSupernetCheckpoint,
  encodeSupernetCheckpoint,
  type CheckpointHeader,
  type PatchSamplerState,
  type Tf,
} from "@mfnas/model";
import type { TrainingState } from "./training-state.ts";

export interface CheckpointMeta extends CheckpointHeader {
  /** Steps finished; training continues at this (0-based) step index. */
  readonly step: number;
  readonly configHash: string;
  readonly iterations: { readonly generator: number; readonly dTeacher: number; readonly dStudent: number };
  readonly sampler: PatchSamplerState;
  readonly genomeRng: RngState;
  /** Worker threads the run splits each batch over (absent in checkpoints from before data-parallel training: 1). */
  readonly workers?: number;
}

export function encodeCheckpoint(state: TrainingState, meta: CheckpointMeta): Promise<Uint8Array> {
  return encodeSupernetCheckpoint(state.tensors(), meta);
}

/** Loads a checkpoint into `state` (checked whole before anything is assigned) and returns its metadata. */
export function restoreCheckpoint(tf: Tf, state: TrainingState, bytes: Uint8Array, configHash: string): CheckpointMeta {
  const file = decodeSupernetCheckpoint<CheckpointMeta>(bytes);
  const { meta } = file;
  if (meta.configHash !== configHash) {
    throw new MfnasError(
      "conflict",
      `checkpoint at step ${meta.step} was written with another training config (${meta.configHash.slice(0, 12)}, now ${configHash.slice(0, 12)})`,
    );
  }
  const values = state.tensors().map(([name, v]) => [v, checkpointTensor(file, name, v.shape)] as const);
  tf.tidy(() => {
    for (const [v, data] of values) v.assign(tf.tensor(data, v.shape, "float32"));
  });
  const o = state.optimizers;
  o.generator.iteration = meta.iterations.generator;
  o.dTeacher.iteration = meta.iterations.dTeacher;
  o.dStudent.iteration = meta.iterations.dStudent;
  return meta;
}
