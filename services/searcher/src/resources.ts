import { MfnasError, type ExportFormat } from "@mfnas/core";
import { JobProducer, type createRedis, type WorkerLog } from "@mfnas/queue";
import { EvaluationRepository, LocalArtifactStore, SearchRepository, type Db } from "@mfnas/store";
import type { Tf } from "@mfnas/model";
import { ActiveLatencySource } from "./adapters/active.latency-source.ts";
import { DeviceLabLatencySource } from "./adapters/device-lab.latency-source.ts";
import { EvaluatorQualitySource } from "./adapters/evaluator.quality-source.ts";
import { SupernetExporter } from "./adapters/final-exporter.ts";
import { DeviceLabKernelMeasurer } from "./adapters/kernel-measurer.ts";
import { storedPredictorBook, type PutReport } from "./adapters/stored-predictor-book.ts";
import type { LatencyProfileResources } from "./latency-profile.job.ts";
import type { SearchRunResources } from "./search-run.job.ts";

export interface SearcherWiring {
  readonly db: Db;
  readonly redis: ReturnType<typeof createRedis>;
  readonly prefix: string;
  /** Directory of the local artifact store (shared with the trainer, evaluator and device lab). */
  readonly artifactDir: string;
  /** TensorFlow.js namespace for slicing inherited weights of the final exports (any backend). */
  readonly tf: Tf;
  readonly log: WorkerLog;
  readonly cancelPollMs?: number;
  /** Called as results of a generation's evaluations and measurements arrive. */
  readonly onProgress?: (what: string, done: number, total: number) => void;
}

/**
 * The searcher's resources over Postgres, Redis and the artifact store: quality from the evaluator and latency
 * from the device lab through their queues, final exports sliced from the supernet checkpoint.
 */
export function searcherResources(
  wiring: SearcherWiring,
): SearchRunResources & { profiling: LatencyProfileResources; close(): Promise<void> } {
  const searches = new SearchRepository(wiring.db);
  const evaluations = new EvaluationRepository(wiring.db);
  const artifacts = new LocalArtifactStore(wiring.artifactDir, wiring.db);
  const producer = new JobProducer({ connection: wiring.redis, prefix: wiring.prefix });
  const putArtifact = async (a: { bytes: Uint8Array; kind: ExportFormat; mediaType: string; metadata: object }) =>
    (await artifacts.put({ ...a, metadata: JSON.parse(JSON.stringify(a.metadata)) as Record<string, never> })).sha256;
  const progress = wiring.onProgress;
  const putReport: PutReport = (bytes, metadata) =>
    artifacts.put({ bytes, kind: "report", mediaType: "application/json", metadata });
  const deviceLab = () =>
    new DeviceLabLatencySource({
      producer,
      store: { measurementsByRequestKey: (keys) => searches.measurementsByRequestKey(keys), putArtifact },
      ...(progress
        ? { onProgress: (target: string, done: number, total: number) => progress(`latency ${target}`, done, total) }
        : {}),
    });
  return {
    store: searches,
    log: wiring.log,
    ...(wiring.cancelPollMs !== undefined ? { cancelPollMs: wiring.cancelPollMs } : {}),
    quality: new EvaluatorQualitySource({
      producer,
      store: {
        evaluations: async (key, hashes) =>
          new Map(
            (await evaluations.findEvaluations(key, hashes)).map((e) => [e.genomeHash, { psnr: e.psnr, ssim: e.ssim }]),
          ),
      },
      ...(progress ? { onProgress: (done: number, total: number) => progress("quality", done, total) } : {}),
    }),
    // Measures every candidate for "measured" searches; predicts and measures actively for "predicted" ones.
    latency: new ActiveLatencySource({
      measured: deviceLab(),
      book: storedPredictorBook(wiring.db, putReport, wiring.log),
    }),
    // Kernel profiling (latency.profile): each kernel exported alone and measured through the same device-lab path.
    profiling: {
      kernelMeasurer: (target) =>
        new DeviceLabKernelMeasurer(target, deviceLab(), {
          ensureArchitectures: (rows, version, input) => searches.ensureArchitectures(rows, version, input),
          putArtifact,
        }),
      putReport,
      log: wiring.log,
    },
    exporter: new SupernetExporter(wiring.tf, {
      checkpointArtifact: async (id, step) => (await evaluations.getCheckpoint(id, step))?.artifactSha256 ?? null,
      getArtifact: (sha) => artifacts.get(sha),
      putArtifact,
    }),
    // A checkpoint reused from an earlier run (or another checkout's supernet row) must be here and intact.
    verifyCheckpoint: async (supernetId, step) => {
      const sha256 = (await evaluations.getCheckpoint(supernetId, step))?.artifactSha256;
      if (!sha256) throw new MfnasError("not_found", `supernet ${supernetId} has no checkpoint at step ${step}`);
      await artifacts.get(sha256);
    },
    close: () => producer.close(),
  };
}
