/**
 * An untrained SubGenerator (conv_last starts at zero) is MATLAB's bicubic, and so are its exports: the largest
 * and the smallest default x4 genomes, exported to ONNX and TFLite, run on ONNX Runtime and LiteRT.js on a real
 * photograph, equal `imresize` to 1e-5 at every pixel and score bicubic's Y-PSNR.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_SEARCH_SPACE, encodeGenome, largestGenome, smallestGenome, type Genome } from "@mfnas/core";
import { SubGenerator, bicubicDownscale, createImage, imresize, psnrY, readImage, type RgbImage } from "@mfnas/model";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { exportGenerator } from "./index.ts";
import { liteRtPackageDir, maxAbsDiff, nchwToNhwc, nhwcToNchw, runLiteRt, runOnnx } from "./test-support.ts";
import type { WeightTensor } from "./weights.ts";

const SCALE = 4;
// A real photograph (CC0; source and licence in the fixture folder's README), shared with the model package's tests.
const PHOTO = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../model/src/nets/__fixtures__/chelsea-96.png",
);
const LITERT = liteRtPackageDir(process.env.MFNAS_LITERT_CORE);

let hr: RgbImage;
let lr: RgbImage;
let bicubic: RgbImage;

beforeAll(async () => {
  await tf.setBackend("cpu");
  hr = await readImage(PHOTO);
  lr = bicubicDownscale(hr, SCALE, { rounding: "uint8" });
  bicubic = imresize(lr, { scale: SCALE, rounding: "none" });
});

function untrainedWeights(genome: Genome): Map<string, WeightTensor> {
  const sub = SubGenerator.create(tf, genome, { seed: 7 });
  const weights = new Map(
    sub.params.entries().map(([name, v]) => [name, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) }]),
  );
  sub.dispose();
  return weights;
}

describe.each([
  ["largest", largestGenome(DEFAULT_SEARCH_SPACE, SCALE)],
  ["smallest", smallestGenome(DEFAULT_SEARCH_SPACE, SCALE)],
])("the untrained %s x4 SubGenerator, exported", (_, genome) => {
  const input = () => ({ height: lr.height, width: lr.width });
  const expectBicubic = (output: Float32Array, runtime: string) => {
    const diff = maxAbsDiff(output, bicubic.data);
    expect(diff, `${runtime} ${encodeGenome(genome)}`).toBeLessThan(1e-5);
    const sr = createImage(hr.height, hr.width, output);
    const [got, reference] = [sr, bicubic].map((image) => psnrY(image, hr, { cropBorder: SCALE }));
    expect(Math.abs((got ?? 0) - (reference ?? 0))).toBeLessThan(1e-3);
    const label = `${runtime} ${genome.blocks.length}-block c${genome.trunkWidth}`;
    console.log(`${label}: max |sr - imresize| ${diff.toExponential(2)}, Y-PSNR ${got?.toFixed(4)} dB (bicubic's)`);
  };

  it("is bicubic on ONNX Runtime", async () => {
    const artifact = exportGenerator(genome, untrainedWeights(genome), { format: "onnx", input: input() });
    const out = await runOnnx(artifact.bytes, nhwcToNchw(lr.data, lr.height, lr.width, 3), [1, 3, lr.height, lr.width]);
    expectBicubic(nchwToNhwc(out, hr.height, hr.width, 3), "onnxruntime");
  });

  it.skipIf(LITERT === undefined)("is bicubic on LiteRT.js (TFLite)", async () => {
    const artifact = exportGenerator(genome, untrainedWeights(genome), { format: "tflite", input: input() });
    const [result] = await runLiteRt(LITERT as string, [
      { model: artifact.bytes, input: lr.data, shape: [1, lr.height, lr.width, 3] },
    ]);
    if (!result?.ok) throw new Error(`litert refused ${encodeGenome(genome)}: ${result?.error}`);
    expectBicubic(result.output, "litert");
  });
});
