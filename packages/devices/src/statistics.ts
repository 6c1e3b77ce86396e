import { MfnasError } from "@mfnas/core";

export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly median: number;
  /** Sample standard deviation (n - 1); 0 for one sample. */
  readonly std: number;
  /** 90th percentile, linear interpolation between order statistics. */
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  /** Half-width of the two-sided 95% confidence interval of the mean (Student's t); Infinity for one sample. */
  readonly ciHalfWidth: number;
  /** ciHalfWidth / mean. */
  readonly relativeCiHalfWidth: number;
}

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; beyond that the normal's 1.96 is close.
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(degreesOfFreedom: number): number {
  return T_975[degreesOfFreedom - 1] ?? 1.96;
}

export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const a = sorted[lower] as number;
  const b = sorted[Math.min(lower + 1, sorted.length - 1)] as number;
  return a + (b - a) * (position - lower);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0 || samples.some((s) => !Number.isFinite(s))) {
    throw new MfnasError("invalid_input", "summarize needs at least one finite sample");
  }
  const n = samples.length;
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const ciHalfWidth = n > 1 ? (tQuantile975(n - 1) * std) / Math.sqrt(n) : Number.POSITIVE_INFINITY;
  return {
    n,
    mean,
    median: quantile(sorted, 0.5),
    std,
    p90: quantile(sorted, 0.9),
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    ciHalfWidth,
    relativeCiHalfWidth: mean !== 0 ? ciHalfWidth / Math.abs(mean) : Number.POSITIVE_INFINITY,
  };
}

/** When to stop repeating a measurement. */
export interface ConfidenceRule {
  /** Stop once the 95% CI half-width of the mean is at most this fraction of the mean. Default 0.02. */
  readonly relativeHalfWidth?: number;
  /** Never stop before this many repetitions. Default 3. */
  readonly minRepetitions?: number;
  /** Stop here even if the target is not met. Default 10. */
  readonly maxRepetitions?: number;
}

export const DEFAULT_CONFIDENCE_RULE: Required<ConfidenceRule> = {
  relativeHalfWidth: 0.02,
  minRepetitions: 3,
  maxRepetitions: 10,
};

/** The repeat-until-confidence rule: whether `samples` are enough, and why. */
export function confidenceReached(
  samples: readonly number[],
  rule: ConfidenceRule = {},
): { done: boolean; reason: "confident" | "max-repetitions" | "more-needed" } {
  const r = { ...DEFAULT_CONFIDENCE_RULE, ...rule };
  if (samples.length >= r.minRepetitions && summarize(samples).relativeCiHalfWidth <= r.relativeHalfWidth) {
    return { done: true, reason: "confident" };
  }
  if (samples.length >= r.maxRepetitions) return { done: true, reason: "max-repetitions" };
  return { done: false, reason: "more-needed" };
}
