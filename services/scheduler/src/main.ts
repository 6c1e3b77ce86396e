import { runWorkerService } from "@mfnas/queue";
import { QUEUES } from "@mfnas/core";
import { createDb, databaseDependency } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { registerScheduleMetrics, scheduleRunSummaries } from "./metrics.ts";
import { startScheduler } from "./scheduler.ts";

const env = loadEnv();
const log = workerLog(createLogger(env.LOG_LEVEL));
const db = createDb(env.DATABASE_URL);

await runWorkerService({
  service: "scheduler",
  env,
  log,
  dependencies: [databaseDependency(db, env.DATABASE_URL)],
  close: () => db.$disconnect(),
  inFlight: "fire jobs in flight go back to the queue; job schedulers stay in Redis for the other replicas",
  start: async ({ redis, metrics }) => {
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
    metrics.watchQueue(redis, env.QUEUE_PREFIX, QUEUES.schedule.name);
    // The scheduler always runs: its counts of the train and evaluate queues are what autoscaling reads while
    // those workers are scaled to zero (k8s/base/keda.yaml).
    for (const queue of [QUEUES.train, QUEUES.evaluate]) metrics.watchQueue(redis, env.QUEUE_PREFIX, queue.name);
    registerScheduleMetrics(metrics.registry, () => scheduleRunSummaries(db));
    return {
      readyFields: () => ({ queue: QUEUES.schedule.name, prefix: env.QUEUE_PREFIX, syncMs: env.SCHEDULER_SYNC_MS }),
      stop: () => scheduler.close(),
    };
  },
});
