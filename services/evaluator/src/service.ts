import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { MfnasError, QUEUES } from "@mfnas/core";
import { NO_GPU_MESSAGE, selectComputeBackend, type Accelerator, type BackendName } from "@mfnas/model";
import { CatalogWorker, type ServiceMetrics, type WorkerLog, type createRedis } from "@mfnas/queue";
import { EvaluationRepository, LocalArtifactStore, type Db } from "@mfnas/store";
import { createEvaluateCandidateHandler } from "./evaluate-candidate.job.ts";
import type { EvaluationPath } from "./evaluator-store.ts";
import { EvaluatorMetrics } from "./metrics.ts";
import { probeOrtProvider, type OrtProvider } from "./upscalers.ts";
import { ValidationSets } from "./validation-sets.ts";

/** What a running evaluator needs; `main.ts` builds it from the environment, tests build it themselves. */
export interface EvaluatorResources {
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
  /** ONNX Runtime's execution provider; default cpu. cuda is checked at start and never falls back. */
  readonly ortProvider?: OrtProvider | undefined;
  /**
   * Refuse to start unless evaluations run on a GPU: the tfjs path on tfjs-node-gpu with a device, or the ONNX
   * Runtime path with the cuda provider. Default false.
   */
  readonly requireGpu?: boolean | undefined;
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
  /** What evaluations really run on: the tfjs backend's device on the tfjs path, the ORT provider's otherwise. */
  readonly accelerator: Accelerator;
  /** What the `evaluator ready` line says (main.ts logs it once the metrics server listens). */
  readonly readyFields: Readonly<Record<string, unknown>>;
  /** Stops taking jobs, hands running ones back to the queue and frees the cached supernets; leaves db/redis open. */
  close(): Promise<void>;
}

/** Starts an evaluator worker on the `evaluate` queue in this process (what `main.ts` runs). */
export async function startEvaluator(resources: EvaluatorResources): Promise<RunningEvaluator> {
  const { log } = resources;
  const backend = await selectComputeBackend(tfCore, {
    training: false,
    log: (line) => log.info(line),
    ...(resources.backend !== undefined ? { prefer: resources.backend } : {}),
  });
  const metrics = resources.metrics ? new EvaluatorMetrics(resources.metrics.registry) : undefined;
  const requested = resources.path ?? "auto";
  const path_: EvaluationPath =
    requested === "auto" ? (backend.accelerator === "gpu" ? "tfjs" : "onnxruntime") : requested;
  const ortProvider = resources.ortProvider ?? "cpu";
  const accelerator = await checkAccelerator(path_, backend.accelerator, ortProvider, resources.requireGpu ?? false);
  resources.metrics?.reportCompute({ tfjs: backend.name, onnxruntime: ortProvider, path: path_, accelerator });
  const handler = createEvaluateCandidateHandler({
    tf: backend.tf,
    backend: backend.name,
    path: path_,
    store: metrics ? metrics.observe(new EvaluationRepository(resources.db)) : new EvaluationRepository(resources.db),
    artifacts: new LocalArtifactStore(path.resolve(resources.artifactDir), resources.db),
    validationSets: new ValidationSets(resources.validationRoot),
    log,
    ...(resources.ortThreads !== undefined ? { ortThreads: resources.ortThreads } : {}),
    ortProvider,
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
  const readyFields = {
    queue: QUEUES.evaluate.name,
    prefix: resources.queuePrefix,
    backend: backend.name,
    path: path_,
    onnxruntime: ortProvider,
    accelerator,
  };
  return {
    backend: backend.name,
    path: path_,
    accelerator,
    readyFields,
    async close() {
      await worker.close();
      handler.dispose();
    },
  };
}

/**
 * What the evaluation path runs on, after checking what was asked for: the cuda provider must load (ONNX Runtime
 * never falls back by itself here: the probe fails instead), and with `requireGpu` the path must be on a GPU.
 * Throws `MfnasError("unsupported")` starting with "no GPU backend loaded".
 */
async function checkAccelerator(
  path_: EvaluationPath,
  tfjs: Accelerator,
  ortProvider: OrtProvider,
  requireGpu: boolean,
): Promise<Accelerator> {
  if (ortProvider === "cuda") {
    await probeOrtProvider("cuda").catch((error: unknown) => {
      const why = (error instanceof Error ? error.message : String(error)).split("\n", 1)[0];
      throw new MfnasError("unsupported", `${NO_GPU_MESSAGE}: ONNX Runtime's CUDA execution provider failed: ${why}`);
    });
  }
  const accelerator: Accelerator = path_ === "tfjs" ? tfjs : ortProvider === "cuda" ? "gpu" : "cpu";
  if (requireGpu && accelerator !== "gpu") {
    const how =
      path_ === "tfjs"
        ? "the tfjs path runs on a CPU backend (tfjs-node-gpu with an NVIDIA device is needed)"
        : "the onnxruntime path runs on ONNX Runtime's CPU provider (set EVALUATOR_ORT_PROVIDER=cuda)";
    throw new MfnasError("unsupported", `${NO_GPU_MESSAGE}: ${how}`);
  }
  return accelerator;
}
