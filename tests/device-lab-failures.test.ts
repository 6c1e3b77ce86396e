import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS, measureQueue, type PayloadOf } from "@mfnas/core";
import {
  EMULATED_RUNNER_PATH,
  HOST_CPU_DEVICE_CLASS,
  startEmulatedPhones,
  type AdbDriver,
  type RunningEmulatedPhone,
} from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import type { LocalArtifactStore } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { SMALL_RUN, startAdbServer, startAgent, storedSubGenerator, teardownLab } from "./support/device-lab.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually } from "./support/processes.ts";

// Runner failures on a real adb server with an emulated phone: a model the runtime cannot load fails for good at
// once and is recorded against the architecture; a phone without a working runner is the phone's problem.
describe("device lab runner failures", () => {
  const ADB_PORT = 5051;
  let database: TestDatabase;
  let adb: { driver: AdbDriver; stop(): Promise<void> };
  let phones: RunningEmulatedPhone[];
  let artifacts: LocalArtifactStore;
  let architectureHash: string;
  let goodSha256: string;
  let agent: ReturnType<typeof startAgent>;
  const prefix = uniqueName("mfnas-test");
  const redis = createRedis(TEST_REDIS_URL);
  const producer = new JobProducer({ connection: redis, prefix });

  beforeAll(async () => {
    database = await createTestDatabase();
    adb = await startAdbServer(ADB_PORT);
    phones = await startEmulatedPhones(1, { adb: { port: ADB_PORT } });
    const stored = await storedSubGenerator(database.db, await mkdtemp(path.join(os.tmpdir(), "mfnas-artifacts-")));
    artifacts = stored.store;
    architectureHash = stored.architectureHash;
    goodSha256 = stored.artifact.sha256;
    agent = startAgent({ driver: adb.driver, db: database.db, artifacts, prefix });
    await agent.agent.start();
    await agent.agent.settled();
  });
  afterAll(() => teardownLab({ agent, producer, redis, prefix, phones, adb, database }));

  async function measure(requestKey: string, artifactSha256: string, retryFailed = false) {
    const payload: PayloadOf<"devicelab.measure"> = {
      requestKey,
      architectureHash,
      artifactSha256,
      deviceClass: HOST_CPU_DEVICE_CLASS,
      runtimeConfig: SMALL_RUN,
      inputHeight: 32,
      inputWidth: 32,
    };
    return (await producer.enqueue(JOBS.measure.name, payload, { retryFailed })).jobId;
  }

  async function settled(jobId: string) {
    const connection = redis.duplicate();
    const events = new QueueEvents(measureQueue(HOST_CPU_DEVICE_CLASS).name, { connection, prefix });
    try {
      await events.waitUntilReady();
      const job = (await producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name).getJob(jobId))!;
      await job.waitUntilFinished(events, 50_000).catch(() => undefined);
      return (await producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name).getJob(jobId))!;
    } finally {
      await events.close();
      connection.disconnect();
    }
  }

  it("a model the runtime cannot load fails for good at once and is recorded against the architecture", async () => {
    // Not a TFLite flatbuffer: LiteRT refuses to build an interpreter from it, on any phone.
    const broken = await artifacts.put({
      bytes: new TextEncoder().encode("TFL3 this is not a model".repeat(64)),
      kind: "tflite",
      metadata: { note: "not a model" },
    });
    const job = await settled(await measure("unloadable", broken.sha256));
    expect(await job.getState()).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/cannot run this model: Failed to construct interpreter/);
    const failure = await database.db.measurementFailure.findUniqueOrThrow({ where: { requestKey: "unloadable" } });
    expect(failure).toMatchObject({ architectureHash, deviceClass: HOST_CPU_DEVICE_CLASS, serial: phones[0]!.serial });
    expect(failure.reason).toMatch(/^Failed to construct interpreter/);
    expect(failure.rawOutput).toMatch(/ERROR: Failed to construct interpreter/);
    expect(await database.db.measurement.count({ where: { requestKey: "unloadable" } })).toBe(0);

    // Asked again, it fails at once from the record, without running anything on a phone.
    const again = await settled(await measure("unloadable", broken.sha256, true));
    expect(await again.getState()).toBe("failed");
    expect(again.attemptsMade).toBe(1);
    expect(again.failedReason).toMatch(/cannot run this model \(recorded on /);
    // The phone is fine: it measures a good model next.
    const good = await settled(await measure("good-after-unloadable", goodSha256));
    expect(await good.getState()).toBe("completed");
  });

  it("a phone whose runner is gone is marked not ready with the reason and takes no more jobs", async () => {
    const phone = phones[0]!;
    const removed = await adb.driver.shell(phone.serial, ["rm", "-f", EMULATED_RUNNER_PATH]);
    expect(removed.exitCode).toBe(0);
    const jobId = await measure("no-runner", goodSha256);
    const row = await eventually(
      async () => {
        const d = await database.db.device.findUniqueOrThrow({ where: { serial: phone.serial } });
        return d.state === "quarantined" ? d : undefined;
      },
      30_000,
      "phone quarantined",
    );
    expect(row.quarantineReason).toMatch(/^not ready: .*benchmark_model: (?:not found|inaccessible or not found)$/);
    await eventually(
      () => Promise.resolve(agent.agent.attached().includes(phone.serial) ? undefined : true),
      30_000,
      "worker closed",
    );
    // The job is not failed for good: it waits for another phone of the class.
    const job = (await producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name).getJob(jobId))!;
    expect(["waiting", "delayed", "prioritized"]).toContain(await job.getState());
    expect(await database.db.measurementFailure.count({ where: { requestKey: "no-runner" } })).toBe(0);
  });
});
