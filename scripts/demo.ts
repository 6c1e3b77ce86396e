// The main job: one end-to-end run on the embedded defaults, through the real pieces: Postgres (migrated),
// BullMQ queues on Redis, and the trainer and searcher services each running as its own process.
// 1. trains a small MFA supernet on the bundled images, distilled from the bundled tiny ESRGAN teacher;
// 2. searches SubGenerators of its space and prints their exact cost figures next to ESRGAN's;
// 3. scores the cheapest and the largest found with the trained weights and exports them to TFLite and ONNX.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { QueueEvents } from "bullmq";
import { z } from "zod";
import {
  JOBS,
  QUEUES,
  envVar,
  errorMessage,
  esrganCost,
  parseEnv,
  parseSearchSpec,
  encodeGenome,
  validateGenomeStructure,
  type Genome,
} from "@mfnas/core";
import { JobProducer, createRedis } from "@mfnas/queue";
import { SearchRepository, applyMigrations, createDb } from "@mfnas/store";
import { DEMO_SPACE, exportTrainedSubGenerators, trainDemoSupernet } from "./demo-train-export.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = parseEnv(
  z.object({
    DATABASE_URL: envVar.postgresUrl().default("postgresql://postgres@127.0.0.1:5432/mfnas"),
    REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
    QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
    DEMO_GENERATIONS: envVar.positiveInt().default(20),
    DEMO_POPULATION: envVar.positiveInt().default(32),
    /** Training steps of the demo supernet (about 0.1 s each on one CPU core). */
    DEMO_TRAIN_STEPS: envVar.positiveInt().default(200),
    /** The content-addressed artifact store (teacher weights, checkpoints, exported models). */
    ARTIFACT_DIR: z.string().min(1).default(path.join(root, ".mfnas/artifacts")),
  }),
  process.env,
);

const spec = parseSearchSpec({
  name: "demo: SubGenerators of the demo supernet's space",
  seed: 2021,
  space: DEMO_SPACE,
  referenceInput: { height: 64, width: 64 },
  budget: { generations: env.DEMO_GENERATIONS, population: env.DEMO_POPULATION },
});

async function main(): Promise<void> {
  const report = await applyMigrations({
    databaseUrl: env.DATABASE_URL,
    migrationsDir: path.join(root, "prisma/migrations"),
  });
  console.log(`store: ${report.applied.length} migration(s) applied, ${report.alreadyApplied.length} already there`);

  const serviceEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    ARTIFACT_DIR: env.ARTIFACT_DIR,
  };
  const db = createDb(env.DATABASE_URL);
  const redis = createRedis(env.REDIS_URL, "demo");
  const producer = new JobProducer({ connection: redis, prefix: env.QUEUE_PREFIX });
  const ctx = { root, db, redis, producer, prefix: env.QUEUE_PREFIX, artifactDir: env.ARTIFACT_DIR, env: serviceEnv };
  const trained = await trainDemoSupernet(ctx, env.DEMO_TRAIN_STEPS);

  const searcher = spawn(process.execPath, ["--import", "tsx", path.join(root, "services/searcher/src/main.ts")], {
    cwd: root,
    env: { ...process.env, ...serviceEnv, LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const searcherExit = new Promise<number | null>((resolve) => searcher.once("exit", (code) => resolve(code)));
  const eventsConnection = redis.duplicate();
  const events = new QueueEvents(QUEUES.search.name, { connection: eventsConnection, prefix: env.QUEUE_PREFIX });
  try {
    const searches = new SearchRepository(db);
    const { id } = await searches.create({ name: spec.name, spec, seed: spec.seed });
    const { jobId } = await producer.enqueue(JOBS.searchRun.name, { searchId: id });
    console.log(`search ${id}: queued as ${jobId}`);
    events.on("progress", ({ jobId: progressed, data }) => {
      if (progressed !== jobId) return;
      const p = data as { generation: number; of: number };
      process.stdout.write(`\r  generation ${p.generation}/${p.of}`);
    });
    await events.waitUntilReady();
    const job = await producer.queue(QUEUES.search.name).getJob(jobId);
    if (!job) throw new Error(`job ${jobId} vanished`);
    await job.waitUntilFinished(events, 10 * 60_000);
    process.stdout.write("\n");
    const picks = await printSummary(db, id);
    await exportTrainedSubGenerators(ctx, trained.id, trained.config, picks);
  } finally {
    await events.close();
    await producer.close();
    eventsConnection.disconnect();
    redis.disconnect();
    await db.$disconnect();
    searcher.kill("SIGTERM");
    await searcherExit;
  }
}

async function printSummary(
  db: ReturnType<typeof createDb>,
  searchId: string,
): Promise<Array<{ label: string; genome: Genome }>> {
  const search = await db.search.findUniqueOrThrow({ where: { id: searchId } });
  const candidates = await db.candidate.findMany({ where: { searchId }, include: { architecture: true } });
  const generations = await db.generation.count({ where: { searchId } });
  const { height, width } = spec.referenceInput;
  const esrgan = esrganCost(height, width, { scale: 4 });
  console.log(
    `search ${search.status}: ${generations} generations, ${candidates.length} distinct SubGenerators stored ` +
      `(cost figures for a ${height}x${width} LR input, x4)`,
  );
  console.log(
    `ESRGAN (RRDBNet 23 blocks): ${(esrgan.params / 1e6).toFixed(2)} M params, ${(esrgan.macs / 1e9).toFixed(2)} GMACs, ` +
      `peak activations ${(esrgan.peakActivationBytes / 2 ** 20).toFixed(1)} MiB`,
  );
  const sorted = candidates.sort((a, b) => Number(a.architecture.macs - b.architecture.macs));
  const rows = [...sorted.slice(0, 5), ...sorted.slice(-5)].map((c) => {
    const a = c.architecture;
    return {
      genome: shorten(encodeGenome(validateGenomeStructure(c.genome)), 56),
      "params (K)": (Number(a.params) / 1e3).toFixed(1),
      GMACs: (Number(a.macs) / 1e9).toFixed(3),
      "peak act (MiB)": (Number(a.peakActivationBytes) / 2 ** 20).toFixed(2),
      "memory saved vs ESRGAN": `${(esrgan.peakActivationBytes / Number(a.peakActivationBytes)).toFixed(1)}x`,
      "compute saved vs ESRGAN": `${(esrgan.macs / Number(a.macs)).toFixed(1)}x`,
    };
  });
  console.log("the five cheapest and the five most expensive SubGenerators sampled:");
  console.table(rows);
  if (search.status !== "succeeded") process.exitCode = 1;
  const [cheapest, largest] = [sorted[0], sorted.at(-1)];
  if (!cheapest || !largest) return [];
  return [
    {
      label: `cheapest ${encodeGenome(validateGenomeStructure(cheapest.genome))}`,
      genome: validateGenomeStructure(cheapest.genome),
    },
    {
      label: `largest ${encodeGenome(validateGenomeStructure(largest.genome))}`,
      genome: validateGenomeStructure(largest.genome),
    },
  ];
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${errorMessage(error)}`);
  process.exit(1);
});
