/**
 * Loading a network's `ParamStore` from a safetensors file and saving it to one, name for name. In PyTorch layout
 * (the default) conv weights are stored OIHW, as BasicSR checkpoints hold them, and transposed to and from tfjs's
 * HWIO here; biases and other ranks are stored as they are.
 */
import { MfnasError } from "@mfnas/core";
import type { Tf } from "../tf.ts";
import type { ParamStore } from "./params.ts";
import { readSafetensors, toFloat32, writeSafetensors, type SafetensorsInput } from "./safetensors.ts";

/** "pytorch": 4-D weights stored OIHW; "tfjs": stored HWIO, as in memory. */
export type WeightLayout = "pytorch" | "tfjs";

export interface LoadWeightsOptions {
  /** Layout of 4-D (conv) weights in the file. Default "pytorch". */
  layout?: WeightLayout;
  /** Ignore tensors the network does not have (e.g. a checkpoint of a larger model) instead of failing. Default false. */
  allowExtra?: boolean;
}

export interface SaveWeightsOptions {
  /** Layout of 4-D (conv) weights in the file. Default "pytorch". */
  layout?: WeightLayout;
  /** String key/values stored in the header's `__metadata__` (e.g. the genome, the training step). Default none. */
  metadata?: Record<string, string>;
}

/** [a, b, c, d] -> values permuted so that axis order becomes `order`; both sides row-major. */
function permute4(
  data: Float32Array,
  shape: readonly number[],
  order: readonly [number, number, number, number],
): Float32Array {
  const [, d1, d2, d3] = shape as [number, number, number, number];
  const strides = [d1 * d2 * d3, d2 * d3, d3, 1];
  const outShape = order.map((axis) => shape[axis] ?? 0);
  const [s0, s1, s2, s3] = order.map((axis) => strides[axis] ?? 0) as [number, number, number, number];
  const [n0, n1, n2, n3] = outShape as [number, number, number, number];
  const out = new Float32Array(data.length);
  let k = 0;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let c = 0; c < n2; c++) for (let d = 0; d < n3; d++) out[k++] = data[a * s0 + b * s1 + c * s2 + d * s3] ?? 0;
  return out;
}

const HWIO_TO_OIHW = [3, 2, 0, 1] as const;
const OIHW_TO_HWIO = [2, 3, 1, 0] as const;

function fileShape(shape: readonly number[], layout: WeightLayout): number[] {
  return layout === "pytorch" && shape.length === 4 ? HWIO_TO_OIHW.map((axis) => shape[axis] ?? 0) : [...shape];
}

function describeShape(shape: readonly number[], layout: WeightLayout): string {
  return `[${shape.join(", ")}]${layout === "pytorch" && shape.length === 4 ? " (PyTorch OIHW)" : ""}`;
}

function listNames(names: string[]): string {
  return names.slice(0, 5).join(", ") + (names.length > 5 ? ` and ${names.length - 5} more` : "");
}

/**
 * Replaces every parameter of `params` with the file's tensor of the same name (float dtypes converted to float32).
 * Everything is checked before anything is assigned, so a failed load leaves the network as it was.
 */
export function loadWeights(tf: Tf, params: ParamStore, bytes: Uint8Array, options: LoadWeightsOptions = {}): void {
  const layout = options.layout ?? "pytorch";
  const file = readSafetensors(bytes);
  const wanted = params.entries();
  const missing = wanted.filter(([name]) => !file.tensors.has(name)).map(([name]) => name);
  if (missing.length > 0) {
    throw new MfnasError(
      "invalid_input",
      `safetensors: missing tensor${missing.length > 1 ? "s" : ""} ${listNames(missing)}`,
      {
        missing,
      },
    );
  }
  const extra = [...file.tensors.keys()].filter((name) => !params.has(name));
  if (extra.length > 0 && options.allowExtra !== true) {
    throw new MfnasError(
      "invalid_input",
      `safetensors: unexpected tensor${extra.length > 1 ? "s" : ""} ${listNames(extra)} (not parameters of this network)`,
      { extra },
    );
  }
  const values = wanted.map(([name, v]) => {
    const tensor = file.tensors.get(name);
    if (tensor === undefined) throw new Error("unreachable: checked above");
    const expected = fileShape(v.shape, layout);
    if (tensor.shape.join(",") !== expected.join(",")) {
      throw new MfnasError(
        "invalid_input",
        `safetensors: tensor "${name}": expected shape ${describeShape(expected, layout)}, got [${tensor.shape.join(", ")}]`,
        { tensor: name, expected, got: tensor.shape },
      );
    }
    const data = toFloat32(tensor);
    return layout === "pytorch" && v.rank === 4 ? permute4(data, tensor.shape, OIHW_TO_HWIO) : data;
  });
  tf.tidy(() => {
    wanted.forEach(([, v], i) => v.assign(tf.tensor(values[i] ?? new Float32Array(), v.shape, "float32")));
  });
}

/** A safetensors file of every parameter, in the store's order. */
export async function saveWeights(params: ParamStore, options: SaveWeightsOptions = {}): Promise<Uint8Array> {
  const layout = options.layout ?? "pytorch";
  const tensors: SafetensorsInput[] = [];
  for (const [name, v] of params.entries()) {
    const data = (await v.data()) as Float32Array;
    const pytorch = layout === "pytorch" && v.rank === 4;
    tensors.push({
      name,
      shape: fileShape(v.shape, layout),
      data: pytorch ? permute4(data, v.shape, HWIO_TO_OIHW) : data,
    });
  }
  return writeSafetensors(tensors, options.metadata);
}
