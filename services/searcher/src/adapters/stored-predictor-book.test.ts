import { describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, createRng, kernelFigures, kernelsOf, sampleGenome, type Genome } from "@mfnas/core";
import { fitPredictor, profilingPlan, type GenomeSample, type KernelSample, type PredictorScope } from "@mfnas/latency";
import type { Db } from "@mfnas/store";
import { storedPredictorBook } from "./stored-predictor-book.ts";

const SCOPE: PredictorScope = {
  deviceClass: "synthetic",
  runtimeConfig: { runtime: "tflite", threads: 1, delegate: "xnnpack", precision: "fp32", warmupRuns: 1, runs: 5 },
  input: { height: 16, width: 16 },
  statistic: "min",
};
const kernelMs = (k: Parameters<typeof kernelFigures>[0]) => 0.05 + kernelFigures(k).macs / 5e8;
const KERNELS: KernelSample[] = profilingPlan(DEFAULT_SEARCH_SPACE, SCOPE.input, { blockShare: 0.2 }).map((kernel) => ({
  kernel,
  ms: kernelMs(kernel),
}));
function samples(n: number): GenomeSample[] {
  const rng = createRng(5);
  return Array.from({ length: n }, () => {
    const genome: Genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
    const sum = kernelsOf(genome, 16, 16).reduce((s, k) => s + kernelMs(k), 0);
    return { genome, ms: 0.3 + 0.9 * sum };
  });
}

describe("stored predictor book", () => {
  it("stores every refit, and a cross-validated accuracy report as the measurements grow", async () => {
    const written: { metadata: Record<string, unknown>; text: string; sha256: string }[] = [];
    const book = storedPredictorBook({} as Db, (bytes, metadata) => {
      const sha256 = `sha-${written.length}`;
      written.push({ metadata, text: new TextDecoder().decode(bytes), sha256 });
      return Promise.resolve({ sha256 });
    });
    const save = (n: number) => {
      const data = { kernels: KERNELS, samples: samples(n) };
      return book.save?.(fitPredictor(SCOPE, data.kernels, data.samples), data);
    };
    const reports = () => written.filter((w) => w.metadata["report"] === "latency-predictor");

    await save(15); // too few to cross-validate: the model only
    expect(written.map((w) => w.metadata["report"])).toEqual(["latency-model"]);
    await save(30);
    expect(reports()).toHaveLength(1);
    const [first] = reports();
    const model = written.at(-2);
    expect(model?.metadata["report"]).toBe("latency-model");
    expect(first?.metadata).toMatchObject({
      deviceClass: "synthetic",
      statistic: "min",
      trainSamples: 30,
      count: 30,
      predictorArtifact: model?.sha256,
      predictorVersion: model?.metadata["predictorVersion"],
    });
    expect(first?.metadata["within10"]).toBeGreaterThan(0.9);
    const body = JSON.parse(first?.text ?? "{}") as { count?: number; method?: string };
    expect(body.count).toBe(30);
    expect(body.method).toMatch(/cross-valid/);
    await save(32); // under 10% more measurements: a refit, no new report
    expect(reports()).toHaveLength(1);
    await save(33);
    expect(reports()).toHaveLength(2);
    expect(written.filter((w) => w.metadata["report"] === "latency-model")).toHaveLength(4);
  });
});
