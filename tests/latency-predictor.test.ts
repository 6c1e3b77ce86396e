import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  encodeGenome,
  genomeCost,
  genomeHash,
  narrowSpace,
  sampleGenome,
  createRng,
  kernelKey,
  type Genome,
} from "@mfnas/core";
import { fitPredictor, parsePredictor, predictLatency, profileKernels, profilingPlan } from "@mfnas/latency";
import { startLatencyLab } from "./support/latency-lab.ts";

/** A small space at an 8x8 input, so profiling and measuring take seconds on the host CPU. */
const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, {
  scales: [2],
  trunkWidths: [16],
  branchWidths: [8],
  branchKinds: ["conv3", "down2"],
  depth: { min: 1, max: 2 },
  upsamplers: ["pixel-shuffle"],
});
const input = { height: 8, width: 8 };
const runtimeConfig = {
  runtime: "tflite",
  threads: 1,
  delegate: "xnnpack",
  precision: "fp32",
  warmupRuns: 1,
  runs: 3,
} as const;

describe("latency predictor on real measurements (emulated phone, device lab)", () => {
  let lab: Awaited<ReturnType<typeof startLatencyLab>>;
  beforeAll(async () => {
    lab = await startLatencyLab({
      port: 5087,
      runtimeConfig,
      input,
      confidence: { relativeHalfWidth: 0.5, minRepetitions: 1, maxRepetitions: 2 },
    });
  }, 360_000);
  afterAll(async () => lab?.stop());

  it("profiles the kernels through the measure job, fits, predicts and stores the report the API serves", async () => {
    const signal = new AbortController().signal;
    const scope = { deviceClass: lab.target.deviceClass, runtimeConfig, input, statistic: "median" as const };
    const plan = profilingPlan(SPACE, input, { blockShare: 1 });
    expect(plan.map(kernelKey)).toContain("upsample.pixel-shuffle.c16.8x8");
    const profile = await profileKernels(scope, plan, lab.kernelMeasurer, signal);
    expect(profile.failed).toEqual({});
    expect(profile.samples).toHaveLength(plan.length);
    // One Measurement row per kernel, with the runtime config it ran under.
    const rows = await lab.db.measurement.findMany({ select: { medianMs: true, runtimeConfig: true } });
    expect(rows).toHaveLength(plan.length);
    for (const r of rows) expect(r.medianMs).toBeGreaterThan(0);

    const rng = createRng(3);
    const genomes = new Map<string, Genome>();
    while (genomes.size < 3) {
      const g = sampleGenome(SPACE, rng);
      genomes.set(genomeHash(g), g);
    }
    const candidates = [...genomes].map(([hash, genome]) => ({
      genome,
      hash,
      encoded: encodeGenome(genome),
      cost: genomeCost(genome, input.height, input.width),
    }));
    await lab.searches.ensureArchitectures(candidates, COST_MODEL_VERSION, input);
    const measured = await lab.latencySource().measure({ target: lab.target, genomes: candidates }, signal);
    const samples = candidates.map((c) => {
      const m = measured.get(c.hash);
      if (!m || m instanceof Error) throw new Error(`not measured: ${c.encoded}`);
      return { genome: c.genome, ms: m.medianMs };
    });

    const predictor = parsePredictor(JSON.stringify(fitPredictor(scope, profile.samples, samples)));
    // Three samples give a scalar calibration of the kernel sum: the median of log(measured / kernel sum). What is
    // checked is that calibration, exactly, and the units; accuracy is the bench's (bench/latency-predictor.ts),
    // because timings taken on a shared host vary severalfold and would make this test depend on the machine's load.
    expect(predictor.correction.kind).toBe("scalar");
    const logRatios = samples.map((s) => Math.log(s.ms / predictLatency(predictor, s.genome).kernelSumMs));
    const median = [...logRatios].sort((a, b) => a - b)[1] as number;
    samples.forEach((s, i) => {
      const p = predictLatency(predictor, s.genome);
      expect(p.kernelSumMs).toBeGreaterThan(0);
      expect(p.stdMs).toBeGreaterThan(0);
      // Prediction = kernel sum x exp(median log ratio): the median sample is reproduced, the others by that factor.
      expect(Math.log(p.meanMs / s.ms)).toBeCloseTo(median - (logRatios[i] as number), 9);
      // Kernel times and whole-model times are both milliseconds: a unit slip (s vs ms) would put them 1000x apart,
      // far beyond any slowdown a busy host causes.
      expect(Math.abs(Math.log10(p.kernelSumMs / s.ms))).toBeLessThan(2);
    });
    const report = await lab.storeReport(predictor, { kernels: profile.samples, samples }, { count: samples.length });
    const served = await lab.db.artifact.findMany({
      where: { kind: "report", metadata: { path: ["report"], equals: "latency-predictor" } },
    });
    expect(served.map((a) => a.sha256)).toEqual([report.sha256]);
    expect(served[0]?.metadata).toMatchObject({ deviceClass: "host-cpu", predictorVersion: predictor.version });
  }, 900_000);
});
