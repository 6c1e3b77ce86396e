import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOBS, QUEUES } from "@mfnas/core";
import { JobProducer, createRedis } from "@mfnas/queue";
import { LocalArtifactStore, SupernetRepository } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually, startService, type ServiceProcess } from "./support/processes.ts";
import { expectCheckpointsStored, lossCurve, lossCurveDifference } from "./support/training-run.ts";
import { TEACHER_FIXTURE, tinyConfig } from "./support/tiny-teacher.ts";

const STEPS = 40;

describe("trainer killed with SIGKILL mid-run (two data-parallel workers)", () => {
  let database: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let artifactDir: string;
  const services: ServiceProcess[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-trainer-"));
  });
  afterEach(async () => {
    for (const s of services.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  function trainer(): ServiceProcess {
    const s = startService("trainer", {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ARTIFACT_DIR: artifactDir,
      TRAINER_BACKEND: "wasm",
      // Data-parallel steps on two worker threads, whatever this machine's core count.
      TRAINER_WORKERS: "2",
      TRAINER_LOCK_DURATION_MS: "3000",
      TRAINER_STALLED_INTERVAL_MS: "1000",
      LOG_LEVEL: "info",
    });
    services.push(s);
    return s;
  }

  it("resumes from the last checkpoint on another worker, with the loss curve of an uninterrupted run", async () => {
    const teacher = new Uint8Array(await readFile(TEACHER_FIXTURE));
    const { sha256 } = await new LocalArtifactStore(artifactDir, database.db).put({ bytes: teacher, kind: "weights" });
    const supernets = new SupernetRepository(database.db);
    // The trainer's own tiny x4 configuration on the bundled images, logging losses at every step.
    const cfg = tinyConfig(sha256, { steps: STEPS, checkpointEvery: 8, logEvery: 1, seed: 11 });
    const straight = await supernets.create({ name: "straight", searchSpace: {}, trainingConfig: cfg });
    const killed = await supernets.create({ name: "killed", searchSpace: {}, trainingConfig: cfg });
    const producer = new JobProducer({ connection: redis, prefix });
    const eventsConnection = redis.duplicate();
    const events = new QueueEvents(QUEUES.train.name, { connection: eventsConnection, prefix });
    await events.waitUntilReady();
    const finished = async (jobId: string) => {
      const job = await producer.queue(QUEUES.train.name).getJob(jobId);
      await job?.waitUntilFinished(events, 720_000);
    };

    // The interrupted run: killed once its first checkpoint is stored, while it is still training.
    const first = trainer();
    await first.waitFor(/trainer ready/, 180_000);
    const killedJob = await producer.enqueue(JOBS.trainSupernet.name, { supernetId: killed.id });
    await eventually(
      async () =>
        (await database.db.supernetCheckpoint.count({ where: { supernetId: killed.id } })) > 0 ? true : undefined,
      360_000,
      "a first checkpoint",
    );
    first.child.kill("SIGKILL");
    await first.exited;
    const atKill = await database.db.supernet.findUniqueOrThrow({ where: { id: killed.id } });
    expect(atKill.status).toBe("training");
    const progressAtKill = await lossCurve(database.db, killed.id);
    expect(progressAtKill.length).toBeLessThan(STEPS);

    const second = trainer();
    await finished(killedJob.jobId);
    expect(second.output()).toMatch(/resum/i);
    expect(second.output()).toMatch(/"workers":2/);

    // The uninterrupted run, same seed and config, on the surviving worker.
    const straightJob = await producer.enqueue(JOBS.trainSupernet.name, { supernetId: straight.id });
    await finished(straightJob.jobId);
    await events.close();
    eventsConnection.disconnect();
    await producer.close();

    for (const id of [killed.id, straight.id]) {
      expect((await database.db.supernet.findUniqueOrThrow({ where: { id } })).status).toBe("ready");
    }
    const maxDiff = lossCurveDifference(
      await lossCurve(database.db, straight.id),
      await lossCurve(database.db, killed.id),
      STEPS,
    );
    console.log(`trainer SIGKILL resume: max relative loss difference ${maxDiff.toExponential(2)} over ${STEPS} steps`);
    expect(maxDiff).toBeLessThan(1e-4);
    await expectCheckpointsStored(database.db, new LocalArtifactStore(artifactDir, database.db), killed.id);
  }, 1_200_000);
});
