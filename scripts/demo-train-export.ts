// The main job's training and export stages (used by scripts/demo.ts): train a small supernet on the bundled
// images through the trainer service, then export SubGenerators with its trained weights to TFLite and ONNX,
// into the content-addressed artifact store.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import * as tfCore from "@tensorflow/tfjs-core";
import { JOBS, QUEUES, narrowSpace, DEFAULT_SEARCH_SPACE, type Genome, type TrainingConfigInput } from "@mfnas/core";
import { exportGenerator } from "@mfnas/export";
import { imresize, openSampleDatasets, psnrY, selectBackend } from "@mfnas/model";
import type { JobProducer } from "@mfnas/queue";
import { LocalArtifactStore, SupernetRepository, type Db } from "@mfnas/store";
import { TrainingState, prepareRun, restoreCheckpoint, validationPsnr } from "@mfnas/trainer";

/** The space the demo trains and searches: small enough to train on a laptop CPU in about a minute. */
export const DEMO_SPACE = { scales: [4], trunkWidths: [8, 16], branchWidths: [8], depth: { min: 1, max: 2 } } as const;

export interface DemoContext {
  readonly root: string;
  readonly db: Db;
  readonly redis: Redis;
  readonly producer: JobProducer;
  readonly prefix: string;
  readonly artifactDir: string;
  readonly env: Record<string, string>;
}

function startService(ctx: DemoContext, name: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ctx.root, "services", name, "src/main.ts")], {
    cwd: ctx.root,
    env: { ...process.env, ...ctx.env, LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
}

/** Trains the demo supernet through the trainer service; returns its id and the sha256 of its last checkpoint. */
export async function trainDemoSupernet(
  ctx: DemoContext,
  steps: number,
): Promise<{ id: string; config: TrainingConfigInput }> {
  const store = new LocalArtifactStore(ctx.artifactDir, ctx.db);
  const teacher = new Uint8Array(
    await readFile(path.join(ctx.root, "services/trainer/fixtures/tiny-teacher-x4.safetensors")),
  );
  const { sha256 } = await store.put({
    bytes: teacher,
    kind: "weights",
    metadata: { model: "RRDBNet", blocks: 2, channels: 16, growth: 8 },
  });
  const config: TrainingConfigInput = {
    space: DEMO_SPACE,
    teacher: { weights: sha256, blocks: 2, channels: 16, growth: 8 },
    data: { train: "bundled", val: "bundled" },
    scale: 4,
    steps,
    batch: 4,
    patchSize: 32,
    optimizer: { lr: 1e-3 },
    losses: { adversarial: 0.001, featureDistill: 0.1 },
    discriminator: { layers: 2, teacherBaseWidth: 8, studentBaseWidth: 4 },
    sampling: { rule: "sandwich", random: 1 },
    checkpointEvery: Math.max(1, Math.floor(steps / 2)),
    evalEvery: 1_000_000,
    logEvery: Math.max(1, Math.floor(steps / 10)),
    seed: 2021,
  };
  const { id } = await new SupernetRepository(ctx.db).create({
    name: "demo supernet",
    searchSpace: DEMO_SPACE,
    trainingConfig: config,
  });
  const trainer = startService(ctx, "trainer");
  const eventsConnection = ctx.redis.duplicate();
  const events = new QueueEvents(QUEUES.train.name, { connection: eventsConnection, prefix: ctx.prefix });
  try {
    await events.waitUntilReady();
    const { jobId } = await ctx.producer.enqueue(JOBS.trainSupernet.name, { supernetId: id });
    console.log(`supernet ${id}: training ${steps} steps on the bundled images (queued as ${jobId})`);
    events.on("progress", ({ jobId: progressed, data }) => {
      if (progressed !== jobId) return;
      const p = data as { step: number; of: number; losses: Record<string, number>; imagesPerSecond: number };
      const pixel = p.losses["pixel"];
      process.stdout.write(
        `\r  step ${p.step}/${p.of}  pixel L1 ${pixel?.toFixed(4) ?? "-"}  ${p.imagesPerSecond.toFixed(1)} img/s   `,
      );
    });
    const job = await ctx.producer.queue(QUEUES.train.name).getJob(jobId);
    if (!job) throw new Error(`job ${jobId} vanished`);
    await job.waitUntilFinished(events, 30 * 60_000);
    process.stdout.write("\n");
  } finally {
    await events.close();
    eventsConnection.disconnect();
    trainer.child.kill("SIGTERM");
    await trainer.exited;
  }
  return { id, config };
}

/**
 * Loads the supernet's last checkpoint, scores the given SubGenerators on the bundled validation images (Y-PSNR,
 * next to bicubic) and exports each to TFLite and ONNX (fp32) into the artifact store.
 */
export async function exportTrainedSubGenerators(
  ctx: DemoContext,
  supernetId: string,
  config: TrainingConfigInput,
  genomes: ReadonlyArray<{ label: string; genome: Genome }>,
): Promise<void> {
  const { tf } = await selectBackend(tfCore, { prefer: "wasm" });
  const store = new LocalArtifactStore(ctx.artifactDir, ctx.db);
  const checkpoint = await ctx.db.supernetCheckpoint.findFirstOrThrow({
    where: { supernetId },
    orderBy: { step: "desc" },
  });
  const run = await prepareRun(tf, config, store);
  const space = narrowSpace(DEFAULT_SEARCH_SPACE, DEMO_SPACE);
  const state = new TrainingState(tf, space, run.config, run.teacher, undefined);
  restoreCheckpoint(tf, state, await store.get(checkpoint.artifactSha256), run.configHash);
  const { val } = await openSampleDatasets({ scale: 4 });
  let bicubic = 0;
  for (let i = 0; i < val.entries.length; i++) {
    const pair = await val.load(i);
    bicubic += psnrY(imresize(pair.lr, { scale: 4 }), pair.hr, { cropBorder: 4 }) / val.entries.length;
  }
  console.log(
    `trained supernet at step ${checkpoint.step}; bicubic x4 on the bundled validation images: ${bicubic.toFixed(2)} dB Y-PSNR`,
  );
  const rows = [];
  for (const { label, genome } of genomes) {
    const psnr = await validationPsnr(tf, state.supernet, genome, val);
    const sub = state.supernet.extract(genome);
    const weights = new Map(
      sub.params.entries().map(([n, v]) => [n, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) }]),
    );
    sub.dispose();
    for (const format of ["tflite", "onnx"] as const) {
      const artifact = exportGenerator(genome, weights, {
        format,
        precision: "float32",
        input: { height: 64, width: 64 },
      });
      const stored = await store.put({
        bytes: artifact.bytes,
        kind: format,
        metadata: { ...artifact.metadata, supernetId },
      });
      rows.push({
        SubGenerator: label,
        "Y-PSNR (dB)": +psnr.toFixed(2),
        format,
        "size (KiB)": +(artifact.bytes.byteLength / 1024).toFixed(1),
        sha256: `${stored.sha256.slice(0, 16)}…`,
      });
    }
  }
  console.log(`exported to ${ctx.artifactDir} (content addressed; recorded as Artifact rows):`);
  console.table(rows);
  state.dispose();
  run.teacher.dispose();
}
