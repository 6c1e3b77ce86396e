import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS, QUEUES } from "@mfnas/core";
import { startEmulatedPhones, type CoreFrequency, type RunningEmulatedPhone } from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import { submitSearch } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { startAdbServer, stopPhones } from "./support/device-lab.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually, startService, type ServiceProcess } from "./support/processes.ts";
import { hostCpuSearchSpec, seedSupernetCheckpoint } from "./support/search-lab.ts";

// The whole search path end to end, every service its own process: Postgres, Redis, a real adb server with two
// emulated phones, the device-lab agent, the evaluator and the searcher. The searcher is killed with SIGKILL in
// the middle of a generation; a new one resumes without losing a generation or evaluating anything twice.
const SPACE = { scales: [4], trunkWidths: [8, 12, 16], branchWidths: [8], depth: { min: 1, max: 2 } } as const;
const GENERATIONS = 3;
const POPULATION = 6;
const ADB_PORT = 5067;

describe("hardware-aware search end to end", () => {
  let database: TestDatabase;
  let adb: Awaited<ReturnType<typeof startAdbServer>>;
  let phones: RunningEmulatedPhone[] = [];
  const services: ServiceProcess[] = [];
  const prefix = uniqueName("mfnas-e2e");
  const redis = createRedis(TEST_REDIS_URL);
  const producer = new JobProducer({ connection: redis, prefix });
  let artifactDir: string;
  let supernetId: string;
  let env: Record<string, string>;

  function start(name: string, extra: Record<string, string> = {}): ServiceProcess {
    const s = startService(name, { ...env, ...extra });
    services.push(s);
    return s;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-e2e-"));
    adb = await startAdbServer(ADB_PORT);
    phones = await startEmulatedPhones(2, { adb: { port: ADB_PORT }, serialPrefix: "e2e" });
    supernetId = await seedSupernetCheckpoint(database.db, artifactDir, {
      name: "e2e",
      space: SPACE,
      outputInitScale: 1,
    });
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ARTIFACT_DIR: artifactDir,
      LOG_LEVEL: "info",
    };
    start("device-lab", {
      ADB_PORT: String(ADB_PORT),
      DEVICE_LAB_HEARTBEAT_MS: "1000",
      DEVICE_LAB_CI_TARGET: "0.5",
      DEVICE_LAB_MIN_REPETITIONS: "1",
      DEVICE_LAB_MAX_REPETITIONS: "2",
    });
    start("evaluator", { EVALUATOR_BACKEND: "cpu" });
    await Promise.all(services.map((s) => s.waitFor(/ready/, 270_000)));
  }, 540_000);

  afterAll(async () => {
    for (const s of services.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await stopPhones(phones);
    await adb.stop();
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  }, 180_000);

  it("completes a search through the device lab and the evaluator, resuming after kill -9 without redoing work", async () => {
    const spec = hostCpuSearchSpec({
      name: "e2e",
      seed: 11,
      supernetId,
      space: SPACE,
      generations: GENERATIONS,
      population: POPULATION,
      remeasure: true,
    });
    const searcherEnv = { SEARCHER_LOCK_DURATION_MS: "2000", SEARCHER_STALLED_INTERVAL_MS: "1000" };
    const first = start("searcher", searcherEnv);
    await first.waitFor(/searcher ready/, 180_000);
    // The submission path of the API: checked, stored with its supernet set, search.run queued.
    const { id } = await submitSearch(database.db, spec, {
      enqueue: (searchId) => producer.enqueue(JOBS.searchRun.name, { searchId }),
    });
    expect((await database.db.search.findUniqueOrThrow({ where: { id } })).supernetId).toBe(supernetId);

    // Kill the searcher in the middle of generation 1: generation 0 is stored and generation 1's work is queued.
    await eventually(
      async () => ((await database.db.search.findUnique({ where: { id } }))?.lastGeneration === 0 ? true : undefined),
      360_000,
      "generation 0 stored",
    );
    await eventually(
      async () => ((await database.db.evaluation.count()) > POPULATION ? true : undefined),
      180_000,
      "generation 1 in flight",
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect((await database.db.search.findUniqueOrThrow({ where: { id } })).status).toBe("running");

    const second = start("searcher", searcherEnv);
    const done = await eventually(
      async () => {
        const s = await database.db.search.findUniqueOrThrow({ where: { id } });
        return s.status === "running" || s.status === "queued" ? undefined : s;
      },
      720_000,
      "search finished",
    );
    expect(done.error).toBeNull();
    expect(done.status).toBe("succeeded");
    expect(second.output()).toMatch(/resuming search/);

    // Every generation exactly once, with its population, front and hypervolume.
    const generations = await database.db.generation.findMany({ where: { searchId: id }, orderBy: { index: "asc" } });
    expect(generations.map((g) => g.index)).toEqual([0, 1, 2]);
    for (const g of generations) {
      expect((g.front as string[]).length).toBeGreaterThan(0);
      expect(g.hypervolume).toBeGreaterThan(0);
    }
    const evaluated = new Set(generations.flatMap((g) => (g.state as { evaluated: string[] }).evaluated));

    // Candidates with quality and measured latency in Postgres.
    const candidates = await database.db.candidate.findMany({ where: { searchId: id }, include: { latencies: true } });
    expect(candidates).toHaveLength(evaluated.size);
    for (const c of candidates) {
      expect(c.psnr).toBeGreaterThan(0);
      expect(c.latencies[0]?.measuredMs).toBeGreaterThan(0);
      expect(c.latencies[0]?.measurementId).toBeTruthy();
      expect(c.latencies[0]?.predictedMs).toBeNull();
    }

    // Nothing evaluated or measured twice: one Evaluation row and one evaluating job run per genome, one
    // search-time measurement per architecture, plus the final set's re-measurement of its exported models.
    expect(await database.db.evaluation.count()).toBe(evaluated.size);
    const jobs = await producer.queue(QUEUES.evaluate.name).getJobs(["completed"]);
    const ran = jobs.filter((j) => (j.returnvalue as { evaluated?: boolean } | null)?.evaluated === true);
    expect(ran).toHaveLength(evaluated.size);
    const result = done.result as { front: { hash: string; latency: Record<string, { finalMs: number | null }> }[] };
    expect(result.front.length).toBeGreaterThan(0);
    expect(result.front.map((m) => m.hash)).toEqual(generations.at(-1)?.front);
    for (const member of result.front) expect(member.latency["host-cpu"]?.finalMs).toBeGreaterThan(0);
    expect(await database.db.measurement.count()).toBe(evaluated.size + result.front.length);
    // Every measurement, as the main job stores them on its emulated phone: the peak memory the tool measured, and
    // the governor and clock of the watched cores before and after every repetition.
    for (const m of await database.db.measurement.findMany()) {
      expect(m.peakMemoryMb).toBeGreaterThan(0);
      const conditions = m.conditions as {
        memory: { measured: boolean };
        perRepetition: Array<{ frequencies: { before: CoreFrequency[]; after: CoreFrequency[] } | null }>;
      };
      expect(conditions.memory.measured).toBe(true);
      expect(conditions.perRepetition).toHaveLength(m.samples);
      for (const { frequencies } of conditions.perRepetition) {
        expect(frequencies?.before.length).toBeGreaterThan(0);
        for (const core of [...frequencies!.before, ...frequencies!.after]) {
          expect(core.governor).toBeTruthy();
          expect(core.curKhz).toBeGreaterThan(0);
        }
      }
    }
    const devices = await database.db.device.findMany({ where: { deviceClass: "host-cpu" } });
    expect(devices).toHaveLength(2);
  }, 1_260_000);
});
