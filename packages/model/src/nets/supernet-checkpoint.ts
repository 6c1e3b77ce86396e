/**
 * The supernet checkpoint format: one safetensors file of float32 tensors under stable names plus one JSON
 * metadata entry (`mfnas.checkpoint`) holding at least the format version and the training step. The supernet's
 * weights are stored as `supernet/<param name>` (`supernet/conv_first.weight`, ...); whoever writes a checkpoint
 * (the trainer) may add its own tensors under other prefixes (adapters, discriminators, optimizer moments) and its
 * own metadata fields. Readers that need only the generator (an evaluator) decode the `supernet/` tensors alone,
 * checked against the layer layout of the supernet's search space.
 */
import { COST_MODEL_VERSION, MfnasError, parseSearchSpace, type SearchSpace } from "@mfnas/core";
import type { Tensor, Tf, Variable } from "../tf.ts";
import { MfaSupernet, supernetConvSpecs } from "./mfa-supernet.ts";
import { readSafetensors, toFloat32, writeSafetensors, type SafetensorsTensor } from "./safetensors.ts";

/** The safetensors metadata key of a checkpoint's JSON header. */
export const CHECKPOINT_METADATA_KEY = "mfnas.checkpoint";
/** Name prefix of the supernet's weights in a checkpoint. */
export const SUPERNET_TENSOR_PREFIX = "supernet/";

/** What every checkpoint's metadata holds; writers extend it with their own fields. */
export interface CheckpointHeader {
  readonly format: 1;
  /** Training steps finished when the checkpoint was written. */
  readonly step: number;
}

/** A decoded checkpoint: its metadata and every tensor by name, not yet converted. */
export interface CheckpointFile<Meta extends CheckpointHeader = CheckpointHeader> {
  readonly meta: Meta;
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
}

/** One weight of a decoded supernet, HWIO for kernels. */
export interface SupernetWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The supernet's parameters under their checkpoint names, in creation order. */
export function supernetCheckpointEntries(supernet: MfaSupernet): [string, Variable][] {
  return supernet.params.entries().map(([name, v]) => [`${SUPERNET_TENSOR_PREFIX}${name}`, v]);
}

/**
 * The generator architecture a checkpoint's weights belong to: the cost model's version, which changes whenever
 * the architecture does (e.g. the output skip). Weights of another architecture can have the very same names and
 * shapes and still mean something else, so readers refuse them, except those of `LOADABLE_ARCHITECTURES`.
 */
export const GENERATOR_ARCHITECTURE = COST_MODEL_VERSION;

/**
 * Earlier architectures whose checkpoints still load. mfa-cost-2 differs only in the parameter-free output skip
 * (bilinear, now MATLAB bicubic): every weight means what it meant, so its supernets resume and evaluate; their
 * residuals were learned over bilinear upsampling, so outputs shift by the small bilinear-bicubic difference
 * until training goes on.
 */
export const LOADABLE_ARCHITECTURES: readonly string[] = [GENERATOR_ARCHITECTURE, "mfa-cost-2"];

/** Checkpoint bytes of named tensors (read back to float32) and the metadata, stamped with the architecture. */
export async function encodeSupernetCheckpoint<Meta extends CheckpointHeader>(
  tensors: readonly (readonly [string, Tensor])[],
  meta: Meta,
): Promise<Uint8Array> {
  const values = await Promise.all(
    tensors.map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })),
  );
  const header = { ...meta, architecture: GENERATOR_ARCHITECTURE };
  return writeSafetensors(values, { [CHECKPOINT_METADATA_KEY]: JSON.stringify(header) });
}

/** Parses checkpoint bytes; an `invalid_input` error when they are not a checkpoint of a known format. */
export function decodeSupernetCheckpoint<Meta extends CheckpointHeader = CheckpointHeader>(
  bytes: Uint8Array,
): CheckpointFile<Meta> {
  const file = readSafetensors(bytes);
  const raw = file.metadata[CHECKPOINT_METADATA_KEY];
  if (raw === undefined) {
    throw new MfnasError("invalid_input", `checkpoint: no ${CHECKPOINT_METADATA_KEY} metadata entry`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch (cause) {
    throw new MfnasError("invalid_input", `checkpoint: ${CHECKPOINT_METADATA_KEY} is not JSON`, {}, { cause });
  }
  const header = meta as (Partial<CheckpointHeader> & { architecture?: unknown }) | null;
  if (header?.format !== 1 || !Number.isInteger(header.step)) {
    throw new MfnasError("invalid_input", "checkpoint: metadata lacks format 1 and an integer step", { meta });
  }
  if (typeof header.architecture !== "string" || !LOADABLE_ARCHITECTURES.includes(header.architecture)) {
    const found = typeof header.architecture === "string" ? header.architecture : "none recorded";
    throw new MfnasError(
      "invalid_input",
      `checkpoint: its weights belong to generator architecture ${found}, this code runs ${GENERATOR_ARCHITECTURE}; ` +
        "train the supernet again",
      { architecture: header.architecture ?? null, expected: GENERATOR_ARCHITECTURE },
    );
  }
  return { meta: meta as Meta, tensors: file.tensors };
}

/** The float32 data of checkpoint tensor `name`, checked to have `shape`. */
export function checkpointTensor(file: CheckpointFile, name: string, shape: readonly number[]): Float32Array {
  const t = file.tensors.get(name);
  if (!t || t.shape.join(",") !== shape.join(",")) {
    throw new MfnasError("invalid_input", `checkpoint: tensor "${name}" missing or of another shape`, {
      tensor: name,
    });
  }
  return toFloat32(t);
}

/**
 * The supernet weights of a checkpoint for search space `space`, by parameter name (`conv_first.weight`, ...),
 * every layer of the space's supernet checked present with its shape. Other tensors are ignored.
 */
export function decodeSupernetWeights(
  bytes: Uint8Array,
  space: SearchSpace,
): { header: CheckpointHeader; weights: Map<string, SupernetWeight> } {
  const file = decodeSupernetCheckpoint(bytes);
  const weights = new Map<string, SupernetWeight>();
  for (const s of supernetConvSpecs(parseSearchSpace(space))) {
    for (const [suffix, shape] of [
      ["weight", [s.kernel, s.kernel, s.cin, s.cout]],
      ["bias", [s.cout]],
    ] as const) {
      const name = `${s.name}.${suffix}`;
      weights.set(name, { shape, data: checkpointTensor(file, `${SUPERNET_TENSOR_PREFIX}${name}`, shape) });
    }
  }
  return { header: { format: file.meta.format, step: file.meta.step }, weights };
}

/** An `MfaSupernet` over `space` holding decoded weights (see `decodeSupernetWeights`). The caller disposes it. */
export function supernetFromWeights(
  tf: Tf,
  space: SearchSpace,
  weights: ReadonlyMap<string, SupernetWeight>,
): MfaSupernet {
  const supernet = new MfaSupernet(tf, space);
  try {
    tf.tidy(() => {
      for (const [name, v] of supernet.params.entries()) {
        const w = weights.get(name);
        if (!w || w.shape.join(",") !== v.shape.join(",")) {
          throw new MfnasError("invalid_input", `supernet weights: "${name}" missing or of another shape`, {
            tensor: name,
          });
        }
        v.assign(tf.tensor(w.data, v.shape, "float32"));
      }
    });
  } catch (error) {
    supernet.dispose();
    throw error;
  }
  return supernet;
}
