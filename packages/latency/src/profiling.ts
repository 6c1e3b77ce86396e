/**
 * Kernel profiling: which kernels to measure on a device class, and the profile that results. Measuring goes
 * through a `KernelMeasurer` port (the device lab, in the services), so this module stays pure.
 */
import {
  MfnasError,
  canonicalJson,
  createRng,
  type SearchSpace,
  kernelKey,
  spaceKernels,
  type KernelSpec,
} from "@mfnas/core";
import type { KernelSample } from "./kernel-model.ts";
import type { PredictorScope } from "./predictor.ts";

export const PROFILE_FORMAT = "mfnas-kernel-profile/1";

/** Measures kernels (each exported as its own small model) on one device class; ms by `kernelKey`. */
export interface KernelMeasurer {
  measureKernels(kernels: readonly KernelSpec[], signal: AbortSignal): Promise<Map<string, number | Error>>;
}

export interface KernelProfile {
  readonly format: typeof PROFILE_FORMAT;
  readonly scope: PredictorScope;
  readonly samples: readonly KernelSample[];
  /** Keys of kernels whose measurement failed for good, with why. */
  readonly failed: Readonly<Record<string, string>>;
}

/**
 * The kernels to profile: every kernel a genome has exactly once (head, trunk, upsampler stages, tail, skip) and a
 * seeded share of the per-block ones (branches and fuses, the bulk of the space), always including the smallest
 * and largest of each branch kind and fuse arity so the fitted per-kind models interpolate.
 */
export function profilingPlan(
  space: SearchSpace,
  input: { height: number; width: number },
  options: { blockShare?: number; seed?: number } = {},
): KernelSpec[] {
  const all = spaceKernels(space, input.height, input.width);
  const share = options.blockShare ?? 0.25;
  const rng = createRng(options.seed ?? 1);
  const perBlock = all.filter((k) => k.kind === "branch" || k.kind === "fuse");
  const group = (k: KernelSpec) => (k.kind === "branch" ? `b.${k.branch}` : k.kind === "fuse" ? `f.${k.n}` : k.kind);
  const size = (k: KernelSpec) => ("bw" in k ? k.c * k.bw : 0);
  const keep = new Set<string>();
  for (const name of new Set(perBlock.map(group))) {
    const members = perBlock.filter((k) => group(k) === name).sort((a, b) => size(a) - size(b));
    const first = members[0];
    const last = members[members.length - 1];
    if (first) keep.add(kernelKey(first));
    if (last) keep.add(kernelKey(last));
  }
  for (const k of rng.shuffle(perBlock).slice(0, Math.ceil(share * perBlock.length))) keep.add(kernelKey(k));
  return all.filter((k) => !(k.kind === "branch" || k.kind === "fuse") || keep.has(kernelKey(k)));
}

/** Measures a plan and collects the profile; failures are recorded, not thrown. */
export async function profileKernels(
  scope: PredictorScope,
  plan: readonly KernelSpec[],
  measurer: KernelMeasurer,
  signal: AbortSignal,
): Promise<KernelProfile> {
  const results = await measurer.measureKernels(plan, signal);
  const samples: KernelSample[] = [];
  const failed: Record<string, string> = {};
  for (const kernel of plan) {
    const key = kernelKey(kernel);
    const r = results.get(key);
    if (typeof r === "number" && Number.isFinite(r) && r > 0) samples.push({ kernel, ms: r });
    else failed[key] = r instanceof Error ? r.message : "not measured";
  }
  return { format: PROFILE_FORMAT, scope, samples, failed };
}

export function serializeProfile(profile: KernelProfile): string {
  return canonicalJson(profile);
}

export function parseProfile(text: string): KernelProfile {
  const value = JSON.parse(text) as KernelProfile;
  if (value?.format !== PROFILE_FORMAT || !Array.isArray(value.samples)) {
    throw new MfnasError("invalid_input", `kernel profile: format must be ${PROFILE_FORMAT}`);
  }
  return value;
}
