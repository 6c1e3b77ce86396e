/**
 * The latency predictor of one device class, runtime config and LR input size: the kernel sum (profiled kernels)
 * times a learned correction, `ms = kernelSum * exp(f(architecture features))`, where f is a bagged ensemble of
 * gradient-boosted trees fitted to the log ratio of measured SubGenerators to their kernel sums. The correction
 * absorbs what a sum of separately measured kernels misses (fusion across kernels, cache effects, the runtime's
 * per-model overhead). Uncertainty: the ensemble's spread and its out-of-bag residual noise, in log space.
 *
 * A predictor is plain JSON (`serializePredictor`), and its version is a content hash of its parameters.
 */
import { createHash } from "node:crypto";
import {
  MfnasError,
  canonicalJson,
  createRng,
  genomeCost,
  type Genome,
  type LatencyStatistic,
  type RuntimeConfig,
  kernelsOf,
} from "@mfnas/core";
import { fitEnsemble, predictEnsemble, type BoostOptions, type Ensemble } from "./gbt.ts";
import { fitKernelModel, kernelSum, type KernelModel, type KernelSample } from "./kernel-model.ts";

export const PREDICTOR_FORMAT = "mfnas-latency-predictor/1";

/** Relative standard deviation assumed before any SubGenerator of the class has been measured. */
export const PRIOR_RELATIVE_STD = 0.35;
/** Fewest measured SubGenerators before the trees are fitted (below it, one scalar calibration). */
export const MIN_TREE_SAMPLES = 12;

/** Where a predictor applies: its latencies mean nothing elsewhere. */
export interface PredictorScope {
  readonly deviceClass: string;
  readonly runtimeConfig: RuntimeConfig;
  readonly input: { readonly height: number; readonly width: number };
  /** Which figure of a measurement the predictor learns and predicts: the median or the fastest run. */
  readonly statistic: LatencyStatistic;
}

export interface GenomeSample {
  readonly genome: Genome;
  /** Measured latency (the scope's statistic), ms. */
  readonly ms: number;
}

export interface LatencyPredictor {
  readonly format: typeof PREDICTOR_FORMAT;
  /** `lp-` and the first 16 hex digits of the sha256 of everything else. */
  readonly version: string;
  readonly scope: PredictorScope;
  readonly kernels: KernelModel;
  /** Correction in log space: a constant until enough SubGenerators are measured, then trees. */
  readonly correction:
    | { readonly kind: "scalar"; readonly logRatio: number; readonly std: number }
    | { readonly kind: "trees"; readonly ensemble: Ensemble };
  /** How many measured SubGenerators it was fitted on. */
  readonly samples: number;
}

export interface Prediction {
  readonly meanMs: number;
  readonly stdMs: number;
  readonly kernelSumMs: number;
  readonly predictorVersion: string;
}

export interface FitOptions extends BoostOptions {
  /** Ensemble size. Default 8. */
  readonly members?: number;
  /** Seed of the bootstrap resampling. Default 1. */
  readonly seed?: number;
}

const FEATURE_NAMES = [
  "logKernelSum",
  "logMacs",
  "logTraffic",
  "logParams",
  "logPeakActivation",
  "depth",
  "trunkWidth",
  "scale",
  "pixelShuffle",
  "branches",
  "conv3",
  "dil2",
  "down2",
  "down4",
  "meanBranchWidth",
] as const;

/** The architecture features the correction sees, in `FEATURE_NAMES` order. */
export function architectureFeatures(genome: Genome, scope: PredictorScope, sumMs: number): number[] {
  const { height, width } = scope.input;
  const cost = genomeCost(genome, height, width);
  const count = (kind: string) => genome.blocks.reduce((n, b) => n + b.branches.filter((k) => k === kind).length, 0);
  const branches = genome.blocks.reduce((n, b) => n + b.branches.length, 0);
  const widths = genome.blocks.reduce((s, b) => s + b.branchWidth, 0);
  return [
    Math.log(Math.max(sumMs, 1e-6)),
    Math.log(cost.macs + 1),
    Math.log(cost.memoryTrafficBytes + 1),
    Math.log(cost.params + 1),
    Math.log(cost.peakActivationBytes + 1),
    genome.blocks.length,
    genome.trunkWidth,
    genome.scale,
    genome.upsampler === "pixel-shuffle" ? 1 : 0,
    branches,
    count("conv3"),
    count("dil2"),
    count("down2"),
    count("down4"),
    genome.blocks.length > 0 ? widths / genome.blocks.length : 0,
  ];
}
export { FEATURE_NAMES };

function versionOf(body: Omit<LatencyPredictor, "version">): string {
  return `lp-${createHash("sha256").update(canonicalJson(body)).digest("hex").slice(0, 16)}`;
}

function withVersion(body: Omit<LatencyPredictor, "version">): LatencyPredictor {
  return { ...body, version: versionOf(body) };
}

function genomeKernelSum(kernels: KernelModel, genome: Genome, scope: PredictorScope): number {
  return kernelSum(kernels, kernelsOf(genome, scope.input.height, scope.input.width));
}

/**
 * Fits a predictor from profiled kernels and measured SubGenerators (either may be empty; with neither, every
 * prediction is 0 with infinite uncertainty). Deterministic: the same data give the same version.
 */
export function fitPredictor(
  scope: PredictorScope,
  kernelSamples: readonly KernelSample[],
  genomeSamples: readonly GenomeSample[],
  options: FitOptions = {},
): LatencyPredictor {
  const kernels = fitKernelModel(kernelSamples);
  const usable = genomeSamples.filter((s) => Number.isFinite(s.ms) && s.ms > 0);
  const rows = usable.map((s) => {
    const sum = genomeKernelSum(kernels, s.genome, scope);
    return { x: architectureFeatures(s.genome, scope, sum), y: Math.log(s.ms) - Math.log(Math.max(sum, 1e-6)) };
  });
  let correction: LatencyPredictor["correction"];
  if (rows.length >= MIN_TREE_SAMPLES) {
    const ensemble = fitEnsemble(
      rows.map((r) => r.x),
      rows.map((r) => r.y),
      createRng(options.seed ?? 1),
      options,
    );
    correction = { kind: "trees", ensemble };
  } else if (rows.length > 0) {
    const ys = rows.map((r) => r.y).sort((a, b) => a - b);
    const logRatio = ys[Math.floor(ys.length / 2)] as number;
    const spread = ys.length > 1 ? Math.sqrt(ys.reduce((s, y) => s + (y - logRatio) ** 2, 0) / (ys.length - 1)) : 0;
    correction = { kind: "scalar", logRatio, std: Math.max(spread, PRIOR_RELATIVE_STD / Math.sqrt(ys.length)) };
  } else {
    correction = { kind: "scalar", logRatio: 0, std: PRIOR_RELATIVE_STD };
  }
  return withVersion({ format: PREDICTOR_FORMAT, scope, kernels, correction, samples: rows.length });
}

/** Predicted latency of a genome with its standard deviation. */
export function predictLatency(predictor: LatencyPredictor, genome: Genome): Prediction {
  const sum = genomeKernelSum(predictor.kernels, genome, predictor.scope);
  let logMean: number;
  let logStd: number;
  if (predictor.correction.kind === "trees") {
    const p = predictEnsemble(predictor.correction.ensemble, architectureFeatures(genome, predictor.scope, sum));
    logMean = p.mean;
    logStd = Math.sqrt(p.std ** 2 + predictor.correction.ensemble.residualStd ** 2);
  } else {
    logMean = predictor.correction.logRatio;
    logStd = predictor.correction.std;
  }
  const meanMs = sum * Math.exp(logMean);
  return {
    meanMs,
    stdMs: sum > 0 ? meanMs * logStd : Number.POSITIVE_INFINITY,
    kernelSumMs: sum,
    predictorVersion: predictor.version,
  };
}

export function serializePredictor(predictor: LatencyPredictor): string {
  return canonicalJson(predictor);
}

/** Parses a stored predictor; a wrong format or a version that does not match its content is refused. */
export function parsePredictor(text: string): LatencyPredictor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MfnasError("invalid_input", `latency predictor: not JSON (${(error as Error).message})`);
  }
  const format = (parsed as { format?: unknown } | null)?.format;
  if (format !== PREDICTOR_FORMAT) {
    throw new MfnasError("invalid_input", `latency predictor: format must be ${PREDICTOR_FORMAT}`, { format });
  }
  const value = parsed as LatencyPredictor;
  const { version, ...body } = value;
  if (versionOf(body) !== version) {
    throw new MfnasError("invalid_input", `latency predictor: version ${version} does not match its parameters`);
  }
  return value;
}
