import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { describe, expect, it } from "vitest";
import type { SrDataset, SrPair } from "./dataset.ts";
import { createImage } from "./image-io.ts";
import { batchToTensors, createPatchSampler, pairToTensors } from "./patch-sampler.ts";
import type { PatchBatch } from "./patch-sampler.ts";

const SCALE = 2;

/**
 * In-memory pairs whose pixels carry their own coordinates: HR (y, x) holds [y, x, id]/1000 and LR (y, x) holds the
 * coordinates of the top-left HR pixel of its block. Alignment and augmentation can then be read off the patches.
 */
function coordinateDataset(sizes: [number, number][]): SrDataset {
  const pairs: SrPair[] = sizes.map(([h, w], id) => {
    const hr = createImage(h, w);
    const lr = createImage(h / SCALE, w / SCALE);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) hr.data.set([y / 1000, x / 1000, id / 1000], (y * w + x) * 3);
    for (let y = 0; y < h / SCALE; y++)
      for (let x = 0; x < w / SCALE; x++)
        lr.data.set([(y * SCALE) / 1000, (x * SCALE) / 1000, id / 1000], (y * lr.width + x) * 3);
    return { name: `img${id}`, hr, lr };
  });
  return {
    root: "memory",
    scale: SCALE,
    layout: "hr-folder",
    entries: pairs.map((p) => ({ name: p.name, hrPath: p.name })),
    load: (index) => Promise.resolve(pairs[index]!),
  };
}

const at = (data: Float32Array, offset: number, size: number, y: number, x: number, c: number) =>
  Math.round(data[offset + (y * size + x) * 3 + c]! * 1000);

/** The orientation of patch i: which way source rows and columns run through it (8 possibilities). */
function orientation(batch: PatchBatch, i: number): string {
  const p = batch.hrPatch;
  const o = i * p * p * 3;
  const dRowAlongX = at(batch.hr, o, p, 0, 1, 0) - at(batch.hr, o, p, 0, 0, 0);
  const dColAlongX = at(batch.hr, o, p, 0, 1, 1) - at(batch.hr, o, p, 0, 0, 1);
  const dColAlongY = at(batch.hr, o, p, 1, 0, 1) - at(batch.hr, o, p, 0, 0, 1);
  const dRowAlongY = at(batch.hr, o, p, 1, 0, 0) - at(batch.hr, o, p, 0, 0, 0);
  return [dRowAlongX, dColAlongX, dRowAlongY, dColAlongY].join(",");
}

describe("patch sampler", () => {
  const dataset = coordinateDataset([
    [16, 20],
    [12, 12],
    [20, 16],
    [24, 24],
    [16, 16],
  ]);

  it("cuts aligned HR/LR patches, augmented identically", async () => {
    const sampler = createPatchSampler(dataset, { patchSize: 8, batchSize: 16, seed: 3 });
    const batch = await sampler.next();
    expect([batch.size, batch.hrPatch, batch.lrPatch, batch.hr.length, batch.lr.length]).toEqual([16, 8, 4, 3072, 768]);
    for (let i = 0; i < batch.size; i++) {
      const [ho, lo] = [i * 8 * 8 * 3, i * 4 * 4 * 3];
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          // The LR pixel names the top-left of its HR block; that block must be where it lands after augmentation.
          const block = [0, 1].flatMap((dy) => [0, 1].map((dx) => [2 * y + dy, 2 * x + dx] as const));
          const rows = block.map(([by, bx]) => at(batch.hr, ho, 8, by, bx, 0));
          const cols = block.map(([by, bx]) => at(batch.hr, ho, 8, by, bx, 1));
          expect(at(batch.lr, lo, 4, y, x, 0)).toBe(Math.min(...rows));
          expect(at(batch.lr, lo, 4, y, x, 1)).toBe(Math.min(...cols));
          expect(at(batch.lr, lo, 4, y, x, 2)).toBe(at(batch.hr, ho, 8, 0, 0, 2));
        }
      }
      // HR crops start on a multiple of the scale, so the LR grid and the HR grid coincide.
      const corner = Math.min(at(batch.hr, ho, 8, 0, 0, 0), at(batch.hr, ho, 8, 7, 7, 0));
      expect(corner % SCALE).toBe(0);
    }
  });

  it("produces all 8 orientations with augmentation and only the identity without", async () => {
    const augmented = await createPatchSampler(dataset, { patchSize: 4, batchSize: 200, seed: 1 }).next();
    const seen = new Set(Array.from({ length: augmented.size }, (_, i) => orientation(augmented, i)));
    expect(seen.size).toBe(8);
    const plain = await createPatchSampler(dataset, {
      patchSize: 4,
      batchSize: 50,
      flips: false,
      rotations: false,
    }).next();
    const plainSeen = new Set(Array.from({ length: plain.size }, (_, i) => orientation(plain, i)));
    expect([...plainSeen]).toEqual(["0,1,1,0"]);
  });

  it("visits every image once per epoch", async () => {
    const sampler = createPatchSampler(dataset, { patchSize: 4, batchSize: 5, seed: 9 });
    for (let epoch = 0; epoch < 3; epoch++) {
      expect([...(await sampler.next()).names].sort()).toEqual(["img0", "img1", "img2", "img3", "img4"]);
    }
    expect(sampler.state()).toMatchObject({ epoch: 2, cursor: 5, datasetSize: 5 });
    // A snapshot taken exactly at the end of an epoch resumes into the same next epoch.
    const resumed = createPatchSampler(dataset, { patchSize: 4, batchSize: 5, resumeFrom: sampler.state() });
    expect(Array.from((await resumed.next()).hr)).toEqual(Array.from((await sampler.next()).hr));
  });

  it("repeats from a seed, differs across seeds, and resumes from a JSON snapshot across epochs", async () => {
    const run = async (seed: number, batches: number) => {
      const sampler = createPatchSampler(dataset, { patchSize: 8, batchSize: 3, seed });
      const out: PatchBatch[] = [];
      for (let i = 0; i < batches; i++) out.push(await sampler.next());
      return out;
    };
    const [a, b, c] = [await run(5, 6), await run(5, 6), await run(6, 6)];
    expect(a.map((x) => Array.from(x.hr))).toEqual(b.map((x) => Array.from(x.hr)));
    expect(a.map((x) => Array.from(x.hr))).not.toEqual(c.map((x) => Array.from(x.hr)));

    const original = createPatchSampler(dataset, { patchSize: 8, batchSize: 3, seed: 5 });
    await original.next();
    await original.next(); // 6 patches: one epoch of 5 and one more
    const snapshot = JSON.parse(JSON.stringify(original.state())) as ReturnType<typeof original.state>;
    const resumed = createPatchSampler(dataset, { patchSize: 8, batchSize: 3, seed: 999, resumeFrom: snapshot });
    for (let i = 2; i < 6; i++) {
      const next = await resumed.next();
      expect(Array.from(next.hr)).toEqual(Array.from(a[i]!.hr));
      expect(next.names).toEqual(a[i]!.names);
    }
  });

  it("rejects bad patch sizes, small images by name, and a snapshot from another dataset", async () => {
    expect(() => createPatchSampler(dataset, { patchSize: 7 })).toThrow(/multiple of the scale 2, got 7/);
    expect(() => createPatchSampler(dataset, { patchSize: 8, batchSize: 0 })).toThrow(/batchSize/);
    const big = createPatchSampler(dataset, { patchSize: 16, batchSize: 5, seed: 2 });
    await expect(big.next()).rejects.toThrow(/img1: HR 12x12 is smaller than the 16x16 patch/);
    const state = createPatchSampler(dataset, { patchSize: 8 }).state();
    const other = coordinateDataset([[8, 8]]);
    expect(() => createPatchSampler(other, { patchSize: 8, resumeFrom: state })).toThrow(/state for 5 images/);
  });

  it("hands batches and whole pairs to tfjs as NHWC float32 tensors", async () => {
    await tf.setBackend("cpu");
    const batch = await createPatchSampler(dataset, { patchSize: 8, batchSize: 2 }).next();
    const { hr, lr } = batchToTensors(tf, batch);
    expect([hr.shape, lr.shape, hr.dtype]).toEqual([[2, 8, 8, 3], [2, 4, 4, 3], "float32"]);
    expect(Array.from(await lr.data())).toEqual(Array.from(batch.lr));
    const pair = pairToTensors(tf, await dataset.load(0));
    expect([pair.hr.shape, pair.lr.shape]).toEqual([
      [1, 16, 20, 3],
      [1, 8, 10, 3],
    ]);
    tf.dispose([hr, lr, pair.hr, pair.lr]);
  });
});
