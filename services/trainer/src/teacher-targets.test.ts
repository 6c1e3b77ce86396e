import { describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, narrowSpace, parseTrainingConfig } from "@mfnas/core";
import { RrdbNet, computeTeacherTargets, loadWeights, openDataset, rrdbNetTeacher, type SrTeacher } from "@mfnas/model";
import { distilledTeacherBlocks, prepareTeacherTargets, type TeacherTargetsProgress } from "./teacher-targets.ts";
import { TINY_TEACHER, teacherBytes, tinyConfig } from "../../../tests/support/tiny-teacher.ts";
import { MemoryArtifacts, sha256, trainingTf } from "./test-support.ts";

async function countingTeacher(): Promise<{ teacher: SrTeacher; calls: () => number }> {
  const tf = await trainingTf();
  const bytes = await teacherBytes();
  const net = new RrdbNet(tf, { ...TINY_TEACHER, scale: 4 });
  loadWeights(tf, net.params, bytes);
  const inner = rrdbNetTeacher(net, sha256(bytes));
  let calls = 0;
  const teacher: SrTeacher = {
    ...inner,
    run: (t, lr, withFeatures) => {
      calls += 1;
      return inner.run(t, lr, withFeatures);
    },
  };
  return { teacher, calls: () => calls };
}

describe("teacher targets in the artifact store", () => {
  it("are computed once: a second preparation reads them back without running the teacher", async () => {
    const tf = await trainingTf();
    const { teacher, calls } = await countingTeacher();
    const images = await openDataset("sample-val", { scale: 4 });
    const artifacts = new MemoryArtifacts();
    const events: TeacherTargetsProgress[] = [];
    const first = await prepareTeacherTargets(tf, teacher, images, artifacts, {
      blocks: [0, 1],
      onProgress: (p) => events.push(p),
    });
    const n = images.entries.length;
    expect([first.computed, first.reused, calls()]).toEqual([n, 0, n]); // one 32x32 LR tile per image
    expect(events.at(-1)).toEqual({ images: n, imagesTotal: n, tiles: n, tilesTotal: n, reused: 0 });
    expect(artifacts.cacheKeys.size).toBe(n);

    const second = await prepareTeacherTargets(tf, teacher, images, artifacts, { blocks: [0, 1] });
    expect([second.computed, second.reused, calls()]).toEqual([0, n, n]);
    const fresh = await computeTeacherTargets(tf, teacher, (await images.load(3)).lr, { blocks: [0, 1] });
    const cached = second.targets[3];
    expect(Array.from(cached?.sr.data ?? [])).toEqual(Array.from(fresh.sr.data));
    expect(Array.from(cached?.blocks.get(1)?.data ?? [])).toEqual(Array.from(fresh.blocks.get(1)?.data ?? []));

    // Other blocks are another key: computed again, not served stale.
    const other = await prepareTeacherTargets(tf, teacher, images, artifacts, { blocks: [1] });
    expect(other.computed).toBe(n);
    teacher.dispose();
  });

  it("keep the teacher blocks some student depth of the space is distilled from", async () => {
    const { teacher } = await countingTeacher();
    const config = parseTrainingConfig(tinyConfig("0".repeat(64)));
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, { depth: { min: 1, max: 3 } });
    // esrgan-thick-like 10 blocks: depth 1 -> [9], 2 -> [4, 9], 3 -> [2, 6, 9].
    expect(
      distilledTeacherBlocks(space, config, { ...teacher, features: { count: 10, channels: 64, downscale: 1 } }),
    ).toEqual([2, 4, 6, 9]);
    expect(
      distilledTeacherBlocks(space, { ...config, losses: { ...config.losses, featureDistill: 0 } }, teacher),
    ).toEqual([]);
    teacher.dispose();
  });
});
