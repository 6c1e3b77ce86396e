/**
 * Per-kernel latency on one device class: the measured kernels by key, and for kernels never measured a linear
 * model per kernel group (kind, and branch kind or upsampler), `ms = a + b * MMACs + c * MB`, fitted by ridge least squares on the measured ones (a
 * global one for kinds without enough measurements). Latencies are never below `MIN_KERNEL_MS`.
 */
import { kernelFigures, kernelKey, type KernelSpec } from "@mfnas/core";

export const MIN_KERNEL_MS = 0.001;

/** Coefficients of `ms = a + b * MMACs + c * MB`. */
export type LinearFit = readonly [number, number, number];

export interface KernelModel {
  /** Measured median latency of each profiled kernel, by `kernelKey`. */
  readonly measured: Readonly<Record<string, number>>;
  /** Fits by `kernelGroup`. */
  readonly fits: Readonly<Record<string, LinearFit>>;
  readonly global: LinearFit;
}

export interface KernelSample {
  readonly kernel: KernelSpec;
  readonly ms: number;
}

/** Kernels that share one fitted model: a kind, split by branch kind and upsampler. */
export function kernelGroup(k: KernelSpec): string {
  return k.kind === "branch" ? `branch.${k.branch}` : k.kind === "upsample" ? `upsample.${k.upsampler}` : k.kind;
}

function features(k: KernelSpec): [number, number, number] {
  const f = kernelFigures(k);
  return [1, f.macs / 1e6, f.bytes / 1e6];
}

/** Solves the 3x3 system (A + ridge) x = b by Gaussian elimination. */
function solve3(a: number[][], b: number[]): LinearFit {
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) return [0, 0, 0];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const factor = m[r]![col]! / p;
      for (let c = col; c < 4; c++) m[r]![c] = m[r]![c]! - factor * m[col]![c]!;
    }
  }
  return [m[0]![3]! / m[0]![0]!, m[1]![3]! / m[1]![1]!, m[2]![3]! / m[2]![2]!];
}

/** Ridge least squares of `ms` on the kernels' features, relative errors weighted alike (weights 1/ms^2). */
export function fitLinear(samples: readonly KernelSample[], ridge = 1e-6): LinearFit {
  const a = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const b = [0, 0, 0];
  for (const s of samples) {
    const x = features(s.kernel);
    const weight = 1 / Math.max(s.ms, MIN_KERNEL_MS) ** 2;
    for (let i = 0; i < 3; i++) {
      b[i] = (b[i] as number) + weight * (x[i] as number) * s.ms;
      for (let j = 0; j < 3; j++) a[i]![j] = a[i]![j]! + weight * (x[i] as number) * (x[j] as number);
    }
  }
  for (let i = 0; i < 3; i++) a[i]![i] = a[i]![i]! + ridge;
  return solve3(a, b);
}

export function fitKernelModel(samples: readonly KernelSample[]): KernelModel {
  const measured: Record<string, number> = {};
  for (const s of samples) measured[kernelKey(s.kernel)] = s.ms;
  const fits: Record<string, LinearFit> = {};
  for (const group of new Set(samples.map((s) => kernelGroup(s.kernel)))) {
    const members = samples.filter((s) => kernelGroup(s.kernel) === group);
    if (members.length >= 4) fits[group] = fitLinear(members);
  }
  return { measured, fits, global: samples.length > 0 ? fitLinear(samples) : [0, 0, 0] };
}

/** The kernel's measured latency, or the fitted estimate when it was never profiled. */
export function kernelLatency(model: KernelModel, kernel: KernelSpec): number {
  const known = model.measured[kernelKey(kernel)];
  if (known !== undefined) return known;
  const [a, b, c] = model.fits[kernelGroup(kernel)] ?? model.global;
  const [, macs, bytes] = features(kernel);
  return Math.max(MIN_KERNEL_MS, a + b * macs + c * bytes);
}

/** The kernel sum of a model: its kernels' latencies added up. */
export function kernelSum(model: KernelModel, kernels: readonly KernelSpec[]): number {
  return kernels.reduce((sum, k) => sum + kernelLatency(model, k), 0);
}
