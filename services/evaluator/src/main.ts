import { ServiceMetrics, createRedis, serveMetrics, stopOnSignals } from "@mfnas/queue";
import { createDb } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { startEvaluator } from "./service.ts";

const env = loadEnv();
const log = workerLog(createLogger(env.LOG_LEVEL));
const db = createDb(env.DATABASE_URL);
const redis = createRedis(env.REDIS_URL, "evaluator");
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
  cachedCheckpoints: env.EVALUATOR_CACHED_CHECKPOINTS,
  lockDurationMs: env.EVALUATOR_LOCK_DURATION_MS,
  stalledIntervalMs: env.EVALUATOR_STALLED_INTERVAL_MS,
  log,
  metrics,
});
const metricsServer = await serveMetrics(metrics, {
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  ready: () => redis.ping(),
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
