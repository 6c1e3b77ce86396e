import {
  ServiceMetrics,
  createRedis,
  serveMetrics,
  stopOnSignals,
  checkDependencies,
  exitCannotStart,
  redisDependency,
  waitForDependencies,
} from "@mfnas/queue";
import { createDb, databaseDependency } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { startEvaluator } from "./service.ts";

const env = loadEnv();
const log = workerLog(createLogger(env.LOG_LEVEL));
const db = createDb(env.DATABASE_URL);
const redis = createRedis(env.REDIS_URL, "evaluator");
// Nothing starts before PostgreSQL and Redis answer; if they do not in time, one line says which and where.
const dependencies = [databaseDependency(db, env.DATABASE_URL), redisDependency(redis, env.REDIS_URL)];
const startup = await waitForDependencies(dependencies, { waitMs: env.STARTUP_WAIT_MS, log }).catch((error: unknown) =>
  exitCannotStart("evaluator", error),
);
const metrics = new ServiceMetrics({ service: "evaluator", log });

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
  readyFields: { dependencies: startup.checks },
  // A GPU asked for (REQUIRE_GPU, EVALUATOR_ORT_PROVIDER=cuda, EVALUATOR_BACKEND=tensorflow-gpu) and not there:
  // one line and exit 69, not evaluations on the CPU.
}).catch((error: unknown) => exitCannotStart("evaluator", error));
const metricsServer = await serveMetrics(metrics, {
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  ready: () => checkDependencies(dependencies),
  log,
});

stopOnSignals(
  async () => {
    await evaluator.close();
    await metricsServer.close();
    await db.$disconnect();
    redis.disconnect();
  },
  log,
  "running evaluations go back to the queue",
);
