// The main job: one command runs a whole hardware-aware search on the embedded defaults, through the real pieces —
// Postgres (migrated), BullMQ on Redis, the real adb server, and each mfnas service as its own process:
// 1. trains a small MFA supernet on the shipped real photographs, distilled from the pretrained esrgan-thick x4
//    teacher (reused when one trained with the same configuration is there);
// 2. attaches an emulated phone (the host CPU, speaking ADB) and starts the device-lab agent, the evaluator and
//    the searcher;
// 3. runs an NSGA-II search for quality (Y-PSNR with inherited weights) vs latency measured through the device lab;
// 4. prints the Pareto front, writes it as an SVG plot and exports the best SubGenerator (TFLite and ONNX).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { JOBS, envVar, errorMessage, parseEnv, parseSearchSpec } from "@mfnas/core";
import { startEmulatedPhones, type RunningEmulatedPhone } from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import { applyMigrations, createDb, submitSearch } from "@mfnas/store";
import { ProgressBar, formatSeconds } from "./main-job/progress.ts";
import { printFront, type SearchReport } from "./main-job/report.ts";
import { startService, stopEverythingOnSignal, type RunningService } from "./main-job/services.ts";
import { DEMO_SPACE, trainOrReuseSupernet } from "./main-job/supernet.ts";
import { singleMachineEnv } from "./main-job/env.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = parseEnv(
  z.object({
    ...singleMachineEnv(root),
    /** Training steps of the main job's supernet. */
    DEMO_TRAIN_STEPS: envVar.positiveInt().default(800),
    DEMO_GENERATIONS: envVar.positiveInt().default(5),
    DEMO_POPULATION: envVar.positiveInt().default(8),
  }),
  process.env,
);

async function main(): Promise<void> {
  const started = Date.now();
  const migrations = await applyMigrations({
    databaseUrl: env.DATABASE_URL,
    migrationsDir: path.join(root, "prisma/migrations"),
  });
  console.log(
    `store: ${migrations.applied.length} migration(s) applied, ${migrations.alreadyApplied.length} already there`,
  );
  const logDir = path.join(env.OUTPUT_DIR, "logs");
  await mkdir(logDir, { recursive: true });
  const serviceEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    ARTIFACT_DIR: env.ARTIFACT_DIR,
    LOG_LEVEL: "info",
  };
  const db = createDb(env.DATABASE_URL);
  const redis = createRedis(env.REDIS_URL, "main-job");
  const producer = new JobProducer({ connection: redis, prefix: env.QUEUE_PREFIX });
  const services: RunningService[] = [];
  let phones: RunningEmulatedPhone[] = [];
  // SIGTERM or Ctrl-C stops the trainer, the device lab, the evaluator, the searcher and the emulated phone too.
  stopEverythingOnSignal(async () => {
    await Promise.all(phones.map((p) => p.stop()));
  });
  try {
    const ctx = {
      root,
      db,
      redis,
      producer,
      prefix: env.QUEUE_PREFIX,
      artifactDir: env.ARTIFACT_DIR,
      logDir,
      serviceEnv,
    };
    const supernet = await trainOrReuseSupernet(ctx, env.DEMO_TRAIN_STEPS);
    console.log(
      `supernet ${supernet.id}: ${supernet.reused ? "reused (trained earlier with this configuration)" : "trained"}`,
    );

    phones = await startEmulatedPhones(1, { serialPrefix: "main-job" });
    console.log(`device lab: emulated phone ${phones.map((p) => p.serial).join(", ")} (the host CPU) attached to adb`);
    for (const [name, entry] of [
      ["device-lab", "services/device-lab/src/main.ts"],
      ["evaluator", "services/evaluator/src/main.ts"],
      ["searcher", "services/searcher/src/main.ts"],
    ] as const) {
      services.push(startService(root, name, entry, serviceEnv, logDir));
    }
    await Promise.all(services.map((s) => s.waitFor(/ready/, 120_000)));

    const spec = parseSearchSpec({
      name: "main job: x4 SubGenerators for the host CPU",
      seed: 2021,
      supernet: { id: supernet.id },
      // Quality on the real photographs that ship with the project (chelsea, coffee, rocket), never trained on.
      validationSet: "photos-val",
      space: DEMO_SPACE,
      referenceInput: { height: 64, width: 64 },
      targets: [
        {
          deviceClass: "host-cpu",
          runtimeConfig: {
            runtime: "tflite",
            threads: 1,
            delegate: "xnnpack",
            precision: "fp32",
            warmupRuns: 2,
            runs: 10,
          },
          input: { height: 64, width: 64 },
          // The emulated phone shares this machine's cores and memory with everything else running on it:
          // contention only ever adds time, so the fastest run is the figure that repeats from one run to the next.
          latencyStatistic: "min",
        },
      ],
      objectives: ["psnr", "latency"],
      algorithm: { kind: "nsga2" },
      budget: { generations: env.DEMO_GENERATIONS, population: env.DEMO_POPULATION },
      final: { remeasure: true, exportFormats: ["tflite", "onnx"] },
    });
    const { id: searchId } = await submitSearch(db, spec, {
      enqueue: (id) => producer.enqueue(JOBS.searchRun.name, { searchId: id }),
    });
    console.log(`search ${searchId}: ${spec.budget.generations} generations of ${spec.budget.population}, NSGA-II`);
    await watchSearch(db, searchId, spec.budget.generations);

    const report = await loadReport(db, searchId);
    await printFront(report, {
      db,
      artifactDir: env.ARTIFACT_DIR,
      outputDir: env.OUTPUT_DIR,
      validationSet: spec.validationSet,
      write: async (file, data) => {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, data);
      },
    });
    console.log(`main job finished in ${formatSeconds((Date.now() - started) / 1000)}; service logs in ${logDir}`);
    if (report.status !== "succeeded") process.exitCode = 1;
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(phones.map((p) => p.stop()));
    await producer.close();
    redis.disconnect();
    await db.$disconnect();
  }
}

/** A progress bar over the search's generations, read from Postgres (where the searcher writes them). */
async function watchSearch(db: ReturnType<typeof createDb>, searchId: string, generations: number): Promise<void> {
  const bar = new ProgressBar("searching", generations);
  for (;;) {
    const search = await db.search.findUniqueOrThrow({
      where: { id: searchId },
      select: { status: true, lastGeneration: true, error: true },
    });
    const last = await db.generation.findFirst({
      where: { searchId },
      orderBy: { index: "desc" },
      select: { hypervolume: true, front: true },
    });
    const done = (search.lastGeneration ?? -1) + 1;
    const front = Array.isArray(last?.front) ? last.front.length : 0;
    bar.update(done, `front ${front}, hypervolume ${last?.hypervolume?.toFixed(2) ?? "-"}`);
    if (search.status === "succeeded") return bar.done();
    if (search.status === "failed" || search.status === "cancelled") {
      throw new Error(`search ${search.status}: ${search.error ?? "no error recorded"}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function loadReport(db: ReturnType<typeof createDb>, searchId: string): Promise<SearchReport> {
  const search = await db.search.findUniqueOrThrow({ where: { id: searchId }, select: { status: true, result: true } });
  const candidates = await db.candidate.findMany({
    where: { searchId },
    select: {
      genomeHash: true,
      psnr: true,
      ssim: true,
      feasible: true,
      latencies: { select: { target: true, measuredMs: true } },
    },
  });
  return { searchId, status: search.status, result: search.result as SearchReport["result"], candidates };
}

main().catch((error: unknown) => {
  console.error(`main job failed: ${errorMessage(error)}`);
  process.exit(1);
});
