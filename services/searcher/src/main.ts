import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { JOBS, QUEUES } from "@mfnas/core";
import { selectBackend } from "@mfnas/model";
import { CatalogWorker, requeueUnfinished, runWorkerService } from "@mfnas/queue";
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

await runWorkerService({
  service: "searcher",
  env,
  log,
  dependencies: [databaseDependency(db, env.DATABASE_URL)],
  close: () => db.$disconnect(),
  inFlight: "running searches go back to the queue",
  start: async ({ redis, metrics }) => {
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
      ...(env.SEARCHER_STALLED_INTERVAL_MS !== undefined
        ? { stalledIntervalMs: env.SEARCHER_STALLED_INTERVAL_MS }
        : {}),
    });
    metrics.watchQueue(redis, env.QUEUE_PREFIX, QUEUES.search.name);
    metrics.instrumentWorker(worker);
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
    return {
      run: () => worker.start(),
      readyFields: () => ({ queue: QUEUES.search.name, prefix: env.QUEUE_PREFIX }),
      async stop() {
        await requeue.stop();
        await worker.close();
        await resources.close();
      },
    };
  },
});
