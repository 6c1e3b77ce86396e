import { QueueEvents } from "bullmq";
import { COST_MODEL_VERSION, JOBS, QUEUES, errorMessage, type TrainingConfigInput } from "@mfnas/core";
import type { JobProducer, createRedis } from "@mfnas/queue";
import type { Prisma } from "@mfnas/store";
import { LocalArtifactStore, SupernetRepository, type Db } from "@mfnas/store";
import { ProgressBar } from "./progress.ts";
import { startService } from "./services.ts";

/** The space the main job trains and searches: small enough to train on a laptop CPU in a few minutes. */
export const DEMO_SPACE = {
  scales: [4],
  trunkWidths: [16, 24, 32],
  branchWidths: [8],
  depth: { min: 1, max: 2 },
} as const;

export interface SupernetContext {
  readonly root: string;
  readonly db: Db;
  readonly redis: ReturnType<typeof createRedis>;
  readonly producer: JobProducer;
  readonly prefix: string;
  readonly artifactDir: string;
  readonly logDir: string;
  readonly serviceEnv: Record<string, string>;
}

/** The main job's training configuration for `steps` steps (bench/trainer-step.ts times its step). */
export function demoConfig(steps: number): TrainingConfigInput {
  return {
    space: DEMO_SPACE,
    // No teacher named: the default, the pretrained @upscalerjs/esrgan-thick x4 (installed with the project). Its
    // outputs and block features on the training photographs are computed once and kept in the artifact store.
    data: { train: "photos-train", val: "photos-val" },
    scale: 4,
    steps,
    batch: 4,
    patchSize: 32,
    // Adam at 5e-3 with cosine decay and full-weight output distillation from the teacher: the settings with which
    // the trainer's acceptance run takes the largest and the smallest SubGenerator past bicubic on photos-val.
    optimizer: { lr: 5e-3 },
    schedule: { kind: "cosine" },
    losses: { adversarial: 0.001, featureDistill: 0.1, outputDistill: 1 },
    discriminator: { layers: 2, teacherBaseWidth: 8, studentBaseWidth: 4 },
    sampling: { rule: "sandwich", random: 1 },
    checkpointEvery: Math.max(1, Math.floor(steps / 4)),
    evalEvery: 1_000_000,
    logEvery: Math.max(1, Math.floor(steps / 20)),
    seed: 2021,
  };
}

/**
 * The main job's supernet: a ready supernet trained with exactly this configuration is reused; otherwise one is
 * trained through the trainer service (its own process, the real queue) with a progress bar.
 */
export async function trainOrReuseSupernet(
  ctx: SupernetContext,
  steps: number,
): Promise<{ id: string; reused: boolean }> {
  const config = demoConfig(steps);
  // The architecture's version is in the name: a supernet trained before the generator changed is not reused.
  const name = `main-job supernet (${COST_MODEL_VERSION})`;
  const configJson = JSON.parse(JSON.stringify(config)) as Prisma.InputJsonValue;
  const candidates = await ctx.db.supernet.findMany({
    where: { name, status: "ready", trainingConfig: { equals: configJson }, checkpoints: { some: {} } },
    orderBy: { createdAt: "desc" },
    select: { id: true, checkpoints: { orderBy: { step: "desc" }, take: 1, select: { artifactSha256: true } } },
  });
  // A row is reused only if its checkpoint file is in this artifact store and intact: the database may be shared
  // with another checkout whose ARTIFACT_DIR holds the file.
  const artifacts = new LocalArtifactStore(ctx.artifactDir, ctx.db);
  for (const candidate of candidates) {
    const sha256 = candidate.checkpoints[0]?.artifactSha256;
    if (sha256 === undefined) continue;
    try {
      await artifacts.get(sha256);
      return { id: candidate.id, reused: true };
    } catch (error) {
      console.log(
        `supernet ${candidate.id} not reused: its checkpoint ${errorMessage(error)} (ARTIFACT_DIR ${ctx.artifactDir})`,
      );
    }
  }
  const unfinished = await ctx.db.supernet.findFirst({
    where: { name, status: { in: ["queued", "training"] }, trainingConfig: { equals: configJson } },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  const id =
    unfinished?.id ??
    (
      await new SupernetRepository(ctx.db).create({
        name,
        searchSpace: DEMO_SPACE,
        trainingConfig: config,
      })
    ).id;
  // One training worker: this recipe's 8x8 LR patches make a step mostly per-op overhead, and on this 2-core machine
  // two workers took 152 ms a step against one's 122 ms (bench/train-workers.ts, BENCHMARKS.md); larger batches
  // gain from the service's default of one worker per core (1.69x at batch 16, HR 64).
  const trainerEnv = { ...ctx.serviceEnv, TRAINER_WORKERS: "1" };
  const trainer = startService(ctx.root, "trainer", "services/trainer/src/main.ts", trainerEnv, ctx.logDir);
  const connection = ctx.redis.duplicate();
  const events = new QueueEvents(QUEUES.train.name, { connection, prefix: ctx.prefix });
  const bar = new ProgressBar("training supernet", steps);
  let teacherBar: ProgressBar | undefined;
  try {
    await events.waitUntilReady();
    const { jobId } = await ctx.producer.enqueue(JOBS.trainSupernet.name, { supernetId: id });
    events.on("progress", ({ jobId: progressed, data }) => {
      if (progressed !== jobId) return;
      const p = data as {
        phase?: string;
        step?: number;
        losses?: Record<string, number>;
        imagesPerSecond?: number;
        tiles?: number;
        tilesTotal?: number;
        reused?: number;
      };
      if (p.phase === "teacher-targets") {
        // Before the first step: the teacher's outputs on the training photographs, computed once and cached.
        teacherBar ??= new ProgressBar("teacher targets", p.tilesTotal ?? 0);
        teacherBar.update(p.tiles ?? 0, `${p.reused ?? 0} image(s) from the cache`, p.tilesTotal);
        return;
      }
      teacherBar?.done();
      teacherBar = undefined;
      const pixel = p.losses?.["pixel"];
      bar.update(p.step ?? 0, `L1 ${pixel?.toFixed(4) ?? "-"} ${p.imagesPerSecond?.toFixed(1) ?? "-"} img/s`);
    });
    const job = await ctx.producer.queue(QUEUES.train.name).getJob(jobId);
    if (!job) throw new Error(`training job ${jobId} vanished`);
    await Promise.race([
      job.waitUntilFinished(events, 60 * 60_000),
      trainer.exited.then((code) =>
        Promise.reject(new Error(`trainer exited with ${String(code)}; see ${ctx.logDir}/trainer.log`)),
      ),
    ]);
    bar.done();
  } finally {
    await events.close();
    connection.disconnect();
    await trainer.stop();
  }
  return { id, reused: false };
}
