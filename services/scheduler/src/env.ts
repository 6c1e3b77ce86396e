import { z } from "zod";
import { envVar, errorMessage, parseEnv } from "@mfnas/core";

const schema = z.object({
  /** Results store: schedules are read from it, searches and slot runs written to it. */
  DATABASE_URL: envVar.postgresUrl(),
  /** BullMQ's Redis. The default is the local Redis of a single-machine install. */
  REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
  /** Key prefix of all queues; must equal the api's and the searcher's. */
  QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
  /**
   * How often the job schedulers are brought in line with the Schedule rows (created, changed, disabled,
   * deleted). A change takes effect within this time; each pass is one small query and one Redis read.
   */
  SCHEDULER_SYNC_MS: envVar.positiveInt().default(10_000),
  /**
   * A slot fired later than this after its time counts as missed and its schedule's missed-run policy decides
   * (skip, or run once for the most recent missed slot). Five minutes rides out a restart or a short Redis blip.
   */
  SCHEDULER_MISSED_AFTER_MS: envVar.positiveInt().default(300_000),
  /** Fire jobs handled at once by this replica; unset = the queue's default (1). Each is a short transaction. */
  SCHEDULER_CONCURRENCY: envVar.positiveInt().optional(),
  /**
   * Port of the /metrics, /healthz and /readyz server Prometheus scrapes (searcher 9461, trainer 9462, evaluator
   * 9463, device-lab 9464, scheduler 9465 by default); 0 picks a free port (logged at start).
   */
  METRICS_PORT: envVar.port().default(9465),
  /** Listen address of that server. Default all interfaces: the scraper runs in another container or host. */
  METRICS_HOST: z.string().min(1).default("0.0.0.0"),
  /**
   * How long to wait at start for PostgreSQL and Redis to answer before stopping with one line naming what is
   * unreachable (exit 69). 30 s covers a database started beside the service.
   */
  STARTUP_WAIT_MS: envVar.positiveInt().default(30_000),
  LOG_LEVEL: envVar.logLevel().default("info"),
});

export type SchedulerEnv = z.infer<typeof schema>;

/** Parses the environment once; a bad or missing variable stops the process with a message naming it. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): SchedulerEnv {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    process.stderr.write(`scheduler: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}
