import { z } from "zod";
import { BACKEND_NAMES } from "@mfnas/model";
import { envVar, errorMessage, parseEnv } from "@mfnas/core";

const schema = z.object({
  /** Results store. Prisma's `?schema=` parameter selects the Postgres schema (default public). */
  DATABASE_URL: envVar.postgresUrl(),
  /** BullMQ's Redis. The default is the local Redis of a single-machine install. */
  REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
  /** Key prefix of all queues; deployments sharing one Redis use different prefixes. */
  QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
  /** Root of the content-addressed artifact store (teacher weights in, checkpoints out). Relative = to the cwd. */
  ARTIFACT_DIR: z.string().min(1).default(".mfnas/artifacts"),
  /**
   * Where uploaded dataset archives (config data "artifact:<sha256>") are unpacked, once each, into a folder named
   * by the archive's sha256. Relative = to the cwd. Needs room for the unpacked images (as large as the archives).
   */
  DATASET_CACHE_DIR: z.string().min(1).default(".mfnas/datasets"),
  /** Supernets trained at once by this process. Default 1: one job per GPU, a second would only share it. */
  TRAINER_CONCURRENCY: envVar.positiveInt().default(1),
  /**
   * Worker threads each training step's batch is split over, each with its own tfjs instance (tfjs's wasm backend
   * computes on one thread under Node). Unset = one per core for a one-thread backend (os.availableParallelism()),
   * 1 for a backend that already uses every core (tfjs-node). A run keeps the count it started with.
   */
  TRAINER_WORKERS: envVar.positiveInt().optional(),
  /** Use exactly this tfjs backend (fail if it does not load); unset = the fastest that loads (GPU, native, wasm). */
  TRAINER_BACKEND: z.enum(BACKEND_NAMES).optional(),
  /**
   * 1 = refuse to start (exit 69, "no GPU backend loaded") unless tfjs-node-gpu loaded and an NVIDIA device is
   * visible, instead of training on a CPU backend. Set in the GPU images; TRAINER_BACKEND=tensorflow-gpu implies it.
   */
  REQUIRE_GPU: envVar.flag().default(false),
  /** Lock time of a running training job; unset = the queue's default. Shorter = faster takeover after a crash. */
  TRAINER_LOCK_DURATION_MS: envVar.positiveInt().optional(),
  /** How often to look for training jobs whose worker died; unset = the queue's default. */
  TRAINER_STALLED_INTERVAL_MS: envVar.positiveInt().optional(),
  /** How often supernets still queued or training get their job enqueued again (recovers jobs Redis lost). */
  TRAINER_REQUEUE_MS: envVar.positiveInt().default(60_000),
  /**
   * Port of the /metrics, /healthz and /readyz server Prometheus scrapes. Each service has its own default
   * (searcher 9461, trainer 9462, evaluator 9463, device-lab 9464, scheduler 9465) so that all of them can run on
   * one machine; 0 picks a free port (logged at start).
   */
  METRICS_PORT: envVar.port().default(9462),
  /** Listen address of that server. Default all interfaces: the scraper runs in another container or host. */
  METRICS_HOST: z.string().min(1).default("0.0.0.0"),
  /**
   * How long to wait at start for PostgreSQL and Redis to answer before stopping with one line naming what is
   * unreachable (exit 69). 30 s covers a database started beside the service.
   */
  STARTUP_WAIT_MS: envVar.positiveInt().default(30_000),
  LOG_LEVEL: envVar.logLevel().default("info"),
});

export type TrainerEnv = z.infer<typeof schema>;

/** Parses the environment once; a bad or missing variable stops the process with a message naming it. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): TrainerEnv {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    process.stderr.write(`trainer: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}
