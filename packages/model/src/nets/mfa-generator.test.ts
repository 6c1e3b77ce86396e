import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import {
  DEFAULT_SEARCH_SPACE,
  convLayerSpecs,
  createRng,
  genomeCost,
  largestGenome,
  narrowSpace,
  sampleGenome,
  smallestGenome,
  type Genome,
} from "@mfnas/core";
import { beforeAll, describe, expect, it } from "vitest";
import { upsampleBicubic } from "./layers.ts";
import { SubGenerator } from "./mfa-generator.ts";
import { MfaSupernet } from "./mfa-supernet.ts";
import { ParamStore } from "./params.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const TINY: Genome = {
  scale: 2,
  trunkWidth: 4,
  blocks: [{ branchWidth: 2, branches: ["conv3", "down2"] }],
  upsampler: "nearest-conv",
};

describe("the output skip", () => {
  it("adds bicubic upsampling of the input: a zero conv_last outputs exactly that", () => {
    const sub = SubGenerator.create(tf, { ...TINY, scale: 4 }, { seed: 5, outputInitScale: 1 });
    const lr = tf.randomUniform<tf.Rank.R4>([1, 4, 6, 3], 0, 1, "float32", 9);
    const skip = upsampleBicubic(tf, lr, 4);
    expect(tf.max(tf.abs(tf.sub(sub.forward(tf, lr), skip))).dataSync()[0]).toBeGreaterThan(1e-3);
    sub.params.get("conv_last.weight").assign(tf.zerosLike(sub.params.get("conv_last.weight")));
    expect(tf.max(tf.abs(tf.sub(sub.forward(tf, lr), skip))).dataSync()[0]).toBe(0);
    sub.dispose();
  });

  it("has no trainable parameters: the bicubic weights are constants, outside the ParamStore", () => {
    const sub = SubGenerator.create(tf, TINY);
    expect(sub.params.entries().map(([name]) => name)).toEqual(
      convLayerSpecs(TINY).flatMap((s) => [`${s.name}.weight`, `${s.name}.bias`]),
    );
    const cost = genomeCost(TINY, 4, 4);
    expect(sub.paramCount()).toBe(cost.params);
    expect(cost.constants).toBeGreaterThan(0);
    sub.dispose();
  });
});

describe("MFA generator layers against the cost model", () => {
  it("has the cost model's convs, in its order, with its per-layer parameter counts (500 random genomes)", () => {
    const rng = createRng(42);
    for (let n = 0; n < 500; n++) {
      const genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
      const all = genomeCost(genome, 16, 16).layers.filter((l) => l.op === "conv");
      // The one fixed conv is the bicubic skip's; its weights are constants, not ParamStore variables.
      expect(all.filter((l) => l.constants > 0).map((l) => [l.name, l.params])).toEqual([["skip.bicubic", 0]]);
      const convs = all.filter((l) => l.constants === 0);
      const specs = convLayerSpecs(genome);
      expect(specs.map((s) => [s.kernel, s.kernel * s.kernel * s.cin * s.cout + s.cout])).toEqual(
        convs.map((l) => [l.kernel, l.params]),
      );
    }
  });

  it("builds the reference genomes with exactly the README's parameter counts", () => {
    const largest = SubGenerator.create(tf, largestGenome(DEFAULT_SEARCH_SPACE, 4));
    expect(largest.paramCount()).toBe(1_029_699);
    largest.dispose();
    const smallest = SubGenerator.create(tf, smallestGenome(DEFAULT_SEARCH_SPACE, 4));
    expect(smallest.paramCount()).toBe(11_467);
    const sr = smallest.forward(tf, tf.zeros<tf.Rank.R4>([1, 8, 4, 3]));
    expect(sr.shape).toEqual([1, 32, 16, 3]);
    smallest.dispose();
  });

  it("extracts SubGenerators whose parameter count equals genomeCost's (200 random genomes)", () => {
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, {
      trunkWidths: [8, 16, 24],
      branchWidths: [2, 4, 8],
      depth: { min: 1, max: 5 },
    });
    const supernet = new MfaSupernet(tf, space, { seed: 1 });
    const rng = createRng(9);
    for (let n = 0; n < 200; n++) {
      const genome = sampleGenome(space, rng);
      const sub = supernet.extract(genome);
      expect(sub.paramCount()).toBe(genomeCost(genome, 8, 8).params);
      sub.dispose();
    }
    supernet.dispose();
  });
});

describe("SubGenerator", () => {
  it("is reproducible from its seed", () => {
    const lr = tf.randomUniform<tf.Rank.R4>([1, 4, 4, 3], 0, 1, "float32", 3);
    const run = (seed: number) => {
      const g = SubGenerator.create(tf, TINY, { seed, outputInitScale: 1 });
      const out = Array.from(g.forward(tf, lr).dataSync());
      g.dispose();
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it("only wraps a parameter store that holds exactly the genome's layers", () => {
    const params = () => {
      const p = new ParamStore(tf);
      for (const s of convLayerSpecs(TINY)) p.conv(s.name, s.kernel, s.cin, s.cout, { kind: "zeros" });
      return p;
    };
    const extra = params();
    extra.create("conv_extra.weight", [1], { kind: "zeros" });
    expect(() => new SubGenerator(TINY, extra)).toThrow(/^conv_extra\.weight: not a parameter of this genome/);
    const wrongShape = new ParamStore(tf);
    wrongShape.conv("conv_first", 3, 3, 8, { kind: "zeros" });
    expect(() => new SubGenerator(TINY, wrongShape)).toThrow(
      "conv_first.weight: expected shape [3, 3, 3, 4], got [3, 3, 3, 8]",
    );
    const missing = new ParamStore(tf);
    missing.conv("conv_first", 3, 3, 4, { kind: "zeros" });
    expect(() => new SubGenerator(TINY, missing)).toThrow(/^body\.0\.conv3\.weight: missing parameter/);
    const exact = new SubGenerator(TINY, params());
    expect(exact.paramCount()).toBe(genomeCost(TINY, 4, 4).params);
    for (const store of [extra, wrongShape, missing, exact.params]) store.dispose();
  });
});

describe("generator init", () => {
  it("scales only the convs inside MFA blocks, keeping plain kaiming on the main path and conv_last at zero", async () => {
    await tf.setBackend("cpu");
    const genome = largestGenome(narrowSpace(DEFAULT_SEARCH_SPACE, { trunkWidths: [32], branchWidths: [16] }), 4);
    const untrained = SubGenerator.create(tf, genome, { seed: 1 });
    expect(Array.from(untrained.params.get("conv_last.weight").dataSync()).every((v) => v === 0)).toBe(true);
    untrained.dispose();
    const sub = SubGenerator.create(tf, genome, { seed: 1, outputInitScale: 1 });
    const std = (name: string) => {
      const values = Float32Array.from(sub.params.get(name).dataSync());
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    };
    const kaiming = (fanIn: number) => Math.SQRT2 / Math.sqrt(fanIn);
    expect(std("conv_last.weight") / kaiming(9 * 32)).toBeCloseTo(1, 1);
    expect(std("conv_first.weight") / kaiming(9 * 3)).toBeCloseTo(1, 0);
    expect(std("body.0.conv3.weight") / kaiming(9 * 32)).toBeCloseTo(0.1, 2);
    expect(std("body.0.fuse.weight") / kaiming(genome.blocks[0]!.branches.length * 16)).toBeCloseTo(0.1, 2);
    sub.dispose();
  });
});
