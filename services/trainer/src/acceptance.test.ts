import { describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, largestGenome, narrowSpace, smallestGenome } from "@mfnas/core";
import { MfaSupernet, imresize, openSampleDatasets, psnrY } from "@mfnas/model";
import { restoreCheckpoint } from "./checkpoint.ts";
import { validationPsnr } from "./evaluate.ts";
import { prepareRun } from "./prepare.ts";
import { createTrainSupernetHandler } from "./train-supernet.job.ts";
import { TrainingState } from "./training-state.ts";
import {
  MemoryArtifacts,
  MemoryStore,
  jobContext,
  quiet,
  sha256,
  teacherBytes,
  tinyConfig,
  trainingTf,
} from "./test-support.ts";

/**
 * Steps of the acceptance run: about 150 s on an idle core. The tiny config's space is widened here to trunk 16/24:
 * 16 is the default space's narrowest trunk, and at trunk 8 the smallest SubGenerator (then over a bilinear skip)
 * only crept up (31.95 -> 32.04 dB after 800 steps, 32.13 even trained alone, 32.29 after 1600 steps), too little
 * to show what the supernet's smallest members gain from training.
 */
const STEPS = 800;
const SPACE = { scales: [4 as const], trunkWidths: [16, 24], branchWidths: [8], depth: { min: 1, max: 2 } };

describe("supernet training on the bundled images (acceptance)", () => {
  it("starts every SubGenerator at bicubic and trains the largest 0.1 dB past it, the smallest above it", async () => {
    const tf = await trainingTf();
    const artifacts = new MemoryArtifacts();
    const teacher = await teacherBytes();
    await artifacts.put({ bytes: teacher });
    const config = tinyConfig(sha256(teacher), {
      space: SPACE,
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

    const { val } = await openSampleDatasets({ scale: 4 });
    let bicubic = 0;
    for (let i = 0; i < val.entries.length; i++) {
      const pair = await val.load(i);
      bicubic += psnrY(imresize(pair.lr, { scale: 4 }), pair.hr, { cropBorder: 4 }) / val.entries.length;
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
    console.log(`acceptance Y-PSNR after ${STEPS} steps: ${JSON.stringify(figures)}`);
    // Untrained, conv_last is zero: every SubGenerator outputs the MATLAB bicubic upsampling of its input (equal to
    // 1e-3 dB: validationPsnr scores the output rounded to 8 bits, as a saved PNG; `bicubic` here is unrounded).
    expect(figures.largest.initial).toBeCloseTo(bicubic, 2);
    expect(figures.smallest.initial).toBeCloseTo(bicubic, 2);
    // Measured (training is deterministic): largest 32.49 -> 32.63, smallest 32.49 -> 32.50, bicubic 32.49.
    expect(figures.largest.trained).toBeGreaterThan(bicubic + 0.1);
    expect(figures.smallest.trained).toBeGreaterThan(bicubic);
    state.dispose();
    initial.dispose();
    run.teacher.dispose();
  }, 1_800_000);
});
