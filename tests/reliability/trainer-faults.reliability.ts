// Faults during a running supernet training (npm run reliability): the trainer as a process on a private Redis,
// a private PostgreSQL cluster and a loop-mounted artifact disk. One run goes through a full artifact disk at a
// checkpoint, a Redis crash and restart, a PostgreSQL crash and restart and a SIGKILL; it must end ready with one
// progress row per step, one checkpoint row per checkpointed step, each readable, and the loss curve of an
// uninterrupted run of the same config and seed (training resumes from checkpoints bit for bit).
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "@mfnas/core";
import { JobProducer, createRedis } from "@mfnas/queue";
import { LocalArtifactStore, SupernetRepository, applyMigrations, createDb, type Db } from "@mfnas/store";
import { TEACHER_FIXTURE, tinyConfig } from "../support/tiny-teacher.ts";
import { MIGRATIONS_DIR } from "../support/database.ts";
import { eventually, startService, type ServiceProcess } from "../support/processes.ts";
import { expectCheckpointsStored, lossCurve, lossCurveDifference } from "../support/training-run.ts";
import {
  mountSmallDisk,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
  type SmallDisk,
} from "./support/private-services.ts";

const STEPS = 48;

describe("faults during a running training", () => {
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let disk: SmallDisk;
  let db: Db;
  let trainer: ServiceProcess;
  const outputs: string[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    [redis, postgres, disk] = await Promise.all([startPrivateRedis(), startPrivatePostgres(), mountSmallDisk(64)]);
    await applyMigrations({ databaseUrl: postgres.url, migrationsDir: MIGRATIONS_DIR });
    db = createDb(postgres.url, { poolSize: 4 });
    env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: "rel-train",
      ARTIFACT_DIR: disk.dir,
      TRAINER_BACKEND: "wasm",
      TRAINER_LOCK_DURATION_MS: "3000",
      TRAINER_STALLED_INTERVAL_MS: "1000",
      LOG_LEVEL: "info",
    };
    trainer = startService("trainer", env);
    await trainer.waitFor(/trainer ready/, 270_000);
  }, 540_000);

  afterAll(async () => {
    if (trainer.child.exitCode === null) trainer.child.kill("SIGKILL");
    await db?.$disconnect();
    await Promise.all([redis?.stop(), postgres?.stop(), disk?.stop()]);
  }, 180_000);

  const output = () => [...outputs, trainer.output()].join("\n");

  async function latestStep(supernetId: string): Promise<number> {
    try {
      return (await db.supernetProgress.aggregate({ where: { supernetId }, _max: { step: true } }))._max.step ?? 0;
    } catch {
      return 0; // Postgres down
    }
  }

  async function advanced(supernetId: string, by: number) {
    const from = await latestStep(supernetId);
    await eventually(
      async () => ((await latestStep(supernetId)) >= from + by ? true : undefined),
      900_000,
      `training past step ${from + by}\n${output().slice(-3000)}`,
    );
  }

  async function enqueue(supernetId: string) {
    const connection = createRedis(redis.url);
    const producer = new JobProducer({ connection, prefix: env["QUEUE_PREFIX"] ?? "" });
    await producer.enqueue(JOBS.trainSupernet.name, { supernetId });
    await producer.close();
    connection.disconnect();
  }

  async function ready(supernetId: string) {
    return eventually(
      async () => {
        const s = await db.supernet.findUnique({ where: { id: supernetId } }).catch(() => null);
        return s && (s.status === "ready" || s.status === "failed") ? s : undefined;
      },
      1_800_000,
      `supernet ${supernetId} finished\n${output().slice(-4000)}`,
    );
  }

  it("trains through a full disk, Redis and PostgreSQL restarts and a SIGKILL, with the undisturbed loss curve", async () => {
    const teacher = new Uint8Array(await readFile(TEACHER_FIXTURE));
    const { sha256 } = await new LocalArtifactStore(disk.dir, db).put({ bytes: teacher, kind: "weights" });
    const cfg = tinyConfig(sha256, { steps: STEPS, checkpointEvery: 8, logEvery: 1, seed: 11 });
    const supernets = new SupernetRepository(db);
    const faulted = await supernets.create({ name: "faulted", searchSpace: {}, trainingConfig: cfg });
    const straight = await supernets.create({ name: "straight", searchSpace: {}, trainingConfig: cfg });
    const timeline: Array<{ fault: string; atStep: number; recoveredMs: number }> = [];
    const fault = async (name: string, apply: () => Promise<void>) => {
      const atStep = await latestStep(faulted.id);
      const t0 = Date.now();
      await apply();
      await advanced(faulted.id, 2);
      timeline.push({ fault: name, atStep, recoveredMs: Date.now() - t0 });
    };

    await enqueue(faulted.id);
    await advanced(faulted.id, 2);
    await fault("artifact disk full at a checkpoint", async () => {
      await disk.fill();
      await eventually(
        () => Promise.resolve(/no space left on device|ENOSPC/i.test(output()) ? true : undefined),
        900_000,
        `an ENOSPC failure\n${output().slice(-3000)}`,
      );
      await disk.free();
    });
    await fault("Redis crash + restart", () => redis.crashAndRestart(2_000));
    await fault("PostgreSQL crash + restart", () => postgres.crashAndRestart(2_000));
    await fault("trainer SIGKILL", async () => {
      trainer.child.kill("SIGKILL");
      await trainer.exited;
      outputs.push(trainer.output());
      trainer = startService("trainer", env);
    });
    expect((await ready(faulted.id)).status).toBe("ready");
    console.log(`trainer faults: ${JSON.stringify(timeline)}`);

    await enqueue(straight.id);
    expect((await ready(straight.id)).status).toBe("ready");

    const maxDiff = lossCurveDifference(await lossCurve(db, straight.id), await lossCurve(db, faulted.id), STEPS);
    console.log(`trainer faults: max relative loss difference ${maxDiff.toExponential(2)} over ${STEPS} steps`);
    expect(maxDiff).toBeLessThan(1e-4);
    await expectCheckpointsStored(db, new LocalArtifactStore(disk.dir, db), faulted.id);
  }, 1_500_000);
});
