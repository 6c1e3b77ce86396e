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
import { QUEUES } from "@mfnas/core";
import { createDb, databaseDependency } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { registerScheduleMetrics, scheduleRunSummaries } from "./metrics.ts";
import { startScheduler } from "./scheduler.ts";

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL);
const log = workerLog(logger);
const db = createDb(env.DATABASE_URL);
const redis = createRedis(env.REDIS_URL, "scheduler");
// Nothing starts before PostgreSQL and Redis answer; if they do not in time, one line says which and where.
const dependencies = [databaseDependency(db, env.DATABASE_URL), redisDependency(redis, env.REDIS_URL)];
const startup = await waitForDependencies(dependencies, { waitMs: env.STARTUP_WAIT_MS, log }).catch((error: unknown) =>
  exitCannotStart("scheduler", error),
);

const scheduler = await startScheduler({
  db,
  redis,
  prefix: env.QUEUE_PREFIX,
  log,
  syncMs: env.SCHEDULER_SYNC_MS,
  missedAfterMs: env.SCHEDULER_MISSED_AFTER_MS,
  name: `scheduler-${process.pid}`,
  ...(env.SCHEDULER_CONCURRENCY !== undefined ? { concurrency: env.SCHEDULER_CONCURRENCY } : {}),
});

const metrics = new ServiceMetrics({ service: "scheduler", log });
metrics.watchQueue(redis, env.QUEUE_PREFIX, QUEUES.schedule.name);
// The scheduler always runs: its counts of the train and evaluate queues are what autoscaling reads while those
// workers are scaled to zero (k8s/base/keda.yaml).
for (const queue of [QUEUES.train, QUEUES.evaluate]) metrics.watchQueue(redis, env.QUEUE_PREFIX, queue.name);
registerScheduleMetrics(metrics.registry, () => scheduleRunSummaries(db));
const metricsServer = await serveMetrics(metrics, {
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  ready: () => checkDependencies(dependencies),
  log,
});

stopOnSignals(
  async () => {
    await scheduler.close();
    await metricsServer.close();
    await db.$disconnect();
    redis.disconnect();
  },
  log,
  "fire jobs in flight go back to the queue; job schedulers stay in Redis for the other replicas",
);

logger.info(
  {
    queue: QUEUES.schedule.name,
    prefix: env.QUEUE_PREFIX,
    syncMs: env.SCHEDULER_SYNC_MS,
    dependencies: startup.checks,
  },
  "scheduler ready",
);
