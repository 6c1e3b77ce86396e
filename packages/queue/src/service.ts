import type { Redis } from "ioredis";
import { createRedis } from "./connection.ts";
import {
  checkDependencies,
  exitCannotStart,
  redisDependency,
  waitForDependencies,
  type Dependency,
  type DependencyReport,
} from "./dependencies.ts";
import { serveMetrics } from "./metrics-server.ts";
import { ServiceMetrics } from "./metrics.ts";
import { stopOnSignals } from "./shutdown.ts";
import type { WorkerLog } from "./worker.ts";

/** The variables every worker service reads the same way (their names in each service's env.ts). */
export interface WorkerServiceEnv {
  readonly REDIS_URL: string;
  /** How long to wait at start for the dependencies to answer. */
  readonly STARTUP_WAIT_MS: number;
  readonly METRICS_PORT: number;
  readonly METRICS_HOST: string;
}

/** What a worker service's own start function is handed, once its dependencies answer. */
export interface WorkerServiceContext {
  /** The service's Redis connection (BullMQ settings), named after the service. */
  readonly redis: Redis;
  /** The service's registry, served on METRICS_PORT once `start` returns. */
  readonly metrics: ServiceMetrics;
  /** What each dependency answered at start. */
  readonly startup: DependencyReport;
}

/** A worker service set up by its start function, not yet taking work. */
export interface StartedWorkerService {
  /** Starts taking work; runs after the metrics server listens and signals are handled. */
  run?(): Promise<void>;
  /** Fields of the `<service> ready` line besides `dependencies`, asked for once `run` has finished. */
  readyFields(): Readonly<Record<string, unknown>>;
  /** Stops taking work and hands work in flight back (on SIGTERM/SIGINT); the connections are closed after it. */
  stop(): Promise<void>;
}

export interface WorkerServiceOptions {
  /** As in its lines: `trainer` in `trainer ready` and `trainer: cannot start: …`. */
  readonly service: string;
  readonly env: WorkerServiceEnv;
  readonly log: WorkerLog;
  /** What else must answer before anything starts, asked before Redis (PostgreSQL: databaseDependency). */
  readonly dependencies: readonly Dependency[];
  /** Closes what `dependencies` opened (the database client); runs after `stop`, before Redis disconnects. */
  readonly close: () => Promise<void>;
  /** What happens to work in flight on shutdown, for the log: "running searches go back to the queue". */
  readonly inFlight: string;
  /** Builds the service's workers; a failure stops the process with one line and exit 69. */
  readonly start: (context: WorkerServiceContext) => StartedWorkerService | Promise<StartedWorkerService>;
}

/**
 * Runs a worker service the way every one starts and stops: connects to Redis, waits up to STARTUP_WAIT_MS for
 * the dependencies and Redis (else one line `<service>: cannot start: …` and exit 69), calls `start`, serves
 * /metrics, /healthz and /readyz (each dependency's answer) on METRICS_PORT, stops gracefully on SIGTERM/SIGINT
 * (`stop`, the metrics server, `close`, Redis), runs the service and logs `<service> ready` with what its
 * dependencies answered.
 */
export async function runWorkerService(options: WorkerServiceOptions): Promise<void> {
  const { service, env, log } = options;
  const redis = createRedis(env.REDIS_URL, service);
  // Nothing starts before every dependency answers; if one does not in time, one line says which and where.
  const dependencies = [...options.dependencies, redisDependency(redis, env.REDIS_URL)];
  const startup = await waitForDependencies(dependencies, { waitMs: env.STARTUP_WAIT_MS, log }).catch(
    (error: unknown) => exitCannotStart(service, error),
  );
  const metrics = new ServiceMetrics({ service, log });
  const started = await Promise.resolve()
    .then(() => options.start({ redis, metrics, startup }))
    .catch((error: unknown) => exitCannotStart(service, error));
  const metricsServer = await serveMetrics(metrics, {
    port: env.METRICS_PORT,
    host: env.METRICS_HOST,
    ready: () => checkDependencies(dependencies),
    log,
  });
  stopOnSignals(
    async () => {
      await started.stop();
      await metricsServer.close();
      await options.close();
      redis.disconnect();
    },
    log,
    options.inFlight,
  );
  await started.run?.();
  log.info(`${service} ready`, { ...started.readyFields(), dependencies: startup.checks });
}
