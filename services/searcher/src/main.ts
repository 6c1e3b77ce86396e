import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { JOBS, QUEUES } from "@mfnas/core";
import { selectBackend } from "@mfnas/model";
import {
  CatalogWorker,
  ServiceMetrics,
  createRedis,
  requeueUnfinished,
  serveMetrics,
  stopOnSignals,
  checkDependencies,
  exitCannotStart,
  redisDependency,
  waitForDependencies,
} from "@mfnas/queue";
import { SearchRepository, createDb, databaseDependency } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { SearchMetrics } from "./metrics.ts";
import { searcherResources } from "./resources.ts";
import { createLatencyProfileHandler } from "./latency-profile.job.ts";
import { createSearchRunHandler } from "./search-run.job.ts";

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL);
const log = workerLog(logger);
const db = createDb(env.DATABASE_URL);
const redis = createRedis(env.REDIS_URL, "searcher");
// Nothing starts before PostgreSQL and Redis answer; if they do not in time, one line says which and where.
const dependencies = [databaseDependency(db, env.DATABASE_URL), redisDependency(redis, env.REDIS_URL)];
const startup = await waitForDependencies(dependencies, { waitMs: env.STARTUP_WAIT_MS, log }).catch((error: unknown) =>
  exitCannotStart("searcher", error),
);
// Only slicing inherited weights for the final exports runs here: the plain CPU backend is enough.
const backend = await selectBackend(tfCore, { prefer: "cpu", log: (line) => logger.debug(line) });
const resources = searcherResources({
  db,
  redis,
  prefix: env.QUEUE_PREFIX,
  artifactDir: path.resolve(env.ARTIFACT_DIR),
  tf: backend.tf,
  log,
});

const metrics = new ServiceMetrics({ service: "searcher", log });
const searchMetrics = new SearchMetrics(metrics.registry);

const worker = new CatalogWorker({
  connection: redis,
  prefix: env.QUEUE_PREFIX,
  queue: QUEUES.search,
  handlers: {
    "search.run": createSearchRunHandler({ ...resources, store: searchMetrics.observe(resources.store) }),
    "latency.profile": createLatencyProfileHandler(resources.profiling),
  },
  log,
  name: `searcher-${process.pid}`,
  ...(env.SEARCHER_CONCURRENCY !== undefined ? { concurrency: env.SEARCHER_CONCURRENCY } : {}),
  ...(env.SEARCHER_LOCK_DURATION_MS !== undefined ? { lockDurationMs: env.SEARCHER_LOCK_DURATION_MS } : {}),
  ...(env.SEARCHER_STALLED_INTERVAL_MS !== undefined ? { stalledIntervalMs: env.SEARCHER_STALLED_INTERVAL_MS } : {}),
});

metrics.watchQueue(redis, env.QUEUE_PREFIX, QUEUES.search.name);
metrics.instrumentWorker(worker);
const metricsServer = await serveMetrics(metrics, {
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  ready: () => checkDependencies(dependencies),
  log,
});

const searches = new SearchRepository(db);
const requeue = requeueUnfinished({
  connection: redis,
  prefix: env.QUEUE_PREFIX,
  what: "searches",
  job: JOBS.searchRun.name,
  payloadOf: (searchId) => ({ searchId }),
  unfinished: () => searches.unfinishedSearchIds(),
  log,
  everyMs: env.SEARCHER_REQUEUE_MS,
});

stopOnSignals(
  async () => {
    await requeue.stop();
    await worker.close();
    await metricsServer.close();
    await resources.close();
    await db.$disconnect();
    redis.disconnect();
  },
  log,
  "running searches go back to the queue",
);

await worker.start();
logger.info({ queue: QUEUES.search.name, prefix: env.QUEUE_PREFIX, dependencies: startup.checks }, "searcher ready");
