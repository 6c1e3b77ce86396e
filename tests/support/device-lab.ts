import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { QueueEvents } from "bullmq";
import {
  COST_MODEL_VERSION,
  JOBS,
  measureQueue,
  type PayloadOf,
  DEFAULT_SEARCH_SPACE,
  genomeCost,
  genomeHash,
  smallestGenome,
  type RuntimeConfig,
} from "@mfnas/core";
import { DeviceLabAgent, type AgentConfig, type AgentDeps } from "@mfnas/device-lab";
import {
  AdbDriver,
  HOST_CPU_DEVICE_CLASS,
  startEmulatedPhones,
  type RunningEmulatedPhone,
  type StartEmulatedPhonesOptions,
} from "@mfnas/devices";
import { exportGenerator } from "@mfnas/export";
import { JobProducer, createRedis, type WorkerLog } from "@mfnas/queue";
import { DeviceLabRepository, LocalArtifactStore, type Db } from "@mfnas/store";
import { randomWeights } from "./random-weights.ts";
import { createTestDatabase, uniqueName } from "./database.ts";
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

export interface OpenLabOptions {
  /** The lab's own adb server port (unique per test file). */
  readonly adbPort: number;
  /** Emulated phones to attach. Default 1. */
  readonly phones?: number;
  /** What the phones report about themselves and their battery level at start. */
  readonly phoneOptions?: Pick<StartEmulatedPhonesOptions, "profile" | "batteryLevel">;
  /** Start the agent at once (and wait until it settled). Default true; false leaves `lab.startAgent` to the test. */
  readonly agent?: boolean;
  readonly agentOptions?: Omit<Parameters<typeof startAgent>[0], "driver" | "db" | "artifacts" | "prefix">;
  /** Runs after the phones attached and before the agent starts (e.g. to rewrite the phones' files). */
  readonly prepare?: (phones: readonly RunningEmulatedPhone[]) => Promise<void>;
}

/**
 * A device lab for a test file: its own database, adb server, emulated phones, a stored SubGenerator, a queue
 * prefix with a producer, and an agent. `measure` enqueues a measurement of the stored model, `settled` waits
 * until a job completed or failed (its last state, with a deadline), `close` tears everything down.
 */
export async function openLab(options: OpenLabOptions) {
  const database = await createTestDatabase();
  const prefix = uniqueName("mfnas-test");
  const redis = createRedis(TEST_REDIS_URL);
  const producer = new JobProducer({ connection: redis, prefix });
  const adb = await startAdbServer(options.adbPort);
  const phones = await startEmulatedPhones(options.phones ?? 1, {
    adb: { port: options.adbPort },
    ...options.phoneOptions,
  });
  await options.prepare?.(phones);
  const artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-artifacts-"));
  const stored = await storedSubGenerator(database.db, artifactDir);
  let agent: ReturnType<typeof startAgent> | undefined;
  const queue = producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name);

  const lab = {
    database,
    db: database.db,
    prefix,
    redis,
    producer,
    adb,
    phones,
    artifacts: stored.store,
    /** Directory of the lab's artifact store (the agent reads models from it). */
    artifactDir,
    architectureHash: stored.architectureHash,
    artifactSha256: stored.artifact.sha256,
    queue,
    get agent() {
      if (!agent) throw new Error("the lab's agent has not been started");
      return agent;
    },
    /** Starts the agent (once) and waits until it attached the phones it could. */
    async startAgent(agentOptions = options.agentOptions) {
      agent = startAgent({
        driver: adb.driver,
        db: database.db,
        artifacts: stored.store,
        prefix,
        ...agentOptions,
      });
      await agent.agent.start();
      await agent.agent.settled();
      return agent;
    },
    /** Enqueues a measurement of the stored SubGenerator on `host-cpu`; returns the job id. */
    async measure(requestKey: string, overrides: Partial<PayloadOf<"devicelab.measure">> = {}, retryFailed = false) {
      const payload: PayloadOf<"devicelab.measure"> = {
        requestKey,
        architectureHash: stored.architectureHash,
        artifactSha256: stored.artifact.sha256,
        deviceClass: HOST_CPU_DEVICE_CLASS,
        runtimeConfig: SMALL_RUN,
        inputHeight: 32,
        inputWidth: 32,
        ...overrides,
      };
      return (await producer.enqueue(JOBS.measure.name, payload, { retryFailed })).jobId;
    },
    /** Waits (up to `timeoutMs`) until the job completed or failed for good; returns it, re-read. */
    async settled(jobId: string, timeoutMs = 60_000) {
      const connection = redis.duplicate();
      const events = new QueueEvents(queue.name, { connection, prefix });
      try {
        await events.waitUntilReady();
        const job = await queue.getJob(jobId);
        if (!job) throw new Error(`no job ${jobId}`);
        await job.waitUntilFinished(events, timeoutMs).catch(() => undefined);
        const after = await queue.getJob(jobId);
        if (!after) throw new Error(`job ${jobId} is gone`);
        return after;
      } finally {
        await events.close();
        connection.disconnect();
      }
    },
    close: () =>
      teardownLab({
        agent: agent ?? { stop: () => Promise.resolve() },
        producer,
        redis,
        prefix,
        phones,
        adb,
        database,
      }),
  };
  if (options.agent ?? true) await lab.startAgent();
  return lab;
}

export type Lab = Awaited<ReturnType<typeof openLab>>;
