import {
  DEFAULT_SEARCH_SPACE,
  MfnasError,
  canonicalJson,
  narrowSpace,
  type PayloadOf,
  type SearchTarget,
} from "@mfnas/core";
import { PROFILE_FORMAT, profileKernels, profilingPlan, serializeProfile, type KernelMeasurer } from "@mfnas/latency";
import type { JobContext, WorkerLog } from "@mfnas/queue";
import { scopeOf } from "./adapters/active.latency-source.ts";
import type { PutReport, ReportValue } from "./adapters/stored-predictor-book.ts";

export interface LatencyProfileResources {
  /** Measures kernels on the target's device class and runtime config (the device lab, through its queues). */
  readonly kernelMeasurer: (target: SearchTarget) => KernelMeasurer;
  /** Stores the profile as a `report` artifact. */
  readonly putReport: PutReport;
  readonly log: WorkerLog;
}

/** What a `latency.profile` job returns (BullMQ keeps it as the job's return value). */
export interface LatencyProfileResult {
  readonly deviceClass: string;
  readonly kernels: number;
  readonly measured: number;
  readonly failed: number;
  /** sha256 of the stored profile (artifact of kind report, metadata `{report: "kernel-profile"}`). */
  readonly artifact: string;
}

/** The profile's target: the payload's device class, runtime config, input and statistic. */
export function profileTarget(payload: PayloadOf<"latency.profile">): SearchTarget {
  return {
    deviceClass: payload.deviceClass,
    runtimeConfig: payload.runtimeConfig,
    input: { height: payload.inputHeight, width: payload.inputWidth },
    ...(payload.statistic ? { latencyStatistic: payload.statistic } : {}),
  };
}

/**
 * `latency.profile`: measures the kernels of the profiling plan (every once-per-genome kernel and a seeded share of
 * the per-block ones) on the device class through the real `devicelab.measure` jobs, then stores the kernel
 * profile. Each kernel's measurement is a Measurement row keyed like any other, so a repeated or resumed job
 * measures only what is missing, and the searcher's predictors read the same rows.
 * Fails for good (`unsupported`) when no kernel could be measured: a predictor cannot start from nothing.
 */
export function createLatencyProfileHandler(resources: LatencyProfileResources) {
  return async ({ payload, signal }: JobContext<"latency.profile">): Promise<LatencyProfileResult> => {
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, payload.space ?? {});
    const target = profileTarget(payload);
    const plan = profilingPlan(space, target.input, {
      ...(payload.blockShare !== undefined ? { blockShare: payload.blockShare } : {}),
      ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
    });
    resources.log.info("profiling latency kernels", { deviceClass: target.deviceClass, kernels: plan.length });
    const profile = await profileKernels(scopeOf(target), plan, resources.kernelMeasurer(target), signal);
    const failed = Object.keys(profile.failed).length;
    if (profile.samples.length === 0) {
      const first = Object.entries(profile.failed)[0];
      throw new MfnasError(
        "unsupported",
        `latency.profile: no kernel could be measured on ${target.deviceClass}` +
          (first ? ` (${first[0]}: ${first[1]})` : ""),
        { deviceClass: target.deviceClass, failed },
      );
    }
    const { sha256 } = await resources.putReport(new TextEncoder().encode(serializeProfile(profile)), {
      report: "kernel-profile",
      format: PROFILE_FORMAT,
      deviceClass: target.deviceClass,
      runtimeConfig: JSON.parse(canonicalJson(target.runtimeConfig)) as ReportValue,
      input: { height: target.input.height, width: target.input.width },
      statistic: profile.scope.statistic,
      kernels: plan.length,
      measured: profile.samples.length,
      failed,
    });
    resources.log.info("latency kernels profiled", {
      deviceClass: target.deviceClass,
      measured: profile.samples.length,
      failed,
      artifact: sha256,
    });
    return {
      deviceClass: target.deviceClass,
      kernels: plan.length,
      measured: profile.samples.length,
      failed,
      artifact: sha256,
    };
  };
}
