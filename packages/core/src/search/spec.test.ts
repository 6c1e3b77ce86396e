import { describe, expect, it } from "vitest";
import { MfnasError, RUNTIMES, latencyStatisticOf, parseSearchSpec, searchObjectives } from "../index.ts";

const SUPERNET = "3f1c2b4e-8d7a-4c1e-9b2f-5a6d7e8f9012";

describe("search spec", () => {
  it("fills defaults, and a cost-only spec stays valid", () => {
    const spec = parseSearchSpec({ name: "n", budget: { generations: 2, population: 4 } });
    expect(spec).toMatchObject({
      name: "n",
      seed: 0,
      validationSet: "photos-val",
      referenceInput: { height: 64, width: 64 },
      targets: [],
      constraints: {},
      algorithm: { kind: "nsga2", crossoverProbability: 0.9 },
      latencySource: "measured",
      budget: { generations: 2, population: 4 },
      final: { remeasure: true, exportFormats: ["tflite"] },
    });
    expect(searchObjectives(spec)).toEqual(["macs", "memory"]);
  });

  it("implies quality and latency objectives from the supernet and targets", () => {
    const spec = parseSearchSpec({
      name: "n",
      supernet: { id: SUPERNET },
      targets: [{ deviceClass: "host-cpu", maxLatencyMs: 50 }],
      algorithm: { kind: "evolution" },
      budget: { generations: 2, population: 4 },
    });
    expect(searchObjectives(spec)).toEqual(["psnr", "latency"]);
    expect(spec.targets[0]?.runtimeConfig).toMatchObject({ runtime: "tflite", threads: 1 });
    expect(spec.algorithm).toEqual({
      kind: "evolution",
      parentRatio: 0.25,
      mutationRatio: 0.5,
      mutationProbability: 0.1,
    });
  });

  it("takes memory traffic as an objective and a limit, and rejects a bad limit naming it and its unit", () => {
    const base = { name: "n", objectives: ["traffic", "memory"], budget: { generations: 1, population: 2 } };
    const spec = parseSearchSpec({ ...base, constraints: { maxMemoryTrafficMb: 12.5 } });
    expect(searchObjectives(spec)).toEqual(["traffic", "memory"]);
    expect(spec.constraints.maxMemoryTrafficMb).toBe(12.5);
    for (const bad of [0, -3, "12MB"]) {
      expect(() => parseSearchSpec({ ...base, constraints: { maxMemoryTrafficMb: bad } })).toThrow(
        /constraints\.maxMemoryTrafficMb: must be a (positive )?number of MB \(memory traffic per inference at referenceInput\)/,
      );
    }
    expect(() => parseSearchSpec({ ...base, constraints: { maxMemoryTrafficMB: 3 } })).toThrow(
      /constraints: .*maxMemoryTrafficMB/,
    );
  });

  it("names every bad field", () => {
    expect(() =>
      parseSearchSpec({
        name: "",
        budget: { generations: 0, population: 4 },
        referenceInput: { height: 30, width: 64 },
        colour: 1,
      }),
    ).toThrow(/name: .*referenceInput\.height: .*multiple of 4.*budget\.generations: .*colour/s);
  });

  it("takes a target's latency statistic and a predicted search's measurement share, and names bad ones", () => {
    const spec = parseSearchSpec({
      name: "n",
      targets: [{ deviceClass: "host-cpu", latencyStatistic: "min" }, { deviceClass: "pixel-7" }],
      latencySource: "predicted",
      activeMeasurement: { maxShare: 0.2 },
      budget: { generations: 1, population: 2 },
    });
    expect(spec.targets.map((t) => latencyStatisticOf(t))).toEqual(["min", "median"]);
    expect(spec.activeMeasurement).toEqual({ maxShare: 0.2 });
    expect(() =>
      parseSearchSpec({
        name: "n",
        targets: [{ deviceClass: "host-cpu", latencyStatistic: "mean" }],
        activeMeasurement: { maxShare: 1.5, z: 0 },
        budget: { generations: 1, population: 2 },
      }),
    ).toThrow(/targets\.0\.latencyStatistic: .*activeMeasurement\.maxShare: .*activeMeasurement\.z: /s);
  });

  it("refuses objectives the spec cannot compute", () => {
    expect(() =>
      parseSearchSpec({
        name: "n",
        objectives: ["psnr", "ssim", "latency"],
        budget: { generations: 1, population: 2 },
      }),
    ).toThrow(/objectives: choose psnr or ssim.*supernet: is required.*targets: needs at least one target/s);
    expect(() =>
      parseSearchSpec({
        name: "n",
        targets: [{ deviceClass: "a" }, { deviceClass: "a" }],
        validationSet: "../etc",
        algorithm: { kind: "annealing" },
        budget: { generations: 1, population: 2 },
      }),
    ).toThrow(/validationSet: .*algorithm\.kind/s);
    expect(() =>
      parseSearchSpec({
        name: "n",
        targets: [{ deviceClass: "a" }, { deviceClass: "a" }],
        budget: { generations: 1, population: 2 },
      }),
    ).toThrow(/targets\.1\.name: repeats target a/);
  });
});

describe("target runtimes", () => {
  const withRuntime = (runtime: string) => ({
    name: "n",
    targets: [
      {
        deviceClass: "host-cpu",
        runtimeConfig: { runtime, threads: 1, delegate: "xnnpack", precision: "fp32", warmupRuns: 1, runs: 3 },
      },
    ],
    budget: { generations: 1, population: 2 },
  });

  it("accepts each runtime core lists", () => {
    for (const runtime of RUNTIMES) {
      expect(parseSearchSpec(withRuntime(runtime)).targets[0]?.runtimeConfig.runtime).toBe(runtime);
    }
  });

  it.each(["onnxruntime", "tfjs", "host-onnx"])(
    "refuses %s, naming the field and the runtimes there are",
    (runtime) => {
      let caught: unknown;
      try {
        parseSearchSpec(withRuntime(runtime));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MfnasError);
      expect((caught as MfnasError).code).toBe("invalid_input");
      expect((caught as MfnasError).details?.["fields"]).toEqual([
        `targets.0.runtimeConfig.runtime: runtime "${runtime}" has no runner; runtimes: ${RUNTIMES.join(", ")}`,
      ]);
    },
  );
});
