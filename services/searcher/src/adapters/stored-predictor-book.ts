import { canonicalJson, validateGenomeStructure, type Genome } from "@mfnas/core";
import { serializePredictor, type GenomeSample, type KernelSample, type KernelSpec } from "@mfnas/latency";
import type { Db } from "@mfnas/store";
import type { PredictorBook } from "./active.latency-source.ts";

/**
 * A predictor's data from the results store: every Measurement of the scope's device class, runtime config and
 * input (its median or fastest run, as the scope's statistic says), split into profiled kernels (architecture rows with a `kernel` genome) and SubGenerators. Refitted
 * predictors are stored as `report` artifacts with metadata `{report: "latency-model", ...}`.
 */
export function storedPredictorBook(
  db: Db,
  putReport: (bytes: Uint8Array, metadata: Record<string, string | number>) => Promise<unknown>,
): PredictorBook {
  return {
    load: async (scope) => {
      const rows = await db.measurement.findMany({
        where: { deviceClass: scope.deviceClass, inputHeight: scope.input.height, inputWidth: scope.input.width },
        select: { medianMs: true, minMs: true, runtimeConfig: true, architecture: { select: { genome: true } } },
        orderBy: { createdAt: "asc" },
      });
      const config = canonicalJson(scope.runtimeConfig);
      const kernels: KernelSample[] = [];
      const samples: GenomeSample[] = [];
      for (const r of rows) {
        if (canonicalJson(r.runtimeConfig) !== config) continue;
        const genome = r.architecture.genome as { kernel?: KernelSpec } | Genome;
        const ms = scope.statistic === "min" ? r.minMs : r.medianMs;
        if ("kernel" in genome && genome.kernel) kernels.push({ kernel: genome.kernel, ms });
        else samples.push({ genome: validateGenomeStructure(genome), ms });
      }
      return { kernels, samples };
    },
    save: async (predictor, data) => {
      await putReport(new TextEncoder().encode(serializePredictor(predictor)), {
        report: "latency-model",
        deviceClass: predictor.scope.deviceClass,
        predictorVersion: predictor.version,
        samples: data.samples.length,
        kernels: data.kernels.length,
      });
    },
  };
}
