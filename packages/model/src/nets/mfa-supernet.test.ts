import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import fc from "fast-check";
import { DEFAULT_SEARCH_SPACE, createRng, genomeCost, narrowSpace, sampleGenome, type Genome } from "@mfnas/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerTrainingGradients } from "../backend/training-gradients.ts";
import type { Tensor4D } from "../tf.ts";
import { MfaSupernet } from "./mfa-supernet.ts";

// Small widths keep the cpu backend quick; every branch kind, scale and upsampler stays in, so all paths run.
const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, {
  trunkWidths: [4, 8],
  branchWidths: [2, 4],
  depth: { min: 1, max: 3 },
});

let supernet: MfaSupernet;
beforeAll(async () => {
  await tf.setBackend("cpu");
  registerTrainingGradients(tf);
  // initScale 1, not the training default 0.1, so outputs are O(1) and a 1e-5 tolerance means something; a random
  // conv_last (not the default zeros) so that outputs and gradients depend on every layer, not only on the skip.
  supernet = new MfaSupernet(tf, SPACE, { seed: 7, initScale: 1, outputInitScale: 1 });
});
afterAll(() => supernet.dispose());

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
}

function lrBatch(shape: [number, number, number, number], seed: number): Tensor4D {
  return tf.randomUniform<tf.Rank.R4>(shape, 0, 1, "float32", seed);
}

function weightOf(sub: { params: { get(n: string): tf.Tensor } }, name: string): tf.Tensor {
  return sub.params.get(name);
}

describe("MfaSupernet", () => {
  it("has one weight set sized by the space's widest widths, deepest depth and every kind", () => {
    expect(supernet.widths).toEqual({ trunk: 8, branch: 4 });
    expect(supernet.params.get("body.2.down4.weight").shape).toEqual([3, 3, 8, 4]);
    expect(supernet.params.get("body.0.fuse.weight").shape).toEqual([1, 1, 4 * 4, 8]);
    expect(supernet.params.get("upsample_ps.1.weight").shape).toEqual([3, 3, 8, 32]);
    expect(supernet.params.has("upsample_nc.1.weight")).toBe(true);
    expect(supernet.params.has("body.3.conv3.weight")).toBe(false);
  });

  it("extracted SubGenerators equal the supernet run at their genome (random genomes)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (seed, batchOfTwo) => {
        const genome = sampleGenome(SPACE, createRng(seed));
        const lr = lrBatch(batchOfTwo ? [2, 12, 12, 3] : [1, 8, 8, 3], seed);
        const sub = supernet.extract(genome);
        try {
          const a = supernet.forward(tf, genome, lr);
          const b = sub.forward(tf, lr);
          const side = genome.scale * lr.shape[1];
          expect(a.shape).toEqual([lr.shape[0], side, side, 3]);
          expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
          expect(maxAbsDiff(a, tf.zerosLike(a))).toBeGreaterThan(0.05);
          expect(sub.paramCount()).toBe(genomeCost(genome, lr.shape[1], lr.shape[2]).params);
          tf.dispose([a, b, lr]);
        } finally {
          sub.dispose();
        }
      }),
      { numRuns: 20, seed: 20210 },
    );
  });

  it("gives a branch the same fusion rows whatever the block's other branches are", () => {
    const base: Genome = { scale: 2, trunkWidth: 8, blocks: [], upsampler: "nearest-conv" };
    const alone = supernet.extract({ ...base, blocks: [{ branchWidth: 2, branches: ["down2"] }] });
    const withOthers = supernet.extract({
      ...base,
      blocks: [{ branchWidth: 2, branches: ["conv3", "dil2", "down2"] }],
    });
    const rows = weightOf(withOthers, "body.0.fuse.weight");
    expect(rows.shape).toEqual([1, 1, 6, 8]);
    // down2 is the third branch of the concat, so its rows are 4..5 there; alone it is rows 0..1.
    expect(maxAbsDiff(weightOf(alone, "body.0.fuse.weight"), tf.slice(rows, [0, 0, 4, 0], [1, 1, 2, 8]))).toBe(0);
    // ... and they are rows 2*Wmax .. 2*Wmax+1 of the supernet's fusion conv (down2 is the space's third kind).
    const full = supernet.params.get("body.0.fuse.weight");
    expect(maxAbsDiff(weightOf(alone, "body.0.fuse.weight"), tf.slice(full, [0, 0, 8, 0], [1, 1, 2, 8]))).toBe(0);
    alone.dispose();
    withOthers.dispose();
  });

  it("slices the first C trunk channels and first 4C pixel-shuffle outputs", () => {
    const genome: Genome = {
      scale: 4,
      trunkWidth: 4,
      blocks: [{ branchWidth: 4, branches: ["dil2"] }],
      upsampler: "pixel-shuffle",
    };
    const sub = supernet.extract(genome);
    const first = supernet.params.get("conv_first.weight");
    expect(maxAbsDiff(weightOf(sub, "conv_first.weight"), tf.slice(first, [0, 0, 0, 0], [3, 3, 3, 4]))).toBe(0);
    const ps = supernet.params.get("upsample_ps.1.weight");
    expect(maxAbsDiff(weightOf(sub, "upsample_ps.1.weight"), tf.slice(ps, [0, 0, 0, 0], [3, 3, 4, 16]))).toBe(0);
    sub.dispose();
  });

  it("extracted weights outlive the supernet and are not changed by its training", () => {
    const own = new MfaSupernet(tf, SPACE, { seed: 3, outputInitScale: 1 });
    const genome = sampleGenome(SPACE, createRng(11));
    const lr = lrBatch([1, 8, 8, 3], 5);
    const sub = own.extract(genome);
    const before = sub.forward(tf, lr);
    for (const [, v] of own.params.entries()) v.assign(tf.onesLike(v));
    own.dispose();
    expect(maxAbsDiff(sub.forward(tf, lr), before)).toBe(0);
    sub.dispose();
  });

  it("is differentiable: gradients reach exactly the weights the genome uses", () => {
    const genome: Genome = {
      scale: 2,
      trunkWidth: 4,
      blocks: [{ branchWidth: 2, branches: ["dil2", "down4"] }],
      upsampler: "pixel-shuffle",
    };
    const lr = lrBatch([1, 8, 8, 3], 9);
    const entries = supernet.params.entries();
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(supernet.forward(tf, genome, lr))),
      entries.map(([, v]) => v),
    );
    const byName = new Map(entries.map(([name, v]) => [name, grads[v.name]]));
    expect(value.dataSync()[0]).toBeGreaterThan(0);
    // Unused layers (deeper blocks, other branches, the other upsampler, stage 1) get no gradient at all.
    for (const name of ["body.1.conv3.weight", "body.0.conv3.weight", "upsample_nc.0.weight", "upsample_ps.1.weight"]) {
      expect(byName.get(name)).toBeUndefined();
    }
    const fuse = byName.get("body.0.fuse.weight");
    if (fuse === undefined) throw new Error("no gradient for the fusion conv");
    const abs = (t: tf.Tensor) => tf.sum(tf.abs(t)).dataSync()[0] ?? 0;
    // Rows used: dil2 (kind 1) and down4 (kind 3), first 2 of 4 rows each, first 4 of 8 output columns.
    expect(abs(tf.slice(fuse, [0, 0, 4, 0], [1, 1, 2, 4]))).toBeGreaterThan(0);
    expect(abs(tf.slice(fuse, [0, 0, 12, 0], [1, 1, 2, 4]))).toBeGreaterThan(0);
    const unused = fuse.bufferSync();
    for (const row of [4, 5, 12, 13]) for (let col = 0; col < 4; col++) unused.set(0, 0, 0, row, col);
    expect(abs(unused.toTensor())).toBe(0);
    expect(abs(byName.get("body.0.dil2.weight") ?? tf.zeros([1]))).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
  });

  it("rejects genomes outside its space and LR batches the genome cannot take, naming what is wrong", () => {
    const lr = lrBatch([1, 8, 8, 3], 1);
    const genome: Genome = {
      scale: 4,
      trunkWidth: 16,
      blocks: [{ branchWidth: 2, branches: ["conv3"] }],
      upsampler: "nearest-conv",
    };
    expect(() => supernet.forward(tf, genome, lr)).toThrow(/^trunkWidth: 16 is outside the search space/);
    expect(() => supernet.extract({ ...genome, trunkWidth: 8, blocks: [] })).toThrow(/^blocks: depth 0/);
    const ok = { ...genome, trunkWidth: 8, blocks: [{ branchWidth: 2, branches: ["down4" as const] }] };
    expect(() => supernet.forward(tf, ok, lrBatch([1, 10, 8, 3], 1))).toThrow(
      /^lr: blocks\[0\]\.branches: branch down4/,
    );
    expect(() => supernet.forward(tf, ok, lrBatch([1, 8, 8, 4], 1))).toThrow(
      expect.objectContaining({
        code: "invalid_input",
        message: expect.stringMatching(/^lr: expected .*3 channels/) as unknown,
      }),
    );
  });
});
