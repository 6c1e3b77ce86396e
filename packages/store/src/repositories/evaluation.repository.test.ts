import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EvaluationRepository, SupernetRepository, type EvaluationRecord } from "@mfnas/store";
import { createTestDatabase, type TestDatabase } from "../../../../tests/support/database.ts";

const SHA = "a".repeat(64);

describe("EvaluationRepository on real Postgres", () => {
  let database: TestDatabase;
  let repo: EvaluationRepository;
  let supernetId: string;
  beforeEach(async () => {
    database = await createTestDatabase();
    repo = new EvaluationRepository(database.db);
    const supernets = new SupernetRepository(database.db);
    supernetId = (await supernets.create({ name: "s", searchSpace: { scales: [4] }, trainingConfig: {} })).id;
    await database.db.artifact.create({ data: { sha256: SHA, kind: "checkpoint", uri: "file:///x", sizeBytes: 1n } });
    await supernets.recordCheckpoint({ supernetId, step: 5, artifactSha256: SHA, metrics: {} });
  });
  afterEach(() => database.drop());

  function record(genomeHash: string, psnr: number): EvaluationRecord {
    return {
      supernetId,
      checkpointStep: 5,
      genomeHash,
      validationSet: "bundled:val",
      genome: "x4-c8-u:ps-b[8:conv3]",
      psnr,
      ssim: 0.5,
      imageCount: 1,
      images: [{ name: "a.png", psnr, ssim: 0.5 }],
      path: "onnxruntime",
      runtime: "onnxruntime-node test",
      durationMs: 3,
    };
  }

  it("finds the checkpoint's artifact and the supernet's space", async () => {
    expect(await repo.getCheckpoint(supernetId, 5)).toEqual({
      searchSpace: { scales: [4] },
      trainingConfig: {},
      artifactSha256: SHA,
    });
    expect(await repo.getCheckpoint(supernetId, 6)).toBeNull();
  });

  it("writes an evaluation once per key, keeping the first result", async () => {
    const first = record("b".repeat(64), 20);
    expect(await repo.findEvaluation(first)).toBeNull();
    const writes = await Promise.all([repo.recordEvaluation(first), repo.recordEvaluation(first)]);
    expect(writes.map((w) => w.created).sort()).toEqual([false, true]);
    expect(await repo.recordEvaluation({ ...first, psnr: 99 })).toEqual({ created: false });
    expect(await repo.findEvaluation(first)).toEqual({ ...first, samples: null });
    expect(await database.db.evaluation.count()).toBe(1);

    // Another validation set or genome is another row.
    await repo.recordEvaluation({ ...first, validationSet: "div2k" });
    await repo.recordEvaluation(record("c".repeat(64), 21));
    const found = await repo.findEvaluations({ supernetId, checkpointStep: 5, validationSet: "bundled:val" }, [
      "b".repeat(64),
      "c".repeat(64),
      "d".repeat(64),
    ]);
    expect(found.map((e) => e.psnr).sort()).toEqual([20, 21]);

    // Sample crops are stored with the row and read back as written.
    const samples = {
      sha256: "e".repeat(64),
      image: "chelsea.png",
      scale: 4,
      window: { top: 8, left: 16, size: 128 },
      panels: [
        { name: "bicubic", psnrY: 26.5 },
        { name: "hr", psnrY: null },
      ],
      teacherMissing: "the teacher upscales x4 and this SubGenerator x2",
    } as const;
    const withSamples = { ...record("f".repeat(64), 22), samples };
    await repo.recordEvaluation(withSamples);
    expect(await repo.findEvaluation(withSamples)).toEqual(withSamples);
  });

  it("refuses an evaluation of a checkpoint that does not exist", async () => {
    await expect(repo.recordEvaluation({ ...record("b".repeat(64), 1), checkpointStep: 7 })).rejects.toThrow();
  });
});
