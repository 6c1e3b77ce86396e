import type { NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";

/**
 * A kernel input as a Tensor, so kernels written with tf ops can use it. Ops hand kernels real Tensors; a bare
 * TensorInfo (a kernel calling a kernel) is wrapped after taking a reference on its data, so that disposing the
 * wrapper (tidy does) does not free data its owner still holds.
 */
export function inputTensor(tf: Tf, inputs: NamedTensorInfoMap, name: string, backend: unknown): Tensor {
  const info: TensorInfo | undefined = inputs[name];
  if (info === undefined) throw new Error(`kernel input "${name}" is missing`);
  if (info instanceof tf.Tensor) return info as Tensor;
  (backend as { incRef?: (dataId: unknown) => void }).incRef?.(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** A [number, number] attribute that tfjs also accepts as one number. */
export function pair(value: number | readonly number[]): [number, number] {
  if (typeof value === "number") return [value, value];
  return [value[0] ?? 1, value[1] ?? value[0] ?? 1];
}

/** NCHW <-> NHWC, for kernels whose formulations are written for NHWC only. */
export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];

/**
 * Runs a kernel by name through the engine (so the backend's registered kernel runs, and tfjs records it). Typed
 * attribute interfaces have no index signature, hence the one cast here.
 */
export function runKernel(tf: Tf, kernelName: string, inputs: Record<string, Tensor>, attrs: object): Tensor {
  return tf.engine().runKernel<Tensor>(kernelName, inputs, attrs as NamedAttrMap);
}
