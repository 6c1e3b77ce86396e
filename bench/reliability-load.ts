/**
 * Load on one machine (prints figures; not a test): several searches at once through several emulated phones and
 * several evaluator workers, every service its own process, on a private Redis, a private PostgreSQL cluster and
 * a private adb server (tests/reliability/support), so that nothing shared is loaded or touched.
 *
 * Figures: per queue, jobs completed, throughput, and queue latency (enqueue -> pick-up, BullMQ's timestamp and
 * processedOn) and service time (pick-up -> finish) percentiles; per search, wall time and candidates per minute;
 * and what must hold under load: every search succeeds, no job fails for good, one evaluation per distinct genome
 * and one measurement per distinct architecture.
 *
 * Run: npm run reliability:load -- [SEARCHES=3] [PHONES=4] [EVALUATORS=2] [GENERATIONS=4] [POPULATION=8]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { JOBS, QUEUES, measureQueue } from "@mfnas/core";
import { startEmulatedPhones } from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import { applyMigrations, createDb, submitSearch } from "@mfnas/store";
import { MIGRATIONS_DIR } from "../tests/support/database.ts";
import { startAdbServer, stopPhones } from "../tests/support/device-lab.ts";
import { eventually, startService, type ServiceProcess } from "../tests/support/processes.ts";
import { freePort, startPrivatePostgres, startPrivateRedis } from "../tests/reliability/support/private-services.ts";
import { hostCpuSearchSpec, seedSupernetCheckpoint } from "../tests/support/search-lab.ts";

const [SEARCHES = 3, PHONES = 4, EVALUATORS = 2, GENERATIONS = 4, POPULATION = 8] = process.argv.slice(2).map(Number);
const SPACE = { scales: [4], trunkWidths: [8, 12, 16], branchWidths: [8, 16], depth: { min: 1, max: 3 } } as const;
const PREFIX = "load";

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const redis = await startPrivateRedis();
const postgres = await startPrivatePostgres();
const artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-load-"));
const services: ServiceProcess[] = [];
const adbPort = await freePort();
const adb = await startAdbServer(adbPort);
const phones = await startEmulatedPhones(PHONES, { adb: { port: adbPort }, serialPrefix: "load" });
try {
  await applyMigrations({ databaseUrl: postgres.url, migrationsDir: MIGRATIONS_DIR });
  const db = createDb(postgres.url, { poolSize: 4 });
  const supernetId = await seedSupernetCheckpoint(db, artifactDir, { name: "load", space: SPACE });

  const env = {
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: PREFIX,
    ARTIFACT_DIR: artifactDir,
    LOG_LEVEL: "info",
  };
  services.push(
    startService("device-lab", {
      ...env,
      ADB_PORT: String(adbPort),
      DEVICE_LAB_HEARTBEAT_MS: "2000",
      DEVICE_LAB_CI_TARGET: "0.5",
      DEVICE_LAB_MIN_REPETITIONS: "1",
      DEVICE_LAB_MAX_REPETITIONS: "2",
    }),
  );
  for (let i = 0; i < EVALUATORS; i++) services.push(startService("evaluator", { ...env, EVALUATOR_BACKEND: "cpu" }));
  services.push(startService("searcher", { ...env, SEARCHER_CONCURRENCY: String(SEARCHES) }));
  await Promise.all(services.map((s) => s.waitFor(/ready/, 180_000)));
  await eventually(
    async () => ((await db.device.count({ where: { state: "online" } })) >= PHONES ? true : undefined),
    120_000,
    "phones online",
  );

  const connection = createRedis(redis.url);
  const producer = new JobProducer({ connection, prefix: PREFIX });
  const t0 = Date.now();
  const ids: string[] = [];
  for (let seed = 1; seed <= SEARCHES; seed++) {
    const spec = hostCpuSearchSpec({
      name: `load-${seed}`,
      seed,
      supernetId,
      space: SPACE,
      generations: GENERATIONS,
      population: POPULATION,
      remeasure: false,
    });
    const { id } = await submitSearch(db, spec, {
      enqueue: (searchId) => producer.enqueue(JOBS.searchRun.name, { searchId }),
    });
    ids.push(id);
  }
  const done = await eventually(
    async () => {
      const rows = await db.search.findMany({ where: { id: { in: ids } } });
      return rows.every((r) => r.status !== "running" && r.status !== "queued") ? rows : undefined;
    },
    1_800_000,
    "searches finished",
  );
  const wallS = (Date.now() - t0) / 1000;

  console.log(
    `load: ${SEARCHES} searches x ${GENERATIONS} generations x ${POPULATION}, ${PHONES} emulated phones, ` +
      `${EVALUATORS} evaluator workers, one device-lab agent, one searcher (concurrency ${SEARCHES}); ` +
      `${os.cpus().length} CPU cores`,
  );
  console.log(`wall time ${wallS.toFixed(1)} s; searches: ${done.map((d) => d.status).join(", ")}`);
  for (const queue of [QUEUES.search.name, QUEUES.evaluate.name, measureQueue("host-cpu").name]) {
    const q = producer.queue(queue);
    const completed = await q.getJobs(["completed"], 0, -1);
    const failed = await q.getJobs(["failed"], 0, -1);
    const wait = completed.map((j) => (j.processedOn ?? 0) - j.timestamp).sort((a, b) => a - b);
    const service = completed.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)).sort((a, b) => a - b);
    const spanS =
      completed.length > 0
        ? (Math.max(...completed.map((j) => j.finishedOn ?? 0)) - Math.min(...completed.map((j) => j.timestamp))) / 1000
        : Number.NaN;
    console.log(
      `${queue}: ${completed.length} completed, ${failed.length} failed for good; ` +
        `throughput ${((completed.length / spanS) * 60).toFixed(1)}/min; ` +
        `queue latency p50 ${percentile(wait, 50)} ms p90 ${percentile(wait, 90)} ms max ${percentile(wait, 100)} ms; ` +
        `service time p50 ${percentile(service, 50)} ms p90 ${percentile(service, 90)} ms`,
    );
  }
  const candidates = await db.candidate.count({ where: { searchId: { in: ids } } });
  const generations = await db.generation.findMany({ where: { searchId: { in: ids } }, select: { state: true } });
  const distinct = new Set(generations.flatMap((g) => (g.state as { evaluated: string[] }).evaluated));
  const [evaluations, measurements] = [await db.evaluation.count(), await db.measurement.count()];
  console.log(
    `${candidates} candidates (${((candidates / wallS) * 60).toFixed(1)}/min over all searches), ` +
      `${distinct.size} distinct genomes, ${evaluations} evaluations, ${measurements} measurements`,
  );
  const perDevice = await db.measurement.groupBy({ by: ["deviceId"], _count: true });
  console.log(`measurements per phone: ${perDevice.map((d) => d._count).join(", ")}`);
  const held =
    done.every((d) => d.status === "succeeded") && evaluations === distinct.size && measurements === distinct.size;
  console.log(held ? "held: every search succeeded, nothing evaluated or measured twice" : "NOT HELD");
  await producer.close();
  connection.disconnect();
  await db.$disconnect();
  process.exitCode = held ? 0 : 1;
} finally {
  for (const s of services) if (s.child.exitCode === null) s.child.kill("SIGKILL");
  await stopPhones(phones);
  await adb.stop();
  await Promise.all([redis.stop(), postgres.stop(), rm(artifactDir, { recursive: true, force: true })]);
}
