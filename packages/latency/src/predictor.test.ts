import { describe, expect, it } from "vitest";
import {
  DEFAULT_SEARCH_SPACE,
  createRng,
  sampleGenome,
  type Genome,
  type RuntimeConfig,
  kernelFigures,
  kernelKey,
  kernelsOf,
  spaceKernels,
  type KernelSpec,
} from "@mfnas/core";
import { accuracyFigures } from "./accuracy.ts";
import { crossValidatedAccuracy } from "./cross-validate.ts";
import { fitBoosted, fitEnsemble, predictBoosted, predictEnsemble } from "./gbt.ts";
import { fitKernelModel, kernelLatency, kernelSum } from "./kernel-model.ts";
import { fitPredictor, parsePredictor, predictLatency, serializePredictor, type PredictorScope } from "./predictor.ts";
import { profilingPlan } from "./profiling.ts";

const RUNTIME: RuntimeConfig = {
  runtime: "tflite",
  threads: 1,
  delegate: "xnnpack",
  precision: "fp32",
  warmupRuns: 1,
  runs: 5,
};
const SCOPE: PredictorScope = {
  deviceClass: "synthetic",
  runtimeConfig: RUNTIME,
  input: { height: 16, width: 16 },
  statistic: "median",
};

/** A device whose kernels cost 0.05 ms + 2 ms/GMAC + 0.3 ms/MB, with kind-specific slowdowns. */
function deviceKernelMs(k: KernelSpec): number {
  const f = kernelFigures(k);
  const slow = k.kind === "branch" && k.branch === "dil2" ? 1.6 : k.kind === "upsample" ? 1.3 : 1;
  return slow * (0.05 + (2 * f.macs) / 1e9 + (0.3 * f.bytes) / 1e6);
}

/** Whole models run faster than their kernels added up (fusion), more so for deep ones, plus a fixed overhead. */
function deviceGenomeMs(g: Genome, noise: () => number): number {
  const sum = kernelsOf(g, 16, 16).reduce((s, k) => s + deviceKernelMs(k), 0);
  const fusion = 1 - 0.03 * g.blocks.length;
  return (0.4 + sum * fusion * (g.upsampler === "pixel-shuffle" ? 0.9 : 1)) * (1 + noise());
}

function genomes(seed: number, n: number): Genome[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sampleGenome(DEFAULT_SEARCH_SPACE, rng));
}

describe("kernel decomposition", () => {
  it("covers every op of the generator once, in execution order", () => {
    const g: Genome = {
      scale: 4,
      trunkWidth: 32,
      blocks: [{ branchWidth: 16, branches: ["conv3", "down4"] }],
      upsampler: "pixel-shuffle",
    };
    expect(kernelsOf(g, 16, 16).map(kernelKey)).toEqual([
      "head.c32.16x16",
      "branch.conv3.c32.b16.16x16",
      "branch.down4.c32.b16.16x16",
      "fuse.n2.b16.c32.16x16",
      "trunk.c32.16x16",
      "upsample.pixel-shuffle.c32.16x16",
      "upsample.pixel-shuffle.c32.32x32",
      "tail.c32.64x64",
      "skip.x4.16x16",
    ]);
  });

  it("lists every kernel of the space, and a plan keeps all per-genome kernels and the extremes", () => {
    const all = spaceKernels(DEFAULT_SEARCH_SPACE, 16, 16);
    const keys = new Set(all.map(kernelKey));
    for (const g of genomes(3, 20)) for (const k of kernelsOf(g, 16, 16)) expect(keys.has(kernelKey(k))).toBe(true);
    const plan = profilingPlan(DEFAULT_SEARCH_SPACE, { height: 16, width: 16 }, { blockShare: 0.1 });
    expect(plan.length).toBeLessThan(all.length);
    expect(plan.filter((k) => k.kind === "head")).toHaveLength(DEFAULT_SEARCH_SPACE.trunkWidths.length);
    expect(plan.map(kernelKey)).toContain("branch.dil2.c64.b32.16x16");
    expect(plan.map(kernelKey)).toContain("fuse.n4.b8.c16.16x16");
  });
});

describe("kernel model", () => {
  it("returns measured kernels as measured and recovers a linear device for the others", () => {
    const all = spaceKernels(DEFAULT_SEARCH_SPACE, 16, 16);
    const plan = profilingPlan(DEFAULT_SEARCH_SPACE, { height: 16, width: 16 }, { blockShare: 0.2 });
    const model = fitKernelModel(plan.map((k) => ({ kernel: k, ms: deviceKernelMs(k) })));
    const first = plan[0] as KernelSpec;
    expect(kernelLatency(model, first)).toBe(deviceKernelMs(first));
    const unseen = all.filter((k) => model.measured[kernelKey(k)] === undefined);
    expect(unseen.length).toBeGreaterThan(50);
    for (const k of unseen) expect(Math.abs(kernelLatency(model, k) / deviceKernelMs(k) - 1)).toBeLessThan(0.02);
  });
});

describe("boosted trees", () => {
  it("fits a step and an interaction a linear model cannot", () => {
    const rng = createRng(9);
    const xs = Array.from({ length: 300 }, () => [rng.nextFloat(), rng.nextFloat(), rng.nextFloat()]);
    const f = (x: number[]) => (x[0]! > 0.5 ? 2 : 0) + (x[1]! > 0.3 && x[2]! < 0.6 ? 1 : 0);
    const model = fitBoosted(xs, xs.map(f), { rounds: 150, depth: 2, learningRate: 0.2, minLeaf: 3 });
    const errors = xs.map((x) => Math.abs(predictBoosted(model, x) - f(x)));
    expect(Math.max(...errors)).toBeLessThan(0.2);
  });

  it("an ensemble is unsure far from its data and estimates the noise it cannot explain", () => {
    const rng = createRng(4);
    const xs = Array.from({ length: 200 }, () => [rng.nextFloat() * 0.5]);
    const ys = xs.map((x) => 3 * x[0]! + (rng.nextFloat() - 0.5) * 0.2);
    const ensemble = fitEnsemble(xs, ys, createRng(1), { members: 8 });
    // Uniform noise of width 0.2 has std 0.2 / sqrt(12) = 0.058.
    expect(ensemble.residualStd).toBeGreaterThan(0.04);
    expect(ensemble.residualStd).toBeLessThan(0.09);
    expect(Math.abs(predictEnsemble(ensemble, [0.25]).mean - 0.75)).toBeLessThan(0.08);
  });
});

describe("predictor", () => {
  const noisy = (seed: number) => {
    const rng = createRng(seed);
    return () => (rng.nextFloat() - 0.5) * 0.04;
  };
  const kernelSamples = profilingPlan(DEFAULT_SEARCH_SPACE, { height: 16, width: 16 }, { blockShare: 0.3 }).map(
    (k) => ({
      kernel: k,
      ms: deviceKernelMs(k),
    }),
  );

  it("learns the correction the kernel sum misses: held-out genomes within 10%", () => {
    const noise = noisy(2);
    const train = genomes(10, 150).map((genome) => ({ genome, ms: deviceGenomeMs(genome, noise) }));
    const predictor = fitPredictor(SCOPE, kernelSamples, train);
    expect(predictor.correction.kind).toBe("trees");
    const heldOut = genomes(11, 80);
    const pairs = heldOut.map((g) => {
      const p = predictLatency(predictor, g);
      return { predictedMs: p.meanMs, predictedStdMs: p.stdMs, measuredMs: deviceGenomeMs(g, () => 0) };
    });
    const sumOnly = heldOut.map((g) => {
      const sum = kernelSum(predictor.kernels, kernelsOf(g, 16, 16));
      return { predictedMs: sum, predictedStdMs: 0, measuredMs: deviceGenomeMs(g, () => 0) };
    });
    const figures = accuracyFigures(pairs);
    expect(figures.within10).toBeGreaterThanOrEqual(0.95);
    expect(accuracyFigures(sumOnly).within10).toBeLessThan(0.5);
    expect(figures.coverage2Std).toBeGreaterThan(0.8);
  });

  it("cross-validates on its own measurements close to a true held-out set, and says nothing from too few", () => {
    const noise = noisy(2);
    const train = genomes(10, 150).map((genome) => ({ genome, ms: deviceGenomeMs(genome, noise) }));
    const cv = crossValidatedAccuracy(SCOPE, kernelSamples, train);
    expect(cv?.count).toBe(150);
    expect(cv?.within10).toBeGreaterThanOrEqual(0.9);
    expect(crossValidatedAccuracy(SCOPE, kernelSamples, train)).toEqual(cv);
    // A kernel model of a different device: cross-validation exposes the error the trees cannot fully fix.
    const wrong = train.map((s) => ({ ...s, ms: s.ms * (s.genome.blocks.length % 2 ? 1.5 : 0.7) }));
    expect(crossValidatedAccuracy(SCOPE, kernelSamples, wrong)?.mapePct).toBeGreaterThan(cv?.mapePct ?? Infinity);
    expect(crossValidatedAccuracy(SCOPE, kernelSamples, train.slice(0, 19))).toBeUndefined();
    expect(crossValidatedAccuracy(SCOPE, kernelSamples, train.slice(0, 20))?.count).toBe(20);
  });

  it("is unsure before any SubGenerator is measured, and a refit with more data narrows it", () => {
    const g = genomes(12, 1)[0] as Genome;
    const none = predictLatency(fitPredictor(SCOPE, kernelSamples, []), g);
    expect(none.stdMs / none.meanMs).toBeCloseTo(0.35, 5);
    const noise = noisy(3);
    const some = fitPredictor(
      SCOPE,
      kernelSamples,
      genomes(13, 60).map((genome) => ({ genome, ms: deviceGenomeMs(genome, noise) })),
    );
    const p = predictLatency(some, g);
    expect(p.stdMs / p.meanMs).toBeLessThan(0.15);
    expect(p.predictorVersion).toBe(some.version);
  });

  it("serialises to JSON with a content-hash version that parsing checks", () => {
    const noise = noisy(5);
    const samples = genomes(14, 30).map((genome) => ({ genome, ms: deviceGenomeMs(genome, noise) }));
    const a = fitPredictor(SCOPE, kernelSamples, samples);
    const b = fitPredictor(SCOPE, kernelSamples, samples);
    expect(a.version).toMatch(/^lp-[0-9a-f]{16}$/);
    expect(b.version).toBe(a.version);
    const parsed = parsePredictor(serializePredictor(a));
    const g = genomes(15, 1)[0] as Genome;
    expect(predictLatency(parsed, g)).toEqual(predictLatency(a, g));
    const changed = fitPredictor(SCOPE, kernelSamples, samples.slice(1));
    expect(changed.version).not.toBe(a.version);
    const tampered = serializePredictor(a).replace(/"samples":30/, '"samples":31');
    expect(() => parsePredictor(tampered)).toThrow(/does not match/);
    expect(() => parsePredictor('{"format":"x"}')).toThrow(/format/);
  });
});

describe("accuracy figures", () => {
  it("counts shares within ±5% and ±10%, RMSE and MAPE", () => {
    const f = accuracyFigures([
      { predictedMs: 10.4, predictedStdMs: 1, measuredMs: 10 },
      { predictedMs: 10.8, predictedStdMs: 1, measuredMs: 10 },
      { predictedMs: 13, predictedStdMs: 1, measuredMs: 10 },
      { predictedMs: 9.7, predictedStdMs: 0.1, measuredMs: 10 },
    ]);
    expect(f.within5).toBe(0.5);
    expect(f.within10).toBe(0.75);
    expect(f.mapePct).toBeCloseTo((4 + 8 + 30 + 3) / 4, 6);
    expect(f.rmseMs).toBeCloseTo(Math.sqrt((0.16 + 0.64 + 9 + 0.09) / 4), 6);
    expect(f.coverage2Std).toBe(0.5);
  });
});
