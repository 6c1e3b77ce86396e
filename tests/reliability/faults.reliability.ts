// Faults during a running hardware-aware search (npm run reliability; too slow for the default run). Everything
// is private to this file: a Redis, a PostgreSQL cluster, an ext4 filesystem loop-mounted for the artifact store,
// an adb server port with two emulated phones, and the device-lab agent, evaluator and searcher as processes.
//
// One search runs through, in order: the artifact store's disk full, SIGKILL of the searcher, of the evaluator
// and of the device-lab agent, a Redis crash and restart, a PostgreSQL crash and restart, an adb server restart
// and a phone unplugged. It must finish with every generation once, one candidate per distinct genome, one
// evaluation and one measurement per architecture, every candidate with its quality and measured latency.
//
// "Equal front": latency is measured on the host CPU and is noisy, so two runs never measure the same numbers.
// Measurements and evaluations are cached by key (architecture + device class + runtime config + input; checkpoint
// + genome + validation set) and reused by every search, so an undisturbed run of the same spec and seed after
// the faulted one reads exactly the values the faulted run stored. It must then create no new evaluation or
// measurement and reproduce every generation's population, front and hypervolume, and the final front.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "@mfnas/core";
import { startEmulatedPhones, type RunningEmulatedPhone } from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import { SearchRepository, applyMigrations, createDb, type Db } from "@mfnas/store";
import { MIGRATIONS_DIR, uniqueName } from "../support/database.ts";
import { startAdbServer, stopPhones } from "../support/device-lab.ts";
import { eventually, startService, type ServiceProcess } from "../support/processes.ts";
import {
  freePort,
  mountSmallDisk,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
  type SmallDisk,
} from "./support/private-services.ts";
import { hostCpuSearchSpec, seedSupernetCheckpoint } from "../support/search-lab.ts";

const run = promisify(execFile);
const SPACE = { scales: [4], trunkWidths: [8, 12, 16], branchWidths: [8], depth: { min: 1, max: 2 } } as const;
const GENERATIONS = 9;
const POPULATION = 6;
const SEED = 11;

describe("faults during a running search", () => {
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let disk: SmallDisk;
  let db: Db;
  let adbPort: number;
  let adb: Awaited<ReturnType<typeof startAdbServer>>;
  let phones: RunningEmulatedPhone[] = [];
  const services = new Map<string, ServiceProcess>();
  const logs: string[] = [];
  const prefix = uniqueName("mfnas-rel");
  let env: Record<string, string>;
  let supernetId: string;
  const timeline: Array<{ fault: string; atGeneration: number; recoveredMs: number }> = [];

  const serviceEnv: Record<string, Record<string, string>> = {
    searcher: { SEARCHER_LOCK_DURATION_MS: "3000", SEARCHER_STALLED_INTERVAL_MS: "1000" },
    evaluator: { EVALUATOR_BACKEND: "cpu", EVALUATOR_LOCK_DURATION_MS: "3000", EVALUATOR_STALLED_INTERVAL_MS: "1000" },
    "device-lab": {
      ADB_PORT: "0",
      DEVICE_LAB_HEARTBEAT_MS: "1000",
      DEVICE_LAB_CI_TARGET: "0.5",
      DEVICE_LAB_MIN_REPETITIONS: "1",
      DEVICE_LAB_MAX_REPETITIONS: "2",
      DEVICE_LAB_LOCK_DURATION_MS: "3000",
      DEVICE_LAB_STALLED_INTERVAL_MS: "1000",
    },
  };

  function start(name: string): ServiceProcess {
    const previous = services.get(name);
    if (previous) logs.push(`--- ${name} ---\n${previous.output()}`);
    const extra = { ...serviceEnv[name] };
    if (name === "device-lab") extra["ADB_PORT"] = String(adbPort);
    const s = startService(name, { ...env, ...extra });
    services.set(name, s);
    return s;
  }

  async function kill(name: string): Promise<void> {
    const s = services.get(name);
    if (!s) return;
    s.child.kill("SIGKILL");
    expect((await s.exited).signal).toBe("SIGKILL");
  }

  function allOutput(): string {
    return [...logs, ...[...services.entries()].map(([n, s]) => `--- ${n} ---\n${s.output()}`)].join("\n");
  }

  beforeAll(async () => {
    [redis, postgres, disk] = await Promise.all([startPrivateRedis(), startPrivatePostgres(), mountSmallDisk(64)]);
    await applyMigrations({ databaseUrl: postgres.url, migrationsDir: MIGRATIONS_DIR });
    db = createDb(postgres.url, { poolSize: 4 });
    adbPort = await freePort();
    adb = await startAdbServer(adbPort);
    phones = await startEmulatedPhones(2, { adb: { port: adbPort }, serialPrefix: "rel" });
    supernetId = await seedSupernetCheckpoint(db, disk.dir, { name: "rel", space: SPACE });
    env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      ARTIFACT_DIR: disk.dir,
      LOG_LEVEL: "info",
    };
    for (const name of ["device-lab", "evaluator", "searcher"]) start(name);
    await Promise.all([...services.values()].map((s) => s.waitFor(/ready/, 360_000)));
  }, 720_000);

  afterAll(async () => {
    for (const s of services.values()) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await stopPhones(phones);
    await adb?.stop();
    await db?.$disconnect();
    await Promise.all([redis?.stop(), postgres?.stop(), disk?.stop()]);
  }, 180_000);

  function specOf(name: string) {
    return hostCpuSearchSpec({
      name,
      seed: SEED,
      supernetId,
      space: SPACE,
      generations: GENERATIONS,
      population: POPULATION,
      remeasure: false,
    });
  }

  async function submit(name: string): Promise<string> {
    const spec = specOf(name);
    const { id } = await new SearchRepository(db).create({ name, spec, seed: spec.seed });
    const redisClient = createRedis(redis.url);
    const producer = new JobProducer({ connection: redisClient, prefix });
    await producer.enqueue(JOBS.searchRun.name, { searchId: id });
    await producer.close();
    redisClient.disconnect();
    return id;
  }

  async function lastGeneration(id: string): Promise<number> {
    try {
      return (await db.search.findUnique({ where: { id } }))?.lastGeneration ?? -1;
    } catch {
      return -1; // Postgres down: not there yet.
    }
  }

  function atGeneration(id: string, index: number) {
    return eventually(
      async () => ((await lastGeneration(id)) >= index ? true : undefined),
      720_000,
      `generation ${index} of ${id}\n${allOutput().slice(-4000)}`,
    );
  }

  async function finished(id: string) {
    return eventually(
      async () => {
        const s = await db.search.findUnique({ where: { id } }).catch(() => null);
        return s && s.status !== "running" && s.status !== "queued" ? s : undefined;
      },
      1_800_000,
      `search ${id} finished\n${allOutput().slice(-6000)}`,
    );
  }

  /** Applies a fault, then waits for the search to store its next generation (the recovery). */
  async function fault(id: string, name: string, apply: () => Promise<void>) {
    const at = await lastGeneration(id);
    const t0 = Date.now();
    await apply();
    if (at < GENERATIONS - 1) await atGeneration(id, at + 1);
    timeline.push({ fault: name, atGeneration: at, recoveredMs: Date.now() - t0 });
  }

  let faulted: string;
  const unplugged = new Set<RunningEmulatedPhone>();

  /** Resolves with a phone once it starts a benchmark run (a measurement is in flight). */
  function benchmarkRunning(): Promise<RunningEmulatedPhone> {
    const live = phones.filter((p) => !unplugged.has(p));
    const seen = new Map(live.map((p) => [p, (p.output().match(/benchmark started/g) ?? []).length]));
    return eventually(
      () =>
        Promise.resolve(live.find((p) => (p.output().match(/benchmark started/g) ?? []).length > (seen.get(p) ?? 0))),
      720_000,
      "a benchmark run",
    );
  }

  it("finishes a search through every fault, losing and duplicating nothing", async () => {
    // The artifact store's disk is full when the search starts: the latency probes cannot be exported.
    await disk.fill();
    faulted = await submit("faulted");
    const t0 = Date.now();
    await eventually(
      () => Promise.resolve(/no space left on device|ENOSPC/i.test(allOutput()) ? true : undefined),
      360_000,
      `an ENOSPC failure\n${allOutput().slice(-4000)}`,
    );
    await disk.free();
    await atGeneration(faulted, 0);
    timeline.push({ fault: "artifact disk full", atGeneration: -1, recoveredMs: Date.now() - t0 });

    await fault(faulted, "searcher SIGKILL", async () => {
      await kill("searcher");
      start("searcher");
    });
    // Device faults strike while a phone is running benchmark_model.
    await fault(faulted, "device-lab agent SIGKILL mid-benchmark", async () => {
      await benchmarkRunning();
      await kill("device-lab");
      start("device-lab");
    });
    await fault(faulted, "phone unplugged mid-benchmark", async () => {
      const phone = await benchmarkRunning();
      phone.kill();
      unplugged.add(phone);
    });
    await fault(faulted, "adb server restart mid-benchmark", async () => {
      await benchmarkRunning();
      await run("adb", ["-P", String(adbPort), "kill-server"]);
      await adb.driver.ensureServer();
      // Network phones come back when reconnected (USB phones re-enumerate on their own).
      for (const phone of phones) if (!unplugged.has(phone)) await adb.driver.connect("127.0.0.1", phone.port);
    });
    await fault(faulted, "evaluator SIGKILL", async () => {
      await kill("evaluator");
      start("evaluator");
    });
    await fault(faulted, "Redis crash + restart", () => redis.crashAndRestart(2_000));
    await fault(faulted, "PostgreSQL crash + restart", () => postgres.crashAndRestart(2_000));

    const done = await finished(faulted);
    console.log(`faults: ${JSON.stringify(timeline)}`);
    expect(done.error, allOutput().slice(-4000)).toBeNull();
    expect(done.status).toBe("succeeded");

    const generations = await db.generation.findMany({ where: { searchId: faulted }, orderBy: { index: "asc" } });
    expect(generations.map((g) => g.index)).toEqual(Array.from({ length: GENERATIONS }, (_, i) => i));
    const evaluated = new Set(generations.flatMap((g) => (g.state as { evaluated: string[] }).evaluated));
    const candidates = await db.candidate.findMany({ where: { searchId: faulted }, include: { latencies: true } });
    expect(candidates).toHaveLength(evaluated.size);
    for (const c of candidates) {
      expect(c.psnr, `psnr of ${c.genomeHash}`).toBeGreaterThan(0);
      expect(c.latencies[0]?.measuredMs, `latency of ${c.genomeHash}`).toBeGreaterThan(0);
    }
    // One evaluation per genome, one measurement per architecture: nothing lost, nothing measured twice.
    expect(await db.evaluation.count()).toBe(evaluated.size);
    expect(await db.measurement.count()).toBe(evaluated.size);
    const runs = phones.map((p) => (p.output().match(/benchmark started/g) ?? []).length);
    const killed = phones.map((p) => (p.output().match(/benchmark finished killed/g) ?? []).length);
    console.log(
      `faulted search: ${GENERATIONS} generations, ${evaluated.size} distinct genomes, ${await db.measurement.count()} ` +
        `measurements from ${runs.join("+")} benchmark runs (${killed.join("+")} killed), ${Math.round((Date.now() - t0) / 1000)} s`,
    );
  }, 2_700_000);

  it("an undisturbed run with the same seed reproduces the front from the stored measurements", async () => {
    expect(faulted).toBeDefined();
    const [evaluations, measurements] = [await db.evaluation.count(), await db.measurement.count()];
    const straight = await submit("undisturbed");
    const done = await finished(straight);
    expect(done.status).toBe("succeeded");
    expect(await db.evaluation.count()).toBe(evaluations);
    expect(await db.measurement.count()).toBe(measurements);
    const rows = async (searchId: string) =>
      (await db.generation.findMany({ where: { searchId }, orderBy: { index: "asc" } })).map((g) => ({
        index: g.index,
        population: g.population,
        front: g.front,
        hypervolume: g.hypervolume,
      }));
    expect(await rows(straight)).toEqual(await rows(faulted));
    const front = async (searchId: string) =>
      ((await db.search.findUniqueOrThrow({ where: { id: searchId } })).result as { front: { hash: string }[] }).front
        .map((m) => m.hash)
        .sort();
    expect(await front(straight)).toEqual(await front(faulted));
  }, 1_800_000);
});
