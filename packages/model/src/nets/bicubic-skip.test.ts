/**
 * The output skip is MATLAB's bicubic imresize, borders included, on both backends; so an untrained SubGenerator
 * (conv_last starts at zero) scores exactly bicubic's Y-PSNR on a real photograph.
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_SEARCH_SPACE, createRng, largestGenome, smallestGenome } from "@mfnas/core";
import { beforeAll, describe, expect, it } from "vitest";
import { tf, trainingBackends } from "../backend/test-support.ts";
import { decodeImage, createImage, type RgbImage } from "../data/image-io.ts";
import { bicubicDownscale, imresize } from "../data/imresize.ts";
import { psnrY } from "../metrics/psnr.ts";
import type { Tensor4D } from "../tf.ts";
import { upsampleBicubic } from "./layers.ts";
import { SubGenerator } from "./mfa-generator.ts";

beforeAll(async () => {
  await trainingBackends();
});

const FIXTURE = new URL("./__fixtures__/chelsea-96.png", import.meta.url);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? NaN))), 0);
}

function toTensor(image: RgbImage): Tensor4D {
  return tf.tensor4d(image.data, [1, image.height, image.width, 3]);
}

describe.each(["cpu", "wasm"])("bicubic upsampling on %s", (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  // Sides of 1 and 2 fold the mirror more than once; odd and uneven sides check the phase layout.
  it.each([
    [2, 1, 1],
    [4, 1, 3],
    [2, 2, 3],
    [4, 3, 5],
    [4, 7, 4],
    [2, 6, 9],
  ])("x%i of %ix%i equals MATLAB imresize (no rounding) to 1e-5 at every pixel", (scale, h, w) => {
    const rng = createRng(1000 * scale + 10 * h + w);
    const lr = createImage(
      h,
      w,
      Float32Array.from({ length: h * w * 3 }, () => rng.nextFloat()),
    );
    const expected = imresize(lr, { scale, rounding: "none" });
    const x = toTensor(lr);
    const y = upsampleBicubic(tf, x, scale);
    expect(y.shape).toEqual([1, h * scale, w * scale, 3]);
    expect(maxAbsDiff(Float32Array.from(y.dataSync()), expected.data)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });
});

describe("an untrained SubGenerator", () => {
  it.each([4, 2] as const)("at x%i is exactly bicubic on a real photograph (largest and smallest)", async (scale) => {
    await tf.setBackend("wasm");
    const hr = await decodeImage(new Uint8Array(await readFile(FIXTURE)), "chelsea-96.png");
    // LR made as the SR literature makes it: MATLAB bicubic downscale with uint8 rounding.
    const lr = bicubicDownscale(hr, scale, { rounding: "uint8" });
    const bicubic = imresize(lr, { scale, rounding: "none" });
    const bicubicPsnr = psnrY(bicubic, hr, { cropBorder: scale });
    for (const genome of [largestGenome(DEFAULT_SEARCH_SPACE, scale), smallestGenome(DEFAULT_SEARCH_SPACE, scale)]) {
      const sub = SubGenerator.create(tf, genome, { seed: 3 });
      const x = toTensor(lr);
      const y = sub.forward(tf, x);
      const sr = createImage(hr.height, hr.width, Float32Array.from(y.dataSync()));
      const diff = maxAbsDiff(sr.data, bicubic.data);
      expect(diff).toBeLessThan(1e-5);
      const srPsnr = psnrY(sr, hr, { cropBorder: scale });
      expect(Math.abs(srPsnr - bicubicPsnr)).toBeLessThan(1e-3);
      const label = `x${scale} ${genome.blocks.length}-block c${genome.trunkWidth}`;
      console.log(`${label}: max |sr - imresize| ${diff.toExponential(2)}, Y-PSNR ${srPsnr.toFixed(4)} dB`);
      tf.dispose([x, y]);
      sub.dispose();
    }
  });
});
