import { runWorkerService } from "@mfnas/queue";
import { createDb, databaseDependency } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { startEvaluator } from "./service.ts";

const env = loadEnv();
const log = workerLog(createLogger(env.LOG_LEVEL));
const db = createDb(env.DATABASE_URL);

await runWorkerService({
  service: "evaluator",
  env,
  log,
  dependencies: [databaseDependency(db, env.DATABASE_URL)],
  close: () => db.$disconnect(),
  inFlight: "running evaluations go back to the queue",
  // A GPU asked for (REQUIRE_GPU, EVALUATOR_ORT_PROVIDER=cuda, EVALUATOR_BACKEND=tensorflow-gpu) and not there:
  // one line and exit 69, not evaluations on the CPU.
  start: async ({ redis, metrics }) => {
    const evaluator = await startEvaluator({
      db,
      redis,
      queuePrefix: env.QUEUE_PREFIX,
      artifactDir: env.ARTIFACT_DIR,
      validationRoot: env.EVALUATOR_VALIDATION_ROOT,
      path: env.EVALUATOR_PATH,
      backend: env.EVALUATOR_BACKEND,
      concurrency: env.EVALUATOR_CONCURRENCY,
      ortThreads: env.EVALUATOR_ORT_THREADS,
      ortProvider: env.EVALUATOR_ORT_PROVIDER,
      requireGpu: env.REQUIRE_GPU,
      cachedCheckpoints: env.EVALUATOR_CACHED_CHECKPOINTS,
      lockDurationMs: env.EVALUATOR_LOCK_DURATION_MS,
      stalledIntervalMs: env.EVALUATOR_STALLED_INTERVAL_MS,
      log,
      metrics,
    });
    return { readyFields: () => evaluator.readyFields, stop: () => evaluator.close() };
  },
});
