import { describe, expect, it } from "vitest";
import { MfnasError } from "../errors.ts";
import { createRng } from "../random.ts";
import { BYTES_PER_ELEMENT, type CostReport } from "./cost-graph.ts";
import { COST_MODEL_VERSION, genomeCost } from "./cost-model.ts";
import { esrganCost } from "./esrgan-cost.ts";
import { largestGenome, smallestGenome, type Genome } from "./genome.ts";
import { sampleGenome } from "./genome-ops.ts";
import { DEFAULT_SEARCH_SPACE } from "./search-space.ts";

/** x2, C=8, one block with conv3 + down2 branches of width 4, nearest-conv; costed at 4x4. */
const tiny: Genome = {
  scale: 2,
  trunkWidth: 8,
  blocks: [{ branchWidth: 4, branches: ["conv3", "down2"] }],
  upsampler: "nearest-conv",
};

function sumOf(report: CostReport, key: "params" | "constants" | "macs"): number {
  return report.layers.reduce((s, l) => s + l[key], 0);
}

describe("genomeCost", () => {
  it("matches hand-computed params, MACs, traffic and peak for a tiny genome", () => {
    const cost = genomeCost(tiny, 4, 4);
    // params: head 9*3*8+8=224, conv3 9*8*4+4=292, down2 conv 292, fuse 1x1 8*8+8=72, trunk 9*8*8+8=584,
    //         upsample conv 584, conv_hr 584, conv_last 9*8*3+3=219
    expect(cost.params).toBe(224 + 292 + 292 + 72 + 584 + 584 + 584 + 219);
    // MACs (LR 16 px, half-res 4 px, HR 64 px): head 216*16, conv3 288*16, down2 288*4, fuse 64*16, trunk 576*16,
    //       upsample conv 576*64, conv_hr 576*64, conv_last 216*64
    //       + the skip's fixed 5x5 conv 3->12 on the padded input: 900*16
    expect(cost.macs).toBe(3456 + 4608 + 1152 + 1024 + 9216 + 36864 + 36864 + 13824 + 14400);
    // constants: the skip's kernel 5*5*3*12 and its zero bias 12.
    expect(cost.constants).toBe(900 + 12);
    // Peak: while upsample[0].conv (or conv_hr) runs, its 8x8x8 input and output are live: 1024 floats, plus the
    // 3x4x4 LR input, which the output skip reads last.
    expect(cost.peakActivationBytes).toBe((1024 + 48) * BYTES_PER_ELEMENT);
    // Traffic in floats per op (input + weights + output), in execution order; the skip: pad 48 -> 3x8x8 = 192
    // floats, conv 192 + 912 constants -> 12x4x4 = 192, depth-to-space 192 -> 192, then an add of two 192-float
    // tensors into a third.
    const perOp = [400, 484, 160, 340, 80, 256, 328, 384, 840, 384, 640, 1608, 1608, 923, 240, 1296, 384, 576];
    expect(cost.layers.map((l) => (l.inputBytes + l.weightBytes + l.outputBytes) / BYTES_PER_ELEMENT)).toEqual(perOp);
    expect(cost.memoryTrafficBytes).toBe(perOp.reduce((a, b) => a + b, 0) * BYTES_PER_ELEMENT);
    expect(cost.layers.map((l) => l.name)).toEqual([
      "head",
      "blocks[0].conv3.conv",
      "blocks[0].down2.pool",
      "blocks[0].down2.conv",
      "blocks[0].down2.upsample",
      "blocks[0].concat",
      "blocks[0].fuse",
      "blocks[0].residual",
      "trunk",
      "global-residual",
      "upsample[0].nearest",
      "upsample[0].conv",
      "tail.conv_hr",
      "tail.conv_last",
      "skip.pad",
      "skip.bicubic",
      "skip.shuffle",
      "skip.add",
    ]);
    expect(cost.layers.at(-4)).toMatchObject({ op: "pad-symmetric", kernel: 2, outputShape: [3, 8, 8], macs: 0 });
    expect(cost.layers.at(-3)).toMatchObject({
      op: "conv",
      kernel: 5,
      padding: "valid",
      inputShapes: [[3, 8, 8]],
      outputShape: [12, 4, 4],
      params: 0,
      constants: 912,
      macs: 900 * 16,
    });
    expect(cost.layers.at(-2)).toMatchObject({ op: "depth-to-space", kernel: 2, outputShape: [3, 8, 8] });
    expect(cost.layers.at(-1)?.outputShape).toEqual([3, 8, 8]);
  });

  it("costs pixel-shuffle at LR with 4C outputs and the same MACs as nearest-conv", () => {
    const nc = genomeCost({ ...tiny, scale: 4 }, 8, 8);
    const ps = genomeCost({ ...tiny, scale: 4, upsampler: "pixel-shuffle" }, 8, 8);
    expect(ps.macs).toBe(nc.macs);
    // Each of the two stages: conv C->4C (9*8*32+32) instead of C->C (9*8*8+8).
    expect(ps.params - nc.params).toBe(2 * (9 * 8 * 32 + 32 - (9 * 8 * 8 + 8)));
    const shuffle = ps.layers.find((l) => l.name === "upsample[1].shuffle");
    expect(shuffle?.inputShapes).toEqual([[32, 16, 16]]);
    expect(shuffle?.outputShape).toEqual([8, 32, 32]);
  });

  it("keeps only the LR input live for the output skip, which runs last", () => {
    // x4 at 8x8: the skip's 3x32x32 tensors exist only at the end; at the peak (conv_hr: 8x32x32 in and out) the
    // extra resident tensor is the 3x8x8 input.
    const cost = genomeCost({ ...tiny, scale: 4 }, 8, 8);
    expect(cost.peakActivationBytes).toBe((2 * 8 * 32 * 32 + 3 * 8 * 8) * BYTES_PER_ELEMENT);
    const skip = cost.layers.find((l) => l.name === "skip.add");
    expect(skip).toMatchObject({ op: "residual-add", outputShape: [3, 32, 32], params: 0, macs: 0 });
  });

  it("costs the bicubic skip as 3*s*s phases of a fixed 5x5 conv: constants, not params", () => {
    for (const scale of [2, 4] as const) {
      const g: Genome = { ...tiny, scale };
      const cost = genomeCost(g, 8, 8);
      const phases = 3 * scale * scale;
      expect(cost.constants).toBe(25 * 3 * phases + phases);
      const skip = cost.layers.filter((l) => l.name.startsWith("skip."));
      expect(skip.map((l) => l.op)).toEqual(["pad-symmetric", "conv", "depth-to-space", "residual-add"]);
      expect(skip.reduce((sum, l) => sum + l.macs, 0)).toBe(25 * 3 * phases * 64);
      expect(skip.reduce((sum, l) => sum + l.params, 0)).toBe(0);
      expect(skip[2]?.outputShape).toEqual([3, 8 * scale, 8 * scale]);
    }
  });

  it("has the README's reference figures for the largest and smallest default x4 genomes at 64x64", () => {
    const large = genomeCost(largestGenome(DEFAULT_SEARCH_SPACE, 4), 64, 64);
    const small = genomeCost(smallestGenome(DEFAULT_SEARCH_SPACE, 4), 64, 64);
    expect([large.params, large.constants, large.macs]).toEqual([1_029_699, 3_648, 7_387_021_312]);
    expect([small.params, small.constants, small.macs]).toEqual([11_467, 3_648, 394_821_632]);
    expect([large.peakActivationBytes, small.peakActivationBytes]).toEqual([33_603_584, 8_437_760]);
    for (const report of [large, small]) {
      const skip = report.layers.filter((l) => l.name.startsWith("skip."));
      expect(skip.reduce((sum, l) => sum + l.macs, 0)).toBe(3_600 * 64 * 64);
      expect(skip.reduce((sum, l) => sum + l.inputBytes + l.weightBytes + l.outputBytes, 0)).toBe(4_893_312);
    }
  });

  it("uses dilation 2 at full resolution and quarter resolution for down4", () => {
    const g: Genome = { ...tiny, blocks: [{ branchWidth: 4, branches: ["dil2", "down4"] }] };
    const cost = genomeCost(g, 8, 8);
    const dil = cost.layers.find((l) => l.name === "blocks[0].dil2.conv");
    expect(dil).toMatchObject({ dilation: 2, macs: 9 * 8 * 4 * 64, outputShape: [4, 8, 8] });
    const down = cost.layers.find((l) => l.name === "blocks[0].down4.conv");
    expect(down).toMatchObject({ macs: 9 * 8 * 4 * 4, outputShape: [4, 2, 2] });
  });

  it("sums its layers and costs the largest default genome above the smallest", () => {
    for (const scale of [2, 4] as const) {
      const large = genomeCost(largestGenome(DEFAULT_SEARCH_SPACE, scale), 64, 64);
      const small = genomeCost(smallestGenome(DEFAULT_SEARCH_SPACE, scale), 64, 64);
      for (const report of [large, small]) {
        expect(report.params).toBe(sumOf(report, "params"));
        expect(report.constants).toBe(sumOf(report, "constants"));
        expect(report.macs).toBe(sumOf(report, "macs"));
      }
      expect(large.params).toBeGreaterThan(small.params);
      expect(large.macs).toBeGreaterThan(small.macs);
      expect(large.memoryTrafficBytes).toBeGreaterThan(small.memoryTrafficBytes);
      expect(large.peakActivationBytes).toBeGreaterThan(small.peakActivationBytes);
    }
  });

  it("has closed-form params for every sampled genome", () => {
    const rng = createRng(31);
    for (let i = 0; i < 100; i++) {
      const g = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
      const c = g.trunkWidth;
      const conv3 = (cin: number, cout: number): number => 9 * cin * cout + cout;
      const blocks = g.blocks.reduce(
        (s, b) => s + b.branches.length * conv3(c, b.branchWidth) + (b.branches.length * b.branchWidth * c + c),
        0,
      );
      const stages = Math.log2(g.scale);
      const up = stages * (g.upsampler === "nearest-conv" ? conv3(c, c) : conv3(c, 4 * c));
      expect(genomeCost(g, 16, 16).params).toBe(conv3(3, c) + blocks + conv3(c, c) + up + conv3(c, c) + conv3(c, 3));
    }
  });

  it("rejects input sizes that a pooled branch cannot divide", () => {
    const g: Genome = {
      ...tiny,
      blocks: [{ branchWidth: 4, branches: ["conv3"] }, ...[{ branchWidth: 4, branches: ["down4" as const] }]],
    };
    expect(() => genomeCost(g, 4, 6)).toThrow(
      /^blocks\[1\]\.branches: branch down4 needs an input whose height and width are divisible by 4, got 4x6/,
    );
    expect(() => genomeCost(tiny, 6, 6)).not.toThrow();
    expect(() => genomeCost(tiny, 5, 6)).toThrow(/divisible by 2/);
    expect(() => genomeCost(tiny, 0, 4)).toThrow(MfnasError);
    expect(() => genomeCost({ ...tiny, trunkWidth: -1 }, 4, 4)).toThrow(/^trunkWidth/);
  });

  it("has a version string", () => {
    expect(COST_MODEL_VERSION).toMatch(/^mfa-cost-\d+$/);
  });
});

describe("esrganCost", () => {
  it("has the 16,697,987 parameters of RRDB_ESRGAN_x4", () => {
    expect(esrganCost(64, 64).params).toBe(16_697_987);
  });

  it("computes MACs with k*k*Cin*Cout*Hout*Wout per conv", () => {
    const report = esrganCost(64, 64);
    const convs = report.layers.filter((l) => l.op === "conv");
    // 1 conv_first + 23 RRDB * 3 RDB * 5 convs + conv_body + 2 conv_up + conv_hr + conv_last
    expect(convs).toHaveLength(1 + 23 * 3 * 5 + 5);
    for (const l of convs) {
      const [cin] = l.inputShapes[0]!;
      const [cout, h, w] = l.outputShape;
      expect(l.macs).toBe(9 * cin * cout * h * w);
      expect(l.params).toBe(9 * cin * cout + cout);
    }
    // Closed form: weights (no bias) of the LR part at 64*64, conv_up1 at 128^2, conv_up2/conv_hr/conv_last at 256^2.
    const rdb = 9 * 32 * (64 + 96 + 128 + 160) + 9 * 192 * 64;
    const lrWeights = 9 * 3 * 64 + 23 * 3 * rdb + 9 * 64 * 64;
    const expected = lrWeights * 64 * 64 + 9 * 64 * 64 * 128 * 128 + (2 * 9 * 64 * 64 + 9 * 64 * 3) * 256 * 256;
    expect(report.macs).toBe(expected);
    expect(report.macs).toBe(73_428_369_408);
  });

  it("peaks at the HR convs and dwarfs the largest MFA genome", () => {
    const esrgan = esrganCost(64, 64);
    // conv_hr reads and writes 64x256x256 floats.
    expect(esrgan.peakActivationBytes).toBe(2 * 64 * 256 * 256 * BYTES_PER_ELEMENT);
    const largest = genomeCost(largestGenome(DEFAULT_SEARCH_SPACE, 4), 64, 64);
    expect(esrgan.params).toBeGreaterThan(10 * largest.params);
    expect(esrgan.macs).toBeGreaterThan(largest.macs);
  });

  it("models the scale-2 pixel-unshuffle input and validates options", () => {
    const x2 = esrganCost(64, 64, { scale: 2 });
    expect(x2.params - esrganCost(64, 64).params).toBe(9 * (12 - 3) * 64);
    expect(x2.layers[0]).toMatchObject({ op: "space-to-depth", outputShape: [12, 32, 32] });
    expect(x2.layers.at(-1)?.outputShape).toEqual([3, 128, 128]);
    expect(() => esrganCost(63, 64, { scale: 2 })).toThrow(/even/);
    expect(() => esrganCost(64, 64, { scale: 3 as never })).toThrow(/^esrgan scale/);
    expect(() => esrganCost(64, 64, { blocks: 0 })).toThrow(/^esrgan blocks/);
  });
});
