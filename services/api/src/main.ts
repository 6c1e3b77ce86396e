import {
  JobProducer,
  checkDependencies,
  createRedis,
  exitCannotStart,
  redisDependency,
  startMetricsServer,
  waitForDependencies,
} from "@mfnas/queue";
import { ApiKeyRepository, LocalArtifactStore, createDb, databaseDependency } from "@mfnas/store";
import { errorMessage } from "@mfnas/core";
import { buildApi } from "./app.ts";
import { loadEnv } from "./env.ts";
import { redactedRequest } from "./log-redaction.ts";

const env = loadEnv();
const db = createDb(env.DATABASE_URL);
const redis = createRedis(env.REDIS_URL, "api");
const jobs = new JobProducer({ connection: redis, prefix: env.QUEUE_PREFIX });
// Nothing is served before PostgreSQL and Redis answer; if they do not in time, one line says which and where.
const startupLog = {
  info: () => undefined,
  warn: (message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`api: ${message} ${JSON.stringify(fields ?? {})}\n`),
  error: () => undefined,
};
const dependencies = [databaseDependency(db, env.DATABASE_URL), redisDependency(redis, env.REDIS_URL)];
const startup = await waitForDependencies(dependencies, { waitMs: env.STARTUP_WAIT_MS, log: startupLog }).catch(
  (error: unknown) => exitCannotStart("api", error),
);

if (env.API_BOOTSTRAP_ADMIN_KEY !== undefined) {
  await new ApiKeyRepository(db).ensure(env.API_BOOTSTRAP_ADMIN_KEY, { name: "bootstrap admin", scopes: ["admin"] });
}

const app = await buildApi({
  db,
  jobs,
  redis,
  artifacts: new LocalArtifactStore(env.ARTIFACT_DIR, db),
  options: {
    logger: { level: env.LOG_LEVEL, name: "api", serializers: { req: redactedRequest } },
    bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
    rateLimit: {
      max: env.API_RATE_LIMIT_PER_MINUTE,
      submitMax: env.API_SUBMIT_LIMIT_PER_MINUTE,
      addressMax: env.API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
      windowMs: 60_000,
    },
    sse: { pollMs: env.API_SSE_POLL_MS, heartbeatMs: 15_000 },
    trustProxy: env.API_TRUST_PROXY,
    uploadLimits: env.API_UPLOAD_LIMITS,
  },
});

// /metrics on its own port, never on the API's: Prometheus scrapes it inside the cluster or compose network.
const metricsServer = await startMetricsServer({
  registry: app.metricsRegistry,
  port: env.API_METRICS_PORT,
  host: env.METRICS_HOST,
  ready: () => checkDependencies(dependencies),
});

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, "shutting down: no new requests; event streams end; requests in flight finish");
  try {
    await app.close();
    await metricsServer.close();
    await jobs.close();
    await db.$disconnect();
    redis.disconnect();
    process.exit(0);
  } catch (error) {
    app.log.error({ error: errorMessage(error) }, "unclean shutdown");
    process.exit(1);
  }
}
process.on("SIGTERM", (signal) => void stop(signal));
process.on("SIGINT", (signal) => void stop(signal));

await app.listen({ host: env.API_HOST, port: env.API_PORT });
app.log.info(
  { host: env.API_HOST, port: env.API_PORT, metricsPort: metricsServer.port, dependencies: startup.checks },
  "api ready",
);
