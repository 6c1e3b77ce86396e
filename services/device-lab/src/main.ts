import { errorMessage } from "@mfnas/core";
import { AdbDriver } from "@mfnas/devices";
import { runWorkerService } from "@mfnas/queue";
import { DeviceLabRepository, LocalArtifactStore, createDb, databaseDependency } from "@mfnas/store";
import { DeviceLabAgent } from "./agent.ts";
import { loadEnv } from "./env.ts";
import { createLogger, workerLog } from "./logger.ts";
import { DeviceLabMetrics } from "./metrics.ts";
import { runnerBinaries } from "./runner-binaries.ts";

const env = loadEnv();
const log = workerLog(createLogger(env.LOG_LEVEL));
const db = createDb(env.DATABASE_URL);

// Nothing starts before PostgreSQL, Redis and the adb server answer; otherwise one line says which and where.
await runWorkerService({
  service: "device-lab",
  env,
  log,
  dependencies: [databaseDependency(db, env.DATABASE_URL)],
  close: () => db.$disconnect(),
  inFlight: "running measurements go back to their queues",
  start: async ({ redis, metrics }) => {
    const driver = new AdbDriver({ host: env.ADB_HOST, port: env.ADB_PORT });
    const adbVersion = await driver.ensureServer().catch((error: unknown) => {
      throw new Error(`adb server unreachable at ${env.ADB_HOST}:${env.ADB_PORT}: ${errorMessage(error)}`);
    });
    const deviceLabMetrics = new DeviceLabMetrics(
      metrics,
      { watch: (queue) => metrics.watchQueue(redis, env.QUEUE_PREFIX, queue) },
      async () =>
        (
          await db.device.groupBy({
            by: ["deviceClass", "state"],
            where: { agentHost: env.DEVICE_LAB_AGENT_HOST },
            _count: { _all: true },
          })
        ).map((g) => ({ deviceClass: g.deviceClass, state: g.state, count: g._count._all })),
    );

    const artifacts = new LocalArtifactStore(env.ARTIFACT_DIR, db);
    const agent = new DeviceLabAgent({
      driver,
      runnerBinaries: runnerBinaries(db, artifacts, env.DEVICE_LAB_RUNNER_DIR),
      store: new DeviceLabRepository(db),
      artifacts,
      redis,
      log,
      observer: deviceLabMetrics,
      config: {
        agentHost: env.DEVICE_LAB_AGENT_HOST,
        prefix: env.QUEUE_PREFIX,
        runners: env.DEVICE_LAB_RUNNERS,
        classes: env.DEVICE_LAB_CLASSES,
        heartbeatMs: env.DEVICE_LAB_HEARTBEAT_MS,
        flapLimit: env.DEVICE_LAB_FLAP_LIMIT,
        flapWindowMs: env.DEVICE_LAB_FLAP_WINDOW_MS,
        reconnectNetworkPhones: env.DEVICE_LAB_RECONNECT_NETWORK === "true",
        measure: {
          thresholds: {
            maxThermalC: env.DEVICE_LAB_MAX_THERMAL_C,
            maxBatteryTempC: env.DEVICE_LAB_MAX_BATTERY_TEMP_C,
            minBatteryLevel: env.DEVICE_LAB_MIN_BATTERY_LEVEL,
            maxSkinC: env.DEVICE_LAB_MAX_SKIN_C,
          },
          classThresholds: env.DEVICE_LAB_CLASS_THRESHOLDS,
          pinning: env.DEVICE_LAB_PINNING,
          cooldown: { maxWaitMs: env.DEVICE_LAB_COOLDOWN_MAX_WAIT_MS, pollMs: env.DEVICE_LAB_COOLDOWN_POLL_MS },
          confidence: {
            relativeHalfWidth: env.DEVICE_LAB_CI_TARGET,
            minRepetitions: env.DEVICE_LAB_MIN_REPETITIONS,
            maxRepetitions: env.DEVICE_LAB_MAX_REPETITIONS,
          },
        },
        ...(env.DEVICE_LAB_LOCK_DURATION_MS !== undefined ? { lockDurationMs: env.DEVICE_LAB_LOCK_DURATION_MS } : {}),
        ...(env.DEVICE_LAB_STALLED_INTERVAL_MS !== undefined
          ? { stalledIntervalMs: env.DEVICE_LAB_STALLED_INTERVAL_MS }
          : {}),
      },
    });
    return {
      run: async () => {
        await agent.start();
        await agent.settled();
      },
      readyFields: () => ({ adbVersion, devices: agent.attached(), prefix: env.QUEUE_PREFIX }),
      stop: () => agent.stop(),
    };
  },
});
