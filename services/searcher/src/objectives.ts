import {
  OBJECTIVE_UNITS,
  genomeCost,
  searchObjectives,
  targetName,
  type SearchObjective,
  type SearchSpec,
  type SearchTarget,
} from "@mfnas/core";
import { latencyMs, type CandidateGenome, type Latency, type Quality } from "./ports.ts";

/** Stand-in for a figure that could not be obtained: finite (the algorithms need finite numbers) and never good. */
export const MISSING_FIGURE = 1e9;
/** Violation of a candidate whose evaluation or measurement failed for good: worse than any real violation. */
export const FAILED_VIOLATION = 1e6;

/** One minimised objective of the search, in the order of the fitness vectors. */
export interface ObjectiveAxis {
  readonly name: string;
  readonly objective: SearchObjective;
  /** Target name for latency axes. */
  readonly target?: string;
  readonly unit: string;
  /** True for quality axes, which are stored negated (the algorithms minimise). */
  readonly negated: boolean;
}

/** The axes of a spec's fitness vectors, in the spec's order of objectives (latency: one axis per target). */
export function objectiveAxes(spec: SearchSpec): ObjectiveAxis[] {
  const axes: ObjectiveAxis[] = [];
  for (const objective of searchObjectives(spec)) {
    const unit = OBJECTIVE_UNITS[objective];
    switch (objective) {
      case "psnr":
      case "ssim":
        axes.push({ name: objective, objective, unit, negated: true });
        break;
      case "latency":
        for (const t of spec.targets) {
          axes.push({ name: `latency:${targetName(t)}`, objective, target: targetName(t), unit, negated: false });
        }
        break;
      case "memory":
      case "macs":
      case "traffic":
        axes.push({ name: objective, objective, unit, negated: false });
        break;
    }
  }
  return axes;
}

/** Weights plus peak activations of the float32 model, in MB: the analytic memory figure. */
export function analyticMemoryMb(cost: { params: number; peakActivationBytes: number }): number {
  return (cost.params * 4 + cost.peakActivationBytes) / 1e6;
}

/** Memory traffic (memory access cost) in MB: the bytes every op reads and writes in one inference. */
export function memoryTrafficMb(cost: { memoryTrafficBytes: number }): number {
  return cost.memoryTrafficBytes / 1e6;
}

export interface CandidateFigures {
  readonly candidate: CandidateGenome;
  /** Absent when the search has no quality objective. */
  readonly quality?: Quality | Error;
  /** Measured latency per target name. */
  readonly latency: ReadonlyMap<string, Latency | Error>;
}

export interface Fitness {
  readonly objectives: readonly number[];
  readonly violation: number;
  readonly error?: string;
}

/**
 * A candidate's fitness: its minimised objective vector and total constraint violation (the sum, over
 * constraints, of how far each is exceeded relative to its limit; 0 when all hold). A figure that failed for good
 * gives the worst value and a large violation, so the candidate is kept out of the front but the search goes on.
 */
export function fitnessOf(spec: SearchSpec, axes: readonly ObjectiveAxis[], figures: CandidateFigures): Fitness {
  const errors: string[] = [];
  const { cost } = figures.candidate;
  const quality =
    figures.quality instanceof Error ? (errors.push(figures.quality.message), undefined) : figures.quality;
  const latency = (target: string): Latency | undefined => {
    const value = figures.latency.get(target);
    if (value instanceof Error) errors.push(`${target}: ${value.message}`);
    return value instanceof Error ? undefined : value;
  };
  /** The target's latency figure (by its statistic), if measured or predicted. */
  const latencyFigure = (target: SearchTarget): number | undefined => {
    const value = latency(targetName(target));
    return value && latencyMs(value, target);
  };
  const objectives = axes.map((axis) => {
    switch (axis.objective) {
      case "psnr":
        return quality ? -quality.psnr : MISSING_FIGURE;
      case "ssim":
        return quality ? -quality.ssim : MISSING_FIGURE;
      case "latency": {
        const target = spec.targets.find((t) => targetName(t) === axis.target);
        return (target && latencyFigure(target)) ?? MISSING_FIGURE;
      }
      case "memory":
        return analyticMemoryMb(cost);
      case "macs":
        return cost.macs / 1e9;
      case "traffic":
        return memoryTrafficMb(cost);
    }
  });
  let violation = 0;
  const over = (value: number, limit: number | undefined) => {
    if (limit !== undefined && value > limit) violation += value / limit - 1;
  };
  over(cost.macs, spec.constraints.maxMacs);
  over(cost.params, spec.constraints.maxParams);
  over(memoryTrafficMb(cost), spec.constraints.maxMemoryTrafficMb);
  for (const target of spec.targets) {
    const name = target.name ?? target.deviceClass;
    if (target.maxLatencyMs !== undefined) over(latencyFigure(target) ?? Infinity, target.maxLatencyMs);
    if (target.maxPeakMemoryMb !== undefined) {
      const measured = latency(name)?.peakMemoryMb;
      const analytic = analyticMemoryMb(genomeCost(figures.candidate.genome, target.input.height, target.input.width));
      over(measured ?? analytic, target.maxPeakMemoryMb);
    }
  }
  const unique = [...new Set(errors)];
  if (unique.length > 0) return { objectives, violation: FAILED_VIOLATION, error: unique.join("; ") };
  return { objectives, violation: Number.isFinite(violation) ? violation : FAILED_VIOLATION };
}

/**
 * The hypervolume reference point, fixed once from the first generation so that every later generation's
 * hypervolume is comparable: each constrained latency axis, and the memory-traffic axis under a limit, uses its
 * limit; every other axis the worst feasible value seen in generation 0 plus 10% of that generation's range (or of
 * the value itself when the range is 0).
 */
export function referencePoint(
  spec: SearchSpec,
  axes: readonly ObjectiveAxis[],
  firstGeneration: readonly Fitness[],
): number[] {
  const usable = firstGeneration.filter((f) => f.violation < FAILED_VIOLATION);
  return axes.map((axis, i) => {
    const limit =
      axis.objective === "latency"
        ? spec.targets.find((t) => targetName(t) === axis.target)?.maxLatencyMs
        : axis.objective === "traffic"
          ? spec.constraints.maxMemoryTrafficMb
          : undefined;
    if (limit !== undefined) return limit;
    const values = usable.map((f) => f.objectives[i] ?? 0);
    if (values.length === 0) return MISSING_FIGURE;
    const worst = Math.max(...values);
    const range = worst - Math.min(...values);
    return worst + 0.1 * (range > 0 ? range : Math.abs(worst) || 1);
  });
}
