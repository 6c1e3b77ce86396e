import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS, measureQueue, type PayloadOf } from "@mfnas/core";
import {
  HOST_CPU_DEVICE_CLASS,
  startEmulatedPhones,
  type AdbDriver,
  type CoreFrequency,
  type RunningEmulatedPhone,
} from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import type { LocalArtifactStore } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { SMALL_RUN, startAdbServer, startAgent, storedSubGenerator, teardownLab } from "./support/device-lab.ts";
import { TEST_REDIS_URL } from "./support/env.ts";

// Pinning on a real adb server: an emulated phone whose /sys/devices/system/cpu has a Snapdragon 865's cluster
// layout (4 silver, 3 gold, 1 prime core, each cluster its own cpufreq policy) is measured under `taskset f0`, and
// the gold and prime cores' governor and frequencies are stored around every repetition.
describe("big-core pinning from the phone's clusters", () => {
  const ADB_PORT = 5055;
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

  const CLUSTERS = [
    { cpus: [0, 1, 2, 3], maxKhz: 1_804_800 },
    { cpus: [4, 5, 6], maxKhz: 2_419_200 },
    { cpus: [7], maxKhz: 2_841_600 },
  ];

  beforeAll(async () => {
    database = await createTestDatabase();
    adb = await startAdbServer(ADB_PORT);
    phones = await startEmulatedPhones(1, { adb: { port: ADB_PORT } });
    const root = phones[0]!.root;
    await rm(path.join(root, "sys/devices/system/cpu"), { recursive: true, force: true });
    for (const { cpus, maxKhz } of CLUSTERS) {
      for (const cpu of cpus) {
        const dir = path.join(root, `sys/devices/system/cpu/cpu${cpu}/cpufreq`);
        await mkdir(dir, { recursive: true });
        const files = {
          related_cpus: cpus.join(" "),
          cpuinfo_max_freq: maxKhz,
          scaling_governor: "schedutil",
          scaling_cur_freq: maxKhz,
          scaling_min_freq: 300_000,
          scaling_max_freq: maxKhz,
        };
        for (const [name, value] of Object.entries(files)) await writeFile(path.join(dir, name), `${value}\n`);
      }
    }
    const stored = await storedSubGenerator(database.db, await mkdtemp(path.join(os.tmpdir(), "mfnas-artifacts-")));
    artifacts = stored.store;
    architectureHash = stored.architectureHash;
    artifactSha256 = stored.artifact.sha256;
    agent = startAgent({ driver: adb.driver, db: database.db, artifacts, prefix });
    await agent.agent.start();
    await agent.agent.settled();
  });
  afterAll(() =>
    teardownLab({ agent: agent ?? { stop: () => Promise.resolve() }, producer, redis, prefix, phones, adb, database }),
  );

  it("runs under taskset f0 and stores the gold and prime cores' frequencies per repetition", async () => {
    const payload: PayloadOf<"devicelab.measure"> = {
      requestKey: "pinned",
      architectureHash,
      artifactSha256,
      deviceClass: HOST_CPU_DEVICE_CLASS,
      runtimeConfig: SMALL_RUN,
      inputHeight: 32,
      inputWidth: 32,
    };
    const queue = producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name);
    const events = new QueueEvents(queue.name, { connection: redis.duplicate(), prefix });
    await events.waitUntilReady();
    try {
      const { jobId } = await producer.enqueue(JOBS.measure.name, payload);
      await (await queue.getJob(jobId))!.waitUntilFinished(events, 60_000);
    } finally {
      await events.close();
    }
    const m = await database.db.measurement.findUniqueOrThrow({ where: { requestKey: "pinned" } });
    const conditions = m.conditions as unknown as {
      command: string;
      cpuAffinity: string;
      pinning: { policy: string; mask: string; cpus: number[] };
      perRepetition: Array<{ frequencies: { before: CoreFrequency[]; after: CoreFrequency[]; throttling: string[] } }>;
      throttledRepetitions: number;
    };
    expect(conditions.pinning).toEqual({ policy: "big", mask: "f0", cpus: [4, 5, 6, 7] });
    expect(conditions.cpuAffinity).toBe("f0");
    expect(conditions.command).toMatch(/^taskset f0 \/data\/local\/tmp\/benchmark_model /);
    expect(m.rawOutput).toMatch(/=== repetition 1: taskset f0 /);
    expect(conditions.perRepetition).toHaveLength(m.samples);
    for (const r of conditions.perRepetition) {
      expect(r.frequencies.before.map((f) => f.cpu)).toEqual([4, 5, 6, 7]);
      expect(r.frequencies.after[3]).toEqual({
        cpu: 7,
        governor: "schedutil",
        curKhz: 2_841_600,
        minKhz: 300_000,
        maxKhz: 2_841_600,
      });
      expect(r.frequencies.throttling).toEqual([]);
    }
    expect(conditions.throttledRepetitions).toBe(0);
  });
});
