import { describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, largestGenome, narrowSpace, smallestGenome } from "@mfnas/core";
import { MfaSupernet, clipImage01, cropImage, imresize, openDataset, psnrY } from "@mfnas/model";
import { restoreCheckpoint } from "./checkpoint.ts";
import { validationPsnr } from "./evaluate.ts";
import { prepareRun } from "./prepare.ts";
import { createTrainSupernetHandler } from "./train-supernet.job.ts";
import { TrainingState } from "./training-state.ts";
import { tinyConfig } from "../../../tests/support/tiny-teacher.ts";
import { MemoryArtifacts, MemoryStore, jobContext, quiet, trainingTf } from "./test-support.ts";

/**
 * Steps of the acceptance run. The run: the pretrained esrgan-thick x4 teacher's targets on the 7 training
 * photographs (28 tiles, computed once, about a minute on an idle core), then 800 steps of the tiny space widened to
 * trunk 16/24 (16 is the default space's narrowest trunk) on 32x32 HR patches, batch 4 (a step takes about 0.2 s:
 * the teacher no longer runs per step), then Y-PSNR on the 3 validation photographs.
 */
const STEPS = 800;
const SPACE = { scales: [4 as const], trunkWidths: [16, 24], branchWidths: [8], depth: { min: 1, max: 2 } };

describe("supernet training on the real photographs with the pretrained teacher (acceptance)", () => {
  it("makes the largest and the smallest SubGenerator beat bicubic upscaling on the validation photographs", async () => {
    const tf = await trainingTf();
    const artifacts = new MemoryArtifacts();
    // No teacher in the config: the default, @upscalerjs/esrgan-thick at x4. Full-weight output distillation.
    const { teacher: _, ...config } = tinyConfig("0".repeat(64), {
      space: SPACE,
      data: { train: "photos-train", val: "photos-val" },
      losses: { adversarial: 0.001, featureDistill: 0.1, outputDistill: 1 },
      steps: STEPS,
      checkpointEvery: STEPS,
      logEvery: 100,
    });
    const store = new MemoryStore(config);
    await createTrainSupernetHandler({ tf, store, artifacts, log: quiet })(jobContext("s1"));
    expect(store.status).toBe("ready");

    const run = await prepareRun(tf, config, artifacts);
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, run.config.space ?? {});
    const [largest, smallest] = [largestGenome(space, 4), smallestGenome(space, 4)];
    const initial = new MfaSupernet(tf, space, { seed: run.config.seed });
    const state = new TrainingState(tf, space, run.config, run.teacher, undefined);
    const last = store.checkpoints.at(-1);
    restoreCheckpoint(tf, state, await artifacts.get(last?.artifactSha256 ?? ""), run.configHash);

    const val = await openDataset("photos-val", { scale: 4 });
    let bicubic = 0;
    for (let i = 0; i < val.entries.length; i++) {
      // On the images validationPsnr scores: LR cropped to sides divisible by 4, the HR to match, output clipped.
      const pair = await val.load(i);
      const [h, w] = [pair.lr.height - (pair.lr.height % 4), pair.lr.width - (pair.lr.width % 4)];
      const sr = clipImage01(imresize(cropImage(pair.lr, 0, 0, h, w), { scale: 4 }));
      bicubic += psnrY(sr, cropImage(pair.hr, 0, 0, 4 * h, 4 * w), { cropBorder: 4 }) / val.entries.length;
    }
    const figures = {
      largest: {
        initial: await validationPsnr(tf, initial, largest, val),
        trained: await validationPsnr(tf, state.supernet, largest, val),
      },
      smallest: {
        initial: await validationPsnr(tf, initial, smallest, val),
        trained: await validationPsnr(tf, state.supernet, smallest, val),
      },
      bicubic,
    };
    console.log(`acceptance Y-PSNR on photos-val after ${STEPS} steps: ${JSON.stringify(figures)}`);
    // Untrained, conv_last is zero: every SubGenerator outputs the MATLAB bicubic upsampling of its input.
    expect(figures.largest.initial).toBeCloseTo(bicubic, 2);
    expect(figures.smallest.initial).toBeCloseTo(bicubic, 2);
    expect(figures.largest.trained).toBeGreaterThan(bicubic + MARGIN.largest);
    expect(figures.smallest.trained).toBeGreaterThan(bicubic + MARGIN.smallest);
    expect(figures.largest.trained).toBeGreaterThan(figures.smallest.trained);
    state.dispose();
    initial.dispose();
    run.teacher.dispose();
  }, 1_800_000);
});

/** Margins over bicubic the trained SubGenerators must clear (dB). */
const MARGIN = { largest: 0.2, smallest: 0.1 };
