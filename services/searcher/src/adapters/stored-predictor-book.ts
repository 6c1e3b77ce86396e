import { canonicalJson, validateGenomeStructure, type Genome, type KernelSpec } from "@mfnas/core";
import {
  crossValidatedAccuracy,
  serializePredictor,
  type GenomeSample,
  type KernelSample,
  type LatencyPredictor,
} from "@mfnas/latency";
import { KERNEL_GRAPH_VERSION } from "@mfnas/export";
import type { WorkerLog } from "@mfnas/queue";
import type { Db } from "@mfnas/store";
import type { PredictorBook } from "./active.latency-source.ts";
import { latencyMs } from "../ports.ts";

export type ReportValue = string | number | boolean | null | { readonly [key: string]: ReportValue };
/** Stores a JSON report artifact with its metadata; returns its sha256. */
export type PutReport = (bytes: Uint8Array, metadata: Record<string, ReportValue>) => Promise<{ sha256: string }>;

/** Stores a fitted predictor (`{report: "latency-model"}`); returns the artifact's sha256. */
export async function putPredictorModel(
  putReport: PutReport,
  predictor: LatencyPredictor,
  data: { readonly kernels: readonly unknown[]; readonly samples: readonly unknown[] },
): Promise<string> {
  const model = await putReport(new TextEncoder().encode(serializePredictor(predictor)), {
    report: "latency-model",
    deviceClass: predictor.scope.deviceClass,
    predictorVersion: predictor.version,
    samples: data.samples.length,
    kernels: data.kernels.length,
  });
  return model.sha256;
}

/**
 * Stores a predictor's accuracy report (`{report: "latency-predictor"}`, what the API and dashboard show): the
 * report as the artifact's JSON and in its metadata, next to the class, the predictor's version and its artifact.
 */
export function putAccuracyReport(
  putReport: PutReport,
  predictor: LatencyPredictor,
  modelSha256: string,
  report: object,
): Promise<{ sha256: string }> {
  return putReport(new TextEncoder().encode(JSON.stringify(report, null, 2)), {
    ...(JSON.parse(JSON.stringify(report)) as Record<string, ReportValue>),
    report: "latency-predictor",
    deviceClass: predictor.scope.deviceClass,
    predictorVersion: predictor.version,
    predictorArtifact: modelSha256,
  });
}

/** A new accuracy report once the measured SubGenerators have grown by this factor since the last one. */
const REPORT_GROWTH = 1.1;
const CV_FOLDS = 5;

/**
 * A predictor's data from the results store: every Measurement of the scope's device class, runtime config and
 * input (its median or fastest run, as the scope's statistic says), split into profiled kernels (architecture rows
 * with a `kernel` genome of the current kernel-graph layout, as `latency.profile` measures them) and SubGenerators. Refitted predictors are stored as `report` artifacts with metadata
 * `{report: "latency-model", ...}`, and with them, as the measurements grow, an accuracy report cross-validated
 * on those measurements (`{report: "latency-predictor", ...}`, the one the API and dashboard show).
 */
export function storedPredictorBook(db: Db, putReport: PutReport, log?: Pick<WorkerLog, "warn">): PredictorBook {
  /** Per scope, the measured SubGenerators behind the last accuracy report written. */
  const reported = new Map<string, number>();
  return {
    load: async (scope) => {
      const rows = await db.measurement.findMany({
        where: { deviceClass: scope.deviceClass, inputHeight: scope.input.height, inputWidth: scope.input.width },
        select: {
          medianMs: true,
          minMs: true,
          runtimeConfig: true,
          architecture: { select: { genome: true, costModelVersion: true } },
        },
        orderBy: { createdAt: "asc" },
      });
      const config = canonicalJson(scope.runtimeConfig);
      const kernels: KernelSample[] = [];
      const samples: GenomeSample[] = [];
      for (const r of rows) {
        if (canonicalJson(r.runtimeConfig) !== config) continue;
        const genome = r.architecture.genome as { kernel?: KernelSpec } | Genome;
        const ms = latencyMs(r, { latencyStatistic: scope.statistic });
        if ("kernel" in genome && genome.kernel) {
          // Kernels of an older kernel-graph layout measured other models: never mixed into a profile.
          if (r.architecture.costModelVersion === KERNEL_GRAPH_VERSION) kernels.push({ kernel: genome.kernel, ms });
        } else samples.push({ genome: validateGenomeStructure(genome), ms });
      }
      if (kernels.length === 0) {
        log?.warn("no kernel profile for this device class, runtime config and input: predictions start without one", {
          deviceClass: scope.deviceClass,
          input: scope.input,
          profileWith: `mfnas latency profile ${scope.deviceClass} (or queue latency.profile)`,
        });
      }
      return { kernels, samples };
    },
    save: async (predictor, data) => {
      const model = await putPredictorModel(putReport, predictor, data);
      // The accuracy report, cross-validated on the measurements themselves, when they have grown enough since
      // the scope's last report (a refit follows every measured batch; a report for each would say little new).
      const key = canonicalJson(predictor.scope);
      const last = reported.get(key) ?? 0;
      if (data.samples.length < Math.max(last * REPORT_GROWTH, last + 1)) return;
      const figures = crossValidatedAccuracy(predictor.scope, data.kernels, data.samples, { folds: CV_FOLDS });
      if (!figures) return;
      reported.set(key, data.samples.length);
      await putAccuracyReport(putReport, predictor, model, {
        ...figures,
        method: `${CV_FOLDS}-fold cross-validation on the measured SubGenerators`,
        trainSamples: data.samples.length,
        kernels: data.kernels.length,
        statistic: predictor.scope.statistic,
        input: predictor.scope.input,
        runtimeConfig: predictor.scope.runtimeConfig,
      });
    },
  };
}
