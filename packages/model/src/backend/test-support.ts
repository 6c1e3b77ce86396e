import * as tfCore from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Tensor } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";
import { wasmBinaryDirectory } from "./select-backend.ts";
import { registerWasmTrainingKernels } from "./wasm-kernels.ts";

/**
 * Test helpers (not part of the public API): both backends ready for training, seeded inputs, and a comparison
 * that reads tensors out on the backend that made them.
 */
export const tf: Tf = tfCore;

let ready: Promise<Tf> | undefined;

/** Registers the training kernels and initialises wasm and cpu once per test file. */
export function trainingBackends(): Promise<Tf> {
  ready ??= (async () => {
    setWasmPaths(wasmBinaryDirectory());
    registerWasmTrainingKernels(tf);
    if (!(await tf.setBackend("wasm"))) throw new Error("wasm backend did not initialise");
    if (!(await tf.setBackend("cpu"))) throw new Error("cpu backend did not initialise");
    return tf;
  })();
  return ready;
}

/** Deterministic uniform values in [min, max) (mulberry32), optionally kept `gap` away from zero. */
export function seeded(seed: number, count: number, min = -1, max = 1, gap = 0): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    let v = min + (max - min) * u;
    if (gap > 0 && Math.abs(v) < gap) v = v < 0 ? -gap - u * gap : gap + u * gap;
    out[i] = v;
  }
  return out;
}

/** Runs `build` on `backend` inside tidy and returns every output's values. */
export async function runOn(backend: "wasm" | "cpu", build: () => Tensor | Tensor[]): Promise<Float32Array[]> {
  await trainingBackends();
  await tf.setBackend(backend);
  const outputs = tf.tidy(build);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const values = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  return values;
}

/** max |actual - expected| / max |expected|: the error measure the numerical checks bound. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? 0;
    const a = actual[i] ?? 0;
    if (!Number.isFinite(a)) return Infinity;
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return diff / Math.max(scale, 1e-12);
}

/** The largest magnitude in `values`, to assert a comparison is not of two all-zero results. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] ?? 0));
  return m;
}
