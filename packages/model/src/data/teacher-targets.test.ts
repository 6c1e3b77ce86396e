import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { seeded } from "../backend/test-support.ts";
import type { SrTeacher } from "../nets/sr-teacher.ts";
import type { Tensor4D } from "../tf.ts";
import { createImage } from "./image-io.ts";
import { createPatchSampler } from "./patch-sampler.ts";
import type { SrDataset } from "./dataset.ts";
import {
  computeTeacherTargets,
  decodeTeacherTargets,
  encodeTeacherTargets,
  teacherTargetsKey,
  teacherTileCount,
} from "./teacher-targets.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/**
 * A teacher with a 3x3 receptive field: block 0 = 3x3 mean of the input, block 1 = twice that, SR = block 0
 * upsampled x2 by nearest neighbour. Tiles with a margin of 1 must reproduce a whole-image run exactly.
 */
function localTeacher(calls: { n: number }): SrTeacher {
  return {
    identity: "test:local",
    scale: 2,
    features: { count: 2, channels: 3, downscale: 1 },
    cost: { params: 0, macsPerLrPixel: 9 },
    run(t, lr, withFeatures) {
      calls.n += 1;
      const mean = t.avgPool(lr, 3, 1, "same");
      const sr = t.image.resizeNearestNeighbor(mean, [lr.shape[1] * 2, lr.shape[2] * 2]);
      const blocks = withFeatures ? [mean, t.mul<Tensor4D>(mean, 2)] : [];
      if (!withFeatures) mean.dispose();
      return { sr, blocks };
    },
    dispose: () => undefined,
  };
}

describe("teacher targets", () => {
  it("tiled with a margin equal the whole image run at once, and survive encoding", async () => {
    const lr = createImage(23, 37, seeded(5, 23 * 37 * 3, 0, 1));
    const calls = { n: 0 };
    const teacher = localTeacher(calls);
    const whole = await computeTeacherTargets(tf, teacher, lr, { blocks: [1], tile: 64 });
    expect(calls.n).toBe(1);
    const ticks: number[] = [];
    const tiled = await computeTeacherTargets(tf, teacher, lr, {
      blocks: [1],
      tile: 8,
      margin: 1,
      onTile: (done, total) => ticks.push(done / total),
    });
    expect(calls.n).toBe(1 + teacherTileCount(23, 37, 8));
    expect(ticks.at(-1)).toBe(1);
    expect([tiled.sr.height, tiled.sr.width, tiled.sr.channels]).toEqual([46, 74, 3]);
    expect(Array.from(tiled.sr.data)).toEqual(Array.from(whole.sr.data));
    expect([...tiled.blocks.keys()]).toEqual([1]);
    expect(Array.from(tiled.blocks.get(1)?.data ?? [])).toEqual(Array.from(whole.blocks.get(1)?.data ?? []));
    // Too small a margin shows at the seams: the comparison above could fail.
    const seams = await computeTeacherTargets(tf, teacher, lr, { tile: 8, margin: 0 });
    expect(Array.from(seams.sr.data)).not.toEqual(Array.from(whole.sr.data));

    const back = decodeTeacherTargets(encodeTeacherTargets(tiled, { cacheKey: "k" }));
    expect(Array.from(back.sr.data)).toEqual(Array.from(tiled.sr.data));
    expect(back.blocks.get(1)?.channels).toBe(3);
    expect(Array.from(back.blocks.get(1)?.data ?? [])).toEqual(Array.from(tiled.blocks.get(1)?.data ?? []));
  });

  it("are keyed by the LR pixels, the teacher, the blocks and the tiling", () => {
    const teacher = localTeacher({ n: 0 });
    const lr = createImage(4, 4, seeded(1, 48, 0, 1));
    const key = teacherTargetsKey(lr, teacher, { blocks: [1, 0] });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(teacherTargetsKey(lr, teacher, { blocks: [0, 1] })).toBe(key);
    const other = createImage(
      4,
      4,
      lr.data.map((v, i) => (i === 7 ? v + 1 / 255 : v)),
    );
    expect(teacherTargetsKey(other, teacher, { blocks: [0, 1] })).not.toBe(key);
    expect(teacherTargetsKey(lr, { ...teacher, identity: "test:other" }, { blocks: [0, 1] })).not.toBe(key);
    expect(teacherTargetsKey(lr, teacher, { blocks: [1] })).not.toBe(key);
    expect(teacherTargetsKey(lr, teacher, { blocks: [0, 1], tile: 32 })).not.toBe(key);
  });

  it("are cut by the patch sampler with the same window, flips and transposes as the patch", async () => {
    // Targets that are the pair itself: SR = HR, block 0 = LR (3 channels), so each cut must equal the patch.
    const images = [0, 1].map((i) => {
      const hr = createImage(16, 24, seeded(10 + i, 16 * 24 * 3, 0, 1));
      const lr = createImage(8, 12, seeded(20 + i, 8 * 12 * 3, 0, 1));
      return { name: `img${i}`, hr, lr };
    });
    const dataset: SrDataset = {
      root: "/memory",
      scale: 2,
      layout: "hr-folder",
      entries: images.map((p) => ({ name: p.name, hrPath: `/memory/${p.name}` })),
      load: (i) => Promise.resolve(images[i] as (typeof images)[number]),
    };
    const sampler = createPatchSampler(dataset, {
      patchSize: 8,
      batchSize: 6,
      seed: 4,
      targets: (i) => {
        const p = images[i] as (typeof images)[number];
        return {
          sr: { ...p.hr, channels: 3 },
          blocks: new Map([[0, { ...p.lr, channels: 3 }]]),
        };
      },
    });
    const batch = await sampler.next();
    expect(Array.from(batch.teacher?.sr ?? [])).toEqual(Array.from(batch.hr));
    expect(Array.from(batch.teacher?.blocks.get(0)?.data ?? [])).toEqual(Array.from(batch.lr));
  });
});
