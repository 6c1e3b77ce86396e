import os from "node:os";
import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { JOBS, QUEUES } from "@mfnas/core";
import { selectComputeBackend } from "@mfnas/model";
import { CatalogWorker, exitCannotStart, requeueUnfinished, runWorkerService } from "@mfnas/queue";
import { LocalArtifactStore, SupernetRepository, createDb, databaseDependency } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { TrainerMetrics } from "./metrics.ts";
import { createTrainSupernetHandler } from "./train-supernet.job.ts";

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL);
const log = workerLog(logger);
// tfjs-node-gpu when installed, else the fastest CPU backend; training gradients registered either way. A GPU
// asked for (REQUIRE_GPU, TRAINER_BACKEND=tensorflow-gpu) and not there stops the trainer with one line, exit 69.
const backend = await selectComputeBackend(tfCore, {
  ...(env.TRAINER_BACKEND !== undefined ? { prefer: env.TRAINER_BACKEND } : {}),
  ...(env.REQUIRE_GPU ? { requireGpu: true } : {}),
  log: (line) => logger.info(line),
}).catch((error: unknown) => exitCannotStart("trainer", error));
// One training worker per core the backend leaves idle: wasm computes on one thread, tfjs-node on all of them.
const workers = env.TRAINER_WORKERS ?? Math.max(1, Math.floor(os.availableParallelism() / backend.threads));
const db = createDb(env.DATABASE_URL);

await runWorkerService({
  service: "trainer",
  env,
  log,
  dependencies: [databaseDependency(db, env.DATABASE_URL)],
  close: () => db.$disconnect(),
  inFlight: "running training checkpoints and goes back to the queue",
  start: ({ redis, metrics }) => {
    metrics.reportCompute({ tfjs: backend.name, accelerator: backend.accelerator });
    const trainerMetrics = new TrainerMetrics(metrics.registry);
    const worker = new CatalogWorker({
      connection: redis,
      prefix: env.QUEUE_PREFIX,
      queue: QUEUES.train,
      handlers: {
        "trainer.train-supernet": createTrainSupernetHandler({
          tf: backend.tf,
          store: new SupernetRepository(db),
          artifacts: new LocalArtifactStore(path.resolve(env.ARTIFACT_DIR), db),
          log,
          onSteps: trainerMetrics.record,
          workers,
          datasetCacheDir: path.resolve(env.DATASET_CACHE_DIR),
        }),
      },
      log,
      name: `trainer-${process.pid}`,
      concurrency: env.TRAINER_CONCURRENCY,
      ...(env.TRAINER_LOCK_DURATION_MS !== undefined ? { lockDurationMs: env.TRAINER_LOCK_DURATION_MS } : {}),
      ...(env.TRAINER_STALLED_INTERVAL_MS !== undefined ? { stalledIntervalMs: env.TRAINER_STALLED_INTERVAL_MS } : {}),
    });
    metrics.watchQueue(redis, env.QUEUE_PREFIX, QUEUES.train.name);
    metrics.instrumentWorker(worker);
    const supernets = new SupernetRepository(db);
    const requeue = requeueUnfinished({
      connection: redis,
      prefix: env.QUEUE_PREFIX,
      what: "supernets",
      job: JOBS.trainSupernet.name,
      payloadOf: (supernetId) => ({ supernetId }),
      unfinished: () => supernets.unfinishedSupernetIds(),
      log,
      everyMs: env.TRAINER_REQUEUE_MS,
    });
    return {
      run: () => worker.start(),
      readyFields: () => ({
        queue: QUEUES.train.name,
        prefix: env.QUEUE_PREFIX,
        backend: backend.name,
        accelerator: backend.accelerator,
        workers,
      }),
      async stop() {
        await requeue.stop();
        await worker.close();
      },
    };
  },
});
