import { describe, expect, it } from "vitest";
import { parseTrainingConfig } from "@mfnas/core";
import { decodeSupernetCheckpoint, readSafetensors } from "@mfnas/model";
import type { WorkerLog } from "@mfnas/queue";
import type { CheckpointMeta } from "./checkpoint.ts";
import { createTrainSupernetHandler } from "./train-supernet.job.ts";
import { teacherBytes, tinyConfig } from "../../../tests/support/tiny-teacher.ts";
import { MemoryArtifacts, MemoryStore, jobContext, quiet, sha256, trainingTf } from "./test-support.ts";

async function setup(patch: Parameters<typeof tinyConfig>[1] = {}, workers = 1, log: WorkerLog = quiet) {
  const tf = await trainingTf();
  const artifacts = new MemoryArtifacts();
  const teacher = await teacherBytes();
  await artifacts.put({ bytes: teacher });
  const store = new MemoryStore(tinyConfig(sha256(teacher), patch));
  const handler = createTrainSupernetHandler({ tf, store, artifacts, log, workers });
  return { tf, artifacts, store, handler };
}

/** The `workers` entry of each stored checkpoint's metadata. */
function recordedWorkers(store: MemoryStore, artifacts: MemoryArtifacts): (number | undefined)[] {
  return store.checkpoints.map((c) => {
    const bytes = artifacts.files.get(c.artifactSha256);
    if (!bytes) throw new Error(`checkpoint ${c.step} is not stored`);
    return decodeSupernetCheckpoint<CheckpointMeta>(bytes).meta.workers;
  });
}

describe("trainer.train-supernet handler", () => {
  it.each([1, 2])(
    "resumes from a checkpoint with exactly the losses of an uninterrupted run (%i worker(s))",
    async (workers) => {
      const straight = await setup({ steps: 6, checkpointEvery: 3 }, workers);
      await straight.handler(jobContext("s1"));
      expect(straight.store.status).toBe("ready");
      expect(straight.store.checkpoints.map((c) => c.step)).toEqual([3, 6]);
      // Each checkpoint names the teacher's size: its parameters are the weight file's values, counted here.
      const file = readSafetensors(await teacherBytes());
      const teacherParams = [...file.tensors.values()].reduce((n, t) => n + t.shape.reduce((x, y) => x * y, 1), 0);
      for (const c of straight.store.checkpoints) {
        expect(c.metrics["teacherParams"]).toBe(teacherParams);
        expect(c.metrics["teacherMacsPerLrPixel"]).toBeGreaterThan(teacherParams * 0.9);
      }

      // Interrupted after step 4 (shutdown signal): a checkpoint at 4 is written, then the job rethrows.
      const interrupted = await setup({ steps: 6, checkpointEvery: 3 }, workers);
      const abort = new AbortController();
      interrupted.store.onProgress = (p) => {
        if (p.step === 4) abort.abort(new Error("shutdown"));
      };
      await expect(interrupted.handler(jobContext("s1", abort.signal))).rejects.toThrow("shutdown");
      expect(interrupted.store.checkpoints.map((c) => c.step)).toEqual([3, 4]);
      interrupted.store.onProgress = () => undefined;
      await interrupted.handler(jobContext("s1"));
      expect(interrupted.store.status).toBe("ready");
      const a = straight.store.progress.map((p) => p.losses);
      const b = interrupted.store.progress.map((p) => p.losses);
      expect(b).toHaveLength(6);
      expect(b).toEqual(a);
      expect(recordedWorkers(interrupted.store, interrupted.artifacts)).toEqual([workers, workers, workers]);
    },
  );

  it("resumes a run under another worker count with the count it started with, and says so", async () => {
    const warnings: string[] = [];
    const log: WorkerLog = { ...quiet, warn: (message) => void warnings.push(message) };
    const first = await setup({ steps: 4, checkpointEvery: 2 }, 2, log);
    const abort = new AbortController();
    first.store.onProgress = (p) => {
      if (p.step === 2) abort.abort(new Error("shutdown"));
    };
    await expect(first.handler(jobContext("s1", abort.signal))).rejects.toThrow("shutdown");
    first.store.onProgress = () => undefined;
    // The same store and artifacts, now handled by a trainer configured for one worker.
    const resumed = createTrainSupernetHandler({
      tf: first.tf,
      store: first.store,
      artifacts: first.artifacts,
      log,
      workers: 1,
    });
    await resumed(jobContext("s1"));
    expect(first.store.status).toBe("ready");
    expect(recordedWorkers(first.store, first.artifacts)).toEqual([2, 2]);
    expect(warnings.join("\n")).toMatch(/resuming with the 2 training worker\(s\) the run started with, not 1/);
  });

  it("stops within one step of a cancellation, keeps the checkpoints and stays cancelled", async () => {
    const { store, handler } = await setup({ steps: 20, checkpointEvery: 2 });
    store.onProgress = (p) => {
      if (p.step === 3) store.status = "cancelled";
    };
    expect(await handler(jobContext("s1"))).toEqual({ step: 3 });
    expect(store.status).toBe("cancelled");
    expect(store.progress.at(-1)?.step).toBe(3);
    expect(store.checkpoints.map((c) => c.step)).toEqual([2, 3]);
  });

  it.each([
    [{ optimizer: { lr: -1 } }, "optimizer.lr"],
    [
      { data: { train: "/nonexistent/images", val: "bundled" } },
      "data.train: /nonexistent/images: dataset folder does not exist",
    ],
    [{ teacher: { weights: "0".repeat(64), blocks: 2, channels: 16, growth: 8 } }, "teacher.weights: artifact"],
    [
      { teacher: { weights: "", blocks: 2, channels: 32, growth: 8 } },
      'teacher.weights: safetensors: tensor "conv_first.weight"',
    ],
  ])("fails permanently at once on a bad config %j, naming %s, writing nothing", async (patch, message) => {
    const { store, artifacts } = await setup();
    const config = store.trainingConfig as { teacher: { weights: string } };
    const bad = { ...config, ...patch } as { teacher: { weights: string } };
    if (bad.teacher.weights === "") bad.teacher.weights = config.teacher.weights;
    const failing = new MemoryStore(bad);
    const run = createTrainSupernetHandler({ tf: await trainingTf(), store: failing, artifacts, log: quiet });
    await expect(run(jobContext("s1"))).rejects.toThrow(message);
    await expect(run(jobContext("s1"))).resolves.toEqual({ step: 0 });
    expect(failing.status).toBe("failed");
    expect(failing.error).toContain(message);
    expect(failing.checkpoints).toEqual([]);
    expect(failing.progress).toEqual([]);
    expect(artifacts.files.size).toBe(1); // the teacher only
    expect(() => parseTrainingConfig(store.trainingConfig)).not.toThrow();
  });
});
