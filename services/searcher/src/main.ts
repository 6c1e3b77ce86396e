import { QUEUES, errorMessage } from "@mfnas/core";
import { CatalogWorker, createRedis } from "@mfnas/queue";
import { SearchRepository, createDb } from "@mfnas/store";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { createSearchRunHandler } from "./search-run.job.ts";

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL);
const log = workerLog(logger);
const db = createDb(env.DATABASE_URL);
const redis = createRedis(env.REDIS_URL, "searcher");

const worker = new CatalogWorker({
  connection: redis,
  prefix: env.QUEUE_PREFIX,
  queue: QUEUES.search,
  handlers: { "search.run": createSearchRunHandler({ store: new SearchRepository(db), log }) },
  log,
  name: `searcher-${process.pid}`,
  ...(env.SEARCHER_CONCURRENCY !== undefined ? { concurrency: env.SEARCHER_CONCURRENCY } : {}),
  ...(env.SEARCHER_LOCK_DURATION_MS !== undefined ? { lockDurationMs: env.SEARCHER_LOCK_DURATION_MS } : {}),
  ...(env.SEARCHER_STALLED_INTERVAL_MS !== undefined ? { stalledIntervalMs: env.SEARCHER_STALLED_INTERVAL_MS } : {}),
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down: running searches go back to the queue");
  try {
    await worker.close();
    await db.$disconnect();
    redis.disconnect();
    process.exit(0);
  } catch (error) {
    logger.error({ error: errorMessage(error) }, "unclean shutdown");
    process.exit(1);
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

await worker.start();
logger.info({ queue: QUEUES.search.name, prefix: env.QUEUE_PREFIX }, "searcher ready");
