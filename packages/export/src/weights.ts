/**
 * The weights an export reads, and the layout changes between the SubGenerator's HWIO kernels and what each format
 * wants: TFLite OHWI, ONNX OIHW, TF.js HWIO as is. All functions copy; the caller's arrays are never modified.
 */
import { MfnasError } from "@mfnas/core";

/** One named tensor: a conv kernel in HWIO ([kh, kw, cin, cout]) or a bias ([cout]), row-major float32. */
export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * The SubGenerator's parameters by ParamStore name (`conv_first.weight`, `body.0.conv3.bias`, ...), as a Map or a
 * plain object.
 */
export type WeightMap = ReadonlyMap<string, WeightTensor> | Readonly<Record<string, WeightTensor>>;

/** A conv layer's kernel (HWIO) and bias after validation. */
export interface ConvParams {
  readonly weight: WeightTensor;
  readonly bias: WeightTensor;
}

/** A map view of either WeightMap form, so lookups never touch inherited object keys such as `constructor`. */
export function weightEntries(weights: WeightMap): Map<string, unknown> {
  if (weights instanceof Map) return new Map(weights as ReadonlyMap<string, unknown>);
  if (typeof weights !== "object" || weights === null) {
    throw new MfnasError("invalid_input", "weights: expected a Map or an object of named tensors");
  }
  return new Map(Object.entries(weights));
}

function isWeightTensor(value: unknown): value is WeightTensor {
  if (typeof value !== "object" || value === null) return false;
  const { shape, data } = value as { shape?: unknown; data?: unknown };
  return Array.isArray(shape) && shape.every((d) => typeof d === "number") && data instanceof Float32Array;
}

/**
 * Checks one tensor against its expected shape: a Float32Array of exactly the shape's size, finite values only
 * (a NaN in a file would surface on the phone as a black image, far from its cause).
 */
export function checkWeight(name: string, value: unknown, expected: readonly number[]): WeightTensor {
  if (value === undefined) throw new MfnasError("invalid_input", `${name}: missing weight`, { tensor: name });
  if (!isWeightTensor(value)) {
    throw new MfnasError("invalid_input", `${name}: expected {shape: number[], data: Float32Array}`, { tensor: name });
  }
  const t = value;
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new MfnasError(
      "invalid_input",
      `${name}: expected shape [${expected.join(", ")}], got [${t.shape.join(", ")}]`,
      { tensor: name, expected, shape: t.shape },
    );
  }
  const size = expected.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) {
    throw new MfnasError(
      "invalid_input",
      `${name}: shape [${expected.join(", ")}] needs ${size} values, got ${t.data.length}`,
      {
        tensor: name,
      },
    );
  }
  const bad = t.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new MfnasError("invalid_input", `${name}: value ${String(t.data[bad])} at index ${bad} is not finite`, {
      tensor: name,
      index: bad,
    });
  }
  return { shape: [...expected], data: t.data };
}

/** HWIO -> OHWI (TFLite CONV_2D filters). */
export function hwioToOhwi(weight: WeightTensor): WeightTensor {
  const [kh, kw, cin, cout] = weight.shape as [number, number, number, number];
  const out = new Float32Array(weight.data.length);
  let src = 0;
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * kh + h) * kw + w) * cin + i] = weight.data[src++] as number;
  return { shape: [cout, kh, kw, cin], data: out };
}

/** HWIO -> OIHW (ONNX Conv weights). */
export function hwioToOihw(weight: WeightTensor): WeightTensor {
  const [kh, kw, cin, cout] = weight.shape as [number, number, number, number];
  const out = new Float32Array(weight.data.length);
  let src = 0;
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + w] = weight.data[src++] as number;
  return { shape: [cout, cin, kh, kw], data: out };
}

/**
 * Reorders a conv's output channels from PyTorch's pixel-shuffle order to TensorFlow's depth-to-space order, so
 * that TF's DEPTH_TO_SPACE (input channel `k * C + c` -> channel c at sub-pixel k) after the conv equals PyTorch's
 * `PixelShuffle` (input channel `c * r^2 + k`) after the original conv: new channel `k * C + c` = old `c * r^2 + k`.
 * Works on HWIO kernels and on biases alike (the output channel is the last axis of both).
 */
export function pixelShuffleToDepthToSpace(tensor: WeightTensor, blockSize: number): WeightTensor {
  const cout = tensor.shape[tensor.shape.length - 1] as number;
  const r2 = blockSize * blockSize;
  const channels = cout / r2;
  const rows = tensor.data.length / cout;
  const out = new Float32Array(tensor.data.length);
  for (let row = 0; row < rows; row++) {
    const base = row * cout;
    for (let c = 0; c < channels; c++)
      for (let k = 0; k < r2; k++) out[base + k * channels + c] = tensor.data[base + c * r2 + k] as number;
  }
  return { shape: [...tensor.shape], data: out };
}
