import { describe, expect, it } from "vitest";
import { MfnasError } from "../errors.ts";
import { createRng, type Rng } from "../random.ts";
import { validateGenome, type Genome } from "./genome.ts";
import { encodeGenome } from "./genome-codec.ts";
import { crossoverGenomes, geneCount, mutateGenome, sampleGenome } from "./genome-ops.ts";
import { DEFAULT_SEARCH_SPACE, branchSubsets, narrowSpace, type SearchSpace } from "./search-space.ts";

const space = DEFAULT_SEARCH_SPACE;

function expectValid(g: Genome, s: SearchSpace): void {
  // validateGenome returns the canonical form, so equality also proves the operator returned canonical genomes.
  expect(validateGenome(g, s)).toEqual(g);
}

describe("sampleGenome", () => {
  it("is deterministic per seed", () => {
    const a = Array.from(
      { length: 20 },
      (
        (rng) => () =>
          encodeGenome(sampleGenome(space, rng))
      )(createRng(5)),
    );
    const b = Array.from(
      { length: 20 },
      (
        (rng) => () =>
          encodeGenome(sampleGenome(space, rng))
      )(createRng(5)),
    );
    expect(a).toEqual(b);
  });

  it("covers every value of every gene", () => {
    const rng = createRng(99);
    const scales = new Set<number>();
    const trunks = new Set<number>();
    const depths = new Set<number>();
    const widths = new Set<number>();
    const branchSets = new Set<string>();
    const upsamplers = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const g = sampleGenome(space, rng);
      expectValid(g, space);
      scales.add(g.scale);
      trunks.add(g.trunkWidth);
      depths.add(g.blocks.length);
      upsamplers.add(g.upsampler);
      for (const b of g.blocks) {
        widths.add(b.branchWidth);
        branchSets.add(b.branches.join("+"));
      }
    }
    expect([...scales].sort()).toEqual([...space.scales]);
    expect([...trunks].sort((x, y) => x - y)).toEqual([...space.trunkWidths]);
    expect([...depths].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...widths].sort((x, y) => x - y)).toEqual([...space.branchWidths]);
    expect(branchSets.size).toBe(15);
    expect([...upsamplers].sort()).toEqual([...space.upsamplers]);
  });

  it("draws branch sets uniformly over the allowed sets", () => {
    const rng = createRng(3);
    const capped = narrowSpace(space, { maxBranchesPerBlock: 2, depth: { min: 8, max: 8 } });
    const counts = new Map<string, number>();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      for (const b of sampleGenome(capped, rng).blocks) {
        const key = b.branches.join("+");
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    expect(counts.size).toBe(branchSubsets(capped).length);
    const expected = (n * 8) / counts.size; // 2400 per set, sd ~46
    for (const c of counts.values()) expect(Math.abs(c - expected)).toBeLessThan(250);
  });
});

describe("mutateGenome", () => {
  it("always returns a valid canonical genome", () => {
    const rng = createRng(17);
    const narrow = narrowSpace(space, { depth: { min: 2, max: 5 }, branchKinds: ["dil2", "down4"] });
    for (const s of [space, narrow]) {
      let g = sampleGenome(s, rng);
      for (let i = 0; i < 500; i++) {
        g = mutateGenome(g, s, rng, { probability: (i % 10) / 10 });
        expectValid(g, s);
      }
    }
  });

  it("changes nothing with probability 0", () => {
    const rng = createRng(8);
    const parent = sampleGenome(space, rng);
    expect(mutateGenome(parent, space, rng, { probability: 0 })).toEqual(parent);
  });

  it("on a depth change keeps the earlier blocks and truncates or appends at the end", () => {
    const parent = sampleGenome(narrowSpace(space, { depth: { min: 4, max: 4 } }), createRng(4));
    // Coin flips in documented order: scale, trunkWidth, depth; only depth mutates, to `depth`.
    const onlyDepthTo = (depth: number): Rng =>
      ({
        bernoulli: (
          (flips) => () =>
            flips.shift() ?? false
        )([false, false, true]),
        int: () => depth,
        pick: <T>(xs: readonly T[]): T => xs[xs.length - 1] as T,
      }) as unknown as Rng;

    const deeper = mutateGenome(parent, space, onlyDepthTo(7));
    expect(deeper.blocks.slice(0, 4)).toEqual(parent.blocks);
    expect(deeper.blocks.slice(4)).toEqual(
      Array(3).fill({ branchWidth: 32, branches: ["conv3", "dil2", "down2", "down4"] }),
    );
    expect({ ...deeper, blocks: [] }).toEqual({ ...parent, blocks: [] });

    const shallower = mutateGenome(parent, space, onlyDepthTo(2));
    expect(shallower).toEqual({ ...parent, blocks: parent.blocks.slice(0, 2) });
  });

  it("defaults to one expected mutation and rejects bad probabilities and genomes", () => {
    const g = sampleGenome(space, createRng(1));
    expect(geneCount(g)).toBe(4 + 2 * g.blocks.length);
    expect(() => mutateGenome(g, space, createRng(1), { probability: 2 })).toThrow(/^mutation probability/);
    expect(() => mutateGenome({ ...g, trunkWidth: 7 }, space, createRng(1))).toThrow(MfnasError);
  });

  it("is deterministic per seed", () => {
    const g = sampleGenome(space, createRng(1));
    const run = (seed: number): string[] => {
      const rng = createRng(seed);
      return Array.from({ length: 10 }, () => encodeGenome(mutateGenome(g, space, rng, { probability: 0.3 })));
    };
    expect(run(6)).toEqual(run(6));
  });
});

describe("crossoverGenomes", () => {
  it("always returns a valid genome whose genes come from the parents", () => {
    const rng = createRng(23);
    for (let i = 0; i < 500; i++) {
      const a = sampleGenome(space, rng);
      const b = sampleGenome(space, rng);
      const c = crossoverGenomes(a, b, space, rng);
      expectValid(c, space);
      expect([a.scale, b.scale]).toContain(c.scale);
      expect([a.trunkWidth, b.trunkWidth]).toContain(c.trunkWidth);
      expect([a.blocks.length, b.blocks.length]).toContain(c.blocks.length);
      expect([a.upsampler, b.upsampler]).toContain(c.upsampler);
      c.blocks.forEach((block, k) => {
        const options = [a.blocks[k], b.blocks[k]].filter((x) => x !== undefined);
        expect(options.map((o) => o.branchWidth)).toContain(block.branchWidth);
        expect(options.map((o) => o.branches)).toContainEqual(block.branches);
      });
    }
  });

  it("of a genome with itself is the genome", () => {
    const rng = createRng(2);
    const g = sampleGenome(space, rng);
    expect(crossoverGenomes(g, g, space, rng)).toEqual(g);
  });
});
