import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { QUEUES } from "@mfnas/core";
import { selectBackend, type BackendName } from "@mfnas/model";
import { CatalogWorker, type ServiceMetrics, type WorkerLog, type createRedis } from "@mfnas/queue";
import { EvaluationRepository, LocalArtifactStore, type Db } from "@mfnas/store";
import { createEvaluateCandidateHandler } from "./evaluate-candidate.job.ts";
import type { EvaluationPath } from "./evaluator-store.ts";
import { EvaluatorMetrics } from "./metrics.ts";
import { ValidationSets } from "./validation-sets.ts";

/** What a running evaluator needs; `main.ts` builds it from the environment, tests build it themselves. */
export interface EvaluatorResources {
  /** Extra fields of the "evaluator ready" log line (main.ts adds what its dependencies answered). */
  readonly readyFields?: Record<string, unknown>;
  readonly db: Db;
  readonly redis: ReturnType<typeof createRedis>;
  readonly queuePrefix: string;
  /** Root of the artifact store holding the checkpoints. */
  readonly artifactDir: string;
  /** Folder of named validation sets; absent = only `bundled:val`. */
  readonly validationRoot?: string | undefined;
  /** `auto` (default): tfjs on a GPU backend, else ONNX Runtime. */
  readonly path?: EvaluationPath | "auto";
  /** The tfjs backend to use; absent = the fastest that loads. */
  readonly backend?: BackendName | undefined;
  readonly concurrency?: number;
  readonly ortThreads?: number | undefined;
  readonly cachedCheckpoints?: number;
  readonly lockDurationMs?: number | undefined;
  readonly stalledIntervalMs?: number | undefined;
  readonly log: WorkerLog;
  /** Worker name stored on the jobs it runs. Default `evaluator-<pid>`. */
  readonly name?: string;
  /** Registry to export queue, job and evaluation series to; absent = none. */
  readonly metrics?: ServiceMetrics;
}

export interface RunningEvaluator {
  readonly backend: BackendName;
  readonly path: EvaluationPath;
  /** Stops taking jobs, hands running ones back to the queue and frees the cached supernets; leaves db/redis open. */
  close(): Promise<void>;
}

/** Starts an evaluator worker on the `evaluate` queue in this process (what `main.ts` runs). */
export async function startEvaluator(resources: EvaluatorResources): Promise<RunningEvaluator> {
  const { log } = resources;
  const backend = await selectBackend(tfCore, {
    training: false,
    log: (line) => log.info(line),
    ...(resources.backend !== undefined ? { prefer: resources.backend } : {}),
  });
  const metrics = resources.metrics ? new EvaluatorMetrics(resources.metrics.registry) : undefined;
  const requested = resources.path ?? "auto";
  const path_: EvaluationPath =
    requested === "auto" ? (backend.name === "tensorflow-gpu" ? "tfjs" : "onnxruntime") : requested;
  const handler = createEvaluateCandidateHandler({
    tf: backend.tf,
    backend: backend.name,
    path: path_,
    store: metrics ? metrics.observe(new EvaluationRepository(resources.db)) : new EvaluationRepository(resources.db),
    artifacts: new LocalArtifactStore(path.resolve(resources.artifactDir), resources.db),
    validationSets: new ValidationSets(resources.validationRoot),
    log,
    ...(resources.ortThreads !== undefined ? { ortThreads: resources.ortThreads } : {}),
    ...(resources.cachedCheckpoints !== undefined ? { cachedCheckpoints: resources.cachedCheckpoints } : {}),
  });
  const worker = new CatalogWorker({
    connection: resources.redis,
    prefix: resources.queuePrefix,
    queue: QUEUES.evaluate,
    handlers: { "evaluator.evaluate-candidate": handler },
    log,
    name: resources.name ?? `evaluator-${process.pid}`,
    ...(resources.concurrency !== undefined ? { concurrency: resources.concurrency } : {}),
    ...(resources.lockDurationMs !== undefined ? { lockDurationMs: resources.lockDurationMs } : {}),
    ...(resources.stalledIntervalMs !== undefined ? { stalledIntervalMs: resources.stalledIntervalMs } : {}),
  });
  if (resources.metrics) {
    resources.metrics.watchQueue(resources.redis, resources.queuePrefix, QUEUES.evaluate.name);
    resources.metrics.instrumentWorker(worker);
  }
  await worker.start();
  log.info("evaluator ready", {
    ...resources.readyFields,
    queue: QUEUES.evaluate.name,
    prefix: resources.queuePrefix,
    backend: backend.name,
    path: path_,
  });
  return {
    backend: backend.name,
    path: path_,
    async close() {
      await worker.close();
      handler.dispose();
    },
  };
}
