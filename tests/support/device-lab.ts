import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  genomeCost,
  genomeHash,
  smallestGenome,
  type RuntimeConfig,
} from "@mfnas/core";
import { DeviceLabAgent, type AgentConfig, type AgentDeps } from "@mfnas/device-lab";
import { AdbDriver, type RunningEmulatedPhone } from "@mfnas/devices";
import { exportGenerator } from "@mfnas/export";
import { createRedis, type WorkerLog } from "@mfnas/queue";
import { DeviceLabRepository, LocalArtifactStore, type Db } from "@mfnas/store";
import { randomWeights } from "../../packages/export/src/test-support.ts";
import { TEST_REDIS_URL } from "./env.ts";

const run = promisify(execFile);

/**
 * A private adb server per test file (its own port), so parallel suites never see each other's emulated phones;
 * killed at the end.
 */
export async function startAdbServer(port: number): Promise<{ driver: AdbDriver; stop(): Promise<void> }> {
  const driver = new AdbDriver({ port });
  await driver.ensureServer();
  return {
    driver,
    stop: async () => {
      await run("adb", ["-P", String(port), "kill-server"]).catch(() => undefined);
    },
  };
}

/** A real exported SubGenerator (smallest genome of the default space, seeded weights) stored as an artifact. */
export async function storedSubGenerator(db: Db, artifactDir: string, size = 32) {
  const genome = smallestGenome(DEFAULT_SEARCH_SPACE, 4);
  const artifact = exportGenerator(genome, randomWeights(genome, 7, 0.1), {
    format: "tflite",
    input: { height: size, width: size },
  });
  const store = new LocalArtifactStore(artifactDir, db);
  await store.put({ bytes: artifact.bytes, kind: "tflite", metadata: { ...artifact.metadata } });
  const hash = genomeHash(genome);
  const cost = genomeCost(genome, size, size);
  await db.architecture.createMany({
    data: [
      {
        hash,
        genome: JSON.parse(JSON.stringify(genome)) as object,
        costModelVersion: COST_MODEL_VERSION,
        params: BigInt(cost.params),
        macs: BigInt(cost.macs),
        peakActivationBytes: BigInt(cost.peakActivationBytes),
        memoryTrafficBytes: BigInt(cost.memoryTrafficBytes),
        referenceInputHeight: size,
        referenceInputWidth: size,
      },
    ],
    skipDuplicates: true,
  });
  return { store, artifact, architectureHash: hash };
}

export const SMALL_RUN: RuntimeConfig = {
  runtime: "tflite",
  threads: 1,
  delegate: "xnnpack",
  precision: "fp32",
  warmupRuns: 1,
  runs: 5,
};

export const quietLog: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** An in-process agent on the given adb server, with settings sized for tests. */
export function startAgent(options: {
  driver: AdbDriver;
  db: Db;
  artifacts: LocalArtifactStore;
  prefix: string;
  log?: WorkerLog;
  config?: Partial<AgentConfig>;
  deps?: Pick<AgentDeps, "runnerBinaries">;
}) {
  const redis = createRedis(TEST_REDIS_URL);
  const agent = new DeviceLabAgent({
    driver: options.driver,
    store: new DeviceLabRepository(options.db),
    artifacts: options.artifacts,
    redis,
    log: options.log ?? quietLog,
    ...options.deps,
    config: {
      agentHost: "test-host",
      prefix: options.prefix,
      runners: {},
      classes: {},
      heartbeatMs: 1_000,
      flapLimit: 4,
      flapWindowMs: 600_000,
      measure: {
        thresholds: { maxThermalC: 45, maxBatteryTempC: 40, minBatteryLevel: 20 },
        cooldown: { maxWaitMs: 20_000, pollMs: 250 },
        confidence: { relativeHalfWidth: 0.5, minRepetitions: 2, maxRepetitions: 3 },
      },
      lockDurationMs: 5_000,
      stalledIntervalMs: 2_000,
      ...options.config,
    },
  });
  return {
    agent,
    async stop() {
      await agent.stop();
      redis.disconnect();
    },
  };
}

export async function stopPhones(phones: readonly RunningEmulatedPhone[]): Promise<void> {
  await Promise.all(phones.map((p) => p.stop().catch(() => p.kill())));
}

/** Tears a lab down in order: agent, producer, the queue keys of `prefix`, phones, adb server, database. */
export async function teardownLab(lab: {
  agent: { stop(): Promise<void> };
  producer: { close(): Promise<void> };
  redis: ReturnType<typeof createRedis>;
  prefix: string;
  phones: readonly RunningEmulatedPhone[];
  adb: { stop(): Promise<void> };
  database: { drop(): Promise<void> };
}): Promise<void> {
  await lab.agent.stop();
  await lab.producer.close();
  const keys = await lab.redis.keys(`${lab.prefix}:*`);
  if (keys.length > 0) await lab.redis.del(...keys);
  lab.redis.disconnect();
  await stopPhones(lab.phones);
  await lab.adb.stop();
  await lab.database.drop();
}
