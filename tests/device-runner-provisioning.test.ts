import { createHash } from "node:crypto";
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
  type RunnerCheck,
  type RunningEmulatedPhone,
} from "@mfnas/devices";
import { runnerBinaries } from "@mfnas/device-lab";
import { JobProducer, createRedis } from "@mfnas/queue";
import type { LocalArtifactStore } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { SMALL_RUN, startAdbServer, startAgent, storedSubGenerator, teardownLab } from "./support/device-lab.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually } from "./support/processes.ts";

// A phone without benchmark_model on a real adb server: shown "not ready" and given no job; once the operator
// uploads a runner for its ABI (an artifact of kind runner, as POST /v1/artifacts stores it), the agent pushes it,
// checks that it runs, and the phone measures.
describe("runner provisioning", () => {
  const ADB_PORT = 5053;
  let database: TestDatabase;
  let adb: { driver: AdbDriver; stop(): Promise<void> };
  let phones: RunningEmulatedPhone[];
  let artifacts: LocalArtifactStore;
  let architectureHash: string;
  let artifactSha256: string;
  let agent: ReturnType<typeof startAgent> | undefined;
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
    artifactSha256 = stored.artifact.sha256;
  });
  afterAll(() =>
    teardownLab({
      agent: agent ?? { stop: () => Promise.resolve() },
      producer,
      redis,
      prefix,
      phones,
      adb,
      database,
    }),
  );

  const device = (serial: string) => database.db.device.findUniqueOrThrow({ where: { serial } });
  const runnerOf = async (serial: string) =>
    ((await device(serial)).health as unknown as { runner?: RunnerCheck }).runner;

  it("a phone with no runner is not ready and gets no job; after the binary is provided it is pushed and measures", async () => {
    const phone = phones[0]!;
    // The phone's own runner, as the operator's "binary" for its ABI; then the phone loses it.
    const binary = new TextEncoder().encode(
      (await adb.driver.shell(phone.serial, ["cat", EMULATED_RUNNER_PATH])).output,
    );
    const abi = (await adb.driver.shell(phone.serial, ["getprop", "ro.product.cpu.abi"])).output.trim();
    expect((await adb.driver.shell(phone.serial, ["rm", "-f", EMULATED_RUNNER_PATH])).exitCode).toBe(0);

    agent = startAgent({
      driver: adb.driver,
      db: database.db,
      artifacts,
      prefix,
      // What the service's main.ts passes: the runner uploaded last for the ABI (no runner directory here).
      deps: { runnerBinaries: runnerBinaries(database.db, artifacts) },
    });
    await agent.agent.start();
    // Attach (and its runner check) may be retried at a heartbeat when a first attempt failed on a busy machine.
    const row = await eventually(
      async () => {
        const d = await database.db.device.findUnique({ where: { serial: phone.serial } });
        return d?.state === "quarantined" ? d : undefined;
      },
      30_000,
      "phone marked not ready",
    );
    expect(row.quarantineReason).toMatch(/^not ready: no runner at \/data\/local\/tmp\/benchmark_model: /);
    expect(agent.agent.attached()).not.toContain(phone.serial);

    const payload: PayloadOf<"devicelab.measure"> = {
      requestKey: "after-provisioning",
      architectureHash,
      artifactSha256,
      deviceClass: HOST_CPU_DEVICE_CLASS,
      runtimeConfig: SMALL_RUN,
      inputHeight: 32,
      inputWidth: 32,
    };
    const { jobId } = await producer.enqueue(JOBS.measure.name, payload);
    // Checked again at a later heartbeat, still without a runner: the job still waits.
    const first = (await runnerOf(phone.serial))!.checkedAt;
    await eventually(
      async () => ((await runnerOf(phone.serial))?.checkedAt !== first ? true : undefined),
      30_000,
      "checked again",
    );
    const queue = producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name);
    expect(await (await queue.getJob(jobId))!.getState()).toBe("waiting");

    const events = new QueueEvents(queue.name, { connection: redis.duplicate(), prefix });
    await events.waitUntilReady();
    try {
      // Stored as an upload stores a runner; the emulated phone's runner is a script, not the ELF binary the
      // upload route would insist on, so it goes to the store directly.
      await artifacts.put({ bytes: binary, kind: "runner", metadata: { upload: "runner", abi } });
      const job = (await queue.getJob(jobId))!;
      await job.waitUntilFinished(events, 60_000);
    } finally {
      await events.close();
    }
    const ready = await device(phone.serial);
    expect(ready.state).toBe("online");
    expect(ready.quarantineReason).toBeNull();
    const sha256 = createHash("sha256").update(binary).digest("hex");
    expect((ready.health as unknown as { runner: RunnerCheck }).runner).toMatchObject({
      ready: true,
      pushed: true,
      sha256,
    });
    const m = await database.db.measurement.findUniqueOrThrow({ where: { requestKey: "after-provisioning" } });
    expect((m.conditions as { runner: { sha256: string } }).runner.sha256).toBe(sha256);
  });
});
