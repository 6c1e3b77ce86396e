import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { Job, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SEARCH_SPACE,
  JOBS,
  QUEUES,
  createRng,
  encodeGenome,
  genomeHash,
  narrowSpace,
  sampleGenome,
  type Genome,
} from "@mfnas/core";
import {
  MfaSupernet,
  createImage,
  cropImage,
  decodeImage,
  encodeSupernetCheckpoint,
  loadPackageTeacher,
  srMetrics,
  supernetCheckpointEntries,
  type RgbImage,
} from "@mfnas/model";
import { JobProducer, createRedis, type WorkerLog } from "@mfnas/queue";
import { LocalArtifactStore, SupernetRepository } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "../../../tests/support/database.ts";
import { TEST_REDIS_URL } from "../../../tests/support/env.ts";
import { scoreUpscaler, subGeneratorUpscaler } from "./evaluate-candidate.job.ts";
import { startEvaluator, type RunningEvaluator } from "./service.ts";
import { BUNDLED_VALIDATION_SET, ValidationSets, validationSetDir } from "./validation-sets.ts";

const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, {
  trunkWidths: [8, 16],
  branchWidths: [4, 8],
  depth: { min: 1, max: 2 },
});
const STEP = 40;
/** A supernet's training config as submitted; its teacher is the default, esrgan-thick x4. */
const TRAINING_CONFIG = { data: { train: "photos-train", val: "photos-val" }, steps: 40 };
const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("evaluator on real Postgres and Redis", () => {
  let database: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let producer: JobProducer;
  let events: QueueEvents;
  let evaluator: RunningEvaluator;
  let artifactDir: string;
  let supernet: MfaSupernet;
  let supernetId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-evaluator-"));
    evaluator = await startEvaluator({
      db: database.db,
      redis,
      queuePrefix: prefix,
      artifactDir,
      backend: "wasm",
      log: quiet,
    });
    producer = new JobProducer({ connection: redis, prefix });
    events = new QueueEvents(QUEUES.evaluate.name, { connection: redis.duplicate(), prefix });
    await events.waitUntilReady();

    // A checkpoint as the trainer stores one: untrained weights are enough to score.
    supernet = new MfaSupernet(tf, SPACE, { seed: 4, initScale: 1, outputInitScale: 1 });
    const bytes = await encodeSupernetCheckpoint(supernetCheckpointEntries(supernet), { format: 1, step: STEP });
    const supernets = new SupernetRepository(database.db);
    supernetId = (await supernets.create({ name: "s", searchSpace: SPACE, trainingConfig: TRAINING_CONFIG })).id;
    const { sha256 } = await new LocalArtifactStore(artifactDir, database.db).put({ bytes, kind: "checkpoint" });
    await supernets.recordCheckpoint({ supernetId, step: STEP, artifactSha256: sha256, metrics: {} });
  }, 180_000);

  afterAll(async () => {
    await evaluator.close();
    await events.close();
    await producer.close();
    supernet.dispose();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
    await rm(artifactDir, { recursive: true, force: true });
  });

  function payload(genome: Genome, patch: Partial<{ checkpointStep: number; genome: string }> = {}) {
    return {
      supernetId,
      checkpointStep: STEP,
      genomeHash: genomeHash(genome),
      genome: encodeGenome(genome),
      validationSet: BUNDLED_VALIDATION_SET,
      ...patch,
    };
  }

  async function finished(jobId: string): Promise<unknown> {
    const job = await Job.fromId(producer.queue(QUEUES.evaluate.name), jobId);
    if (!job) throw new Error(`job ${jobId} is not in the queue`);
    return job.waitUntilFinished(events);
  }

  it("evaluates a genome once however often it is queued, with the tfjs reference's figures", async () => {
    const genome = sampleGenome(SPACE, createRng(9));
    const [first, second] = await Promise.all([
      producer.enqueue(JOBS.evaluateCandidate.name, payload(genome)),
      producer.enqueue(JOBS.evaluateCandidate.name, payload(genome)),
    ]);
    expect(second.jobId).toBe(first.jobId);
    const result = (await finished(first.jobId)) as { evaluated: boolean; psnr: number; path: string };
    expect(result).toMatchObject({ evaluated: true, path: "onnxruntime", imageCount: 6 });

    const rows = await database.db.evaluation.findMany({ where: { genomeHash: genomeHash(genome) } });
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toMatchObject({ genome: encodeGenome(genome), genomeHash: genomeHash(genome), imageCount: 6 });
    expect(row?.runtime).toMatch(/^onnxruntime-node /);

    // The same figures as the tfjs path computes here from the in-memory supernet.
    const set = await new ValidationSets(undefined).get(BUNDLED_VALIDATION_SET, genome.scale);
    const reference = await subGeneratorUpscaler(tf, supernet, genome, "tfjs", { backend: "wasm" });
    const expected = await scoreUpscaler(reference, set);
    await reference.dispose();
    expect(Math.abs((row?.psnr ?? 0) - expected.psnr)).toBeLessThanOrEqual(0.01);
    expect(Math.abs((row?.ssim ?? 0) - expected.ssim)).toBeLessThanOrEqual(1e-4);

    // The finished job gone from Redis, the same work queued again finds the row and computes nothing.
    await (await Job.fromId(producer.queue(QUEUES.evaluate.name), first.jobId))?.remove();
    const again = await producer.enqueue(JOBS.evaluateCandidate.name, payload(genome));
    expect(await finished(again.jobId)).toMatchObject({ evaluated: false, psnr: row?.psnr });
    expect(await database.db.evaluation.count({ where: { genomeHash: genomeHash(genome) } })).toBe(1);
  }, 180_000);

  it("stores side-by-side sample crops with the training config's pretrained teacher, its panel computed once", async () => {
    // Two x4 genomes (the teacher's scale), and one x2 whose sheet says why it has no teacher panel.
    const rng = createRng(21);
    const all = Array.from({ length: 24 }, () => sampleGenome(SPACE, rng));
    const genomes = all.filter((g) => g.scale === 4).slice(0, 2);
    const x2 = all.find((g) => g.scale === 2);
    if (genomes.length < 2 || !x2) throw new Error("the space's sampler gave too few genomes of each scale");
    const { jobId: x2Job } = await producer.enqueue(JOBS.evaluateCandidate.name, payload(x2));
    await finished(x2Job);
    const x2Row = await database.db.evaluation.findFirst({ where: { genomeHash: genomeHash(x2) } });
    expect((x2Row?.samples as { teacherMissing?: string }).teacherMissing).toMatch(/teacher upscales x4.*x2/);
    for (const genome of genomes) {
      const { jobId } = await producer.enqueue(JOBS.evaluateCandidate.name, payload(genome));
      await finished(jobId);
    }
    const store = new LocalArtifactStore(artifactDir, database.db);
    const set = await new ValidationSets(undefined).get(BUNDLED_VALIDATION_SET, 4);
    const image = set.images[0];
    if (!image) throw new Error("the bundled validation set is empty");
    // The training config names no teacher: its default is esrgan-thick x4, run here independently on the same LR.
    const teacher = await loadPackageTeacher(tf, "@upscalerjs/esrgan-thick", 4);
    const teacherSr = tf.tidy(() => {
      const lr = tf.tensor4d(image.lr.data, [1, image.lr.height, image.lr.width, 3], "float32");
      return tf.clipByValue(teacher.run(tf, lr, false).sr, 0, 1);
    });
    const teacherFull = createImage(image.hr.height, image.hr.width, (await teacherSr.data()) as Float32Array);
    teacherSr.dispose();
    teacher.dispose();

    for (const genome of genomes) {
      const row = await database.db.evaluation.findFirst({ where: { genomeHash: genomeHash(genome) } });
      const samples = row?.samples as {
        sha256: string;
        image: string;
        window: { top: number; left: number; size: number };
        panels: { name: string; psnrY: number | null }[];
        teacherMissing?: string;
      };
      expect(samples.teacherMissing).toBeUndefined();
      expect(samples.image).toBe(image.name);
      expect(samples.panels.map((p) => p.name)).toEqual(["bicubic", "subgenerator", "teacher", "hr"]);
      const { top, left, size } = samples.window;
      // The HR window lies in the image, on the LR grid.
      expect(top % 4).toBe(0);
      expect(left % 4).toBe(0);
      expect(top + size).toBeLessThanOrEqual(image.hr.height);
      const sheet = await decodeImage(await store.get(samples.sha256));
      expect([sheet.height, sheet.width]).toEqual([size, 4 * size + 3 * 4]);
      // Panel 3 is the teacher's output on this window; panel 4 is the HR image itself (8-bit, as PNG keeps them).
      const panel = (k: number) => cropImage(sheet, 0, k * (size + 4), size, size);
      const expectedTeacher = cropImage(teacherFull, top, left, size, size);
      const hr = cropImage(image.hr, top, left, size, size);
      const maxDiff = (a: RgbImage, b: RgbImage) =>
        a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (b.data[i] ?? 0))), 0);
      expect(maxDiff(panel(3), hr)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
      expect(maxDiff(panel(2), expectedTeacher)).toBeLessThanOrEqual(1.5 / 255);
      const teacherPsnr = samples.panels[2]?.psnrY ?? NaN;
      expect(teacherPsnr).toBeCloseTo(srMetrics(expectedTeacher, hr, { scale: 4 }).psnrY, 0);
    }
    // Both sheets share one cached teacher panel.
    const cached = await database.db.artifact.count({
      where: { metadata: { path: ["report"], equals: "teacher-sample" } },
    });
    expect(cached).toBe(1);
  }, 180_000);

  it("says why a sample sheet has no teacher panel when the configured teacher cannot be loaded", async () => {
    const supernets = new SupernetRepository(database.db);
    const missing = "ab".repeat(32);
    const id = (
      await supernets.create({
        name: "artifact teacher",
        searchSpace: SPACE,
        trainingConfig: { ...TRAINING_CONFIG, teacher: { kind: "tfjs-layers", artifact: missing } },
      })
    ).id;
    const checkpoint = await database.db.supernetCheckpoint.findFirstOrThrow({ where: { supernetId } });
    await supernets.recordCheckpoint({
      supernetId: id,
      step: STEP,
      artifactSha256: checkpoint.artifactSha256,
      metrics: {},
    });
    const genome = sampleGenome(SPACE, createRng(23));
    const { jobId } = await producer.enqueue(JOBS.evaluateCandidate.name, { ...payload(genome), supernetId: id });
    await finished(jobId);
    const row = await database.db.evaluation.findFirst({ where: { supernetId: id } });
    const samples = row?.samples as { panels: { name: string }[]; teacherMissing?: string };
    expect(samples.panels.map((p) => p.name)).toEqual(["bicubic", "subgenerator", "hr"]);
    expect(samples.teacherMissing).toMatch(new RegExp(`teacher.artifact.*${missing}`));
  }, 180_000);

  it("fails for good, writing nothing, when the checkpoint does not exist", async () => {
    const genome = sampleGenome(SPACE, createRng(10));
    const { jobId } = await producer.enqueue(JOBS.evaluateCandidate.name, payload(genome, { checkpointStep: 41 }));
    await expect(finished(jobId)).rejects.toThrow(/no checkpoint at step 41/);
    const job = await Job.fromId(producer.queue(QUEUES.evaluate.name), jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(await database.db.evaluation.count({ where: { checkpointStep: 41 } })).toBe(0);
  }, 90_000);

  it("fails for good on a genome outside the supernet's space, naming the gene", async () => {
    const genome = sampleGenome(SPACE, createRng(11));
    const outside = { ...genome, trunkWidth: 24 };
    const { jobId } = await producer.enqueue(
      JOBS.evaluateCandidate.name,
      payload(genome, { genome: encodeGenome(outside) }),
    );
    await expect(finished(jobId)).rejects.toThrow(/trunkWidth/);
    const job = await Job.fromId(producer.queue(QUEUES.evaluate.name), jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(await database.db.evaluation.count({ where: { genomeHash: genomeHash(genome) } })).toBe(0);
  }, 90_000);

  it("refuses validation set names that leave the validation root", async () => {
    const genome = sampleGenome(SPACE, createRng(12));
    const { jobId } = await producer.enqueue(JOBS.evaluateCandidate.name, {
      ...payload(genome),
      validationSet: "../../etc",
    });
    await expect(finished(jobId)).rejects.toThrow(/validationSet "..\/..\/etc"/);
    for (const name of ["..", "a/../../b", "/etc", "a\\..\\b", ".hidden", "bundled:train"]) {
      expect(() => validationSetDir(name, "/data/val"), name).toThrow(/validationSet/);
    }
    expect(validationSetDir("Set5", "/data/val")).toBe("/data/val/Set5");
    expect(validationSetDir("DIV2K/valid", "/data/val")).toBe("/data/val/DIV2K/valid");
    expect(() => validationSetDir("Set5", undefined)).toThrow(/EVALUATOR_VALIDATION_ROOT/);
  }, 90_000);
});
