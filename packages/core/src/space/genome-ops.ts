/**
 * Random genome operators for the search: uniform sampling, per-gene mutation and uniform crossover.
 * All take the seeded `Rng` so that a search replays exactly from its seed or a checkpointed RNG state, and all
 * return canonical genomes that are valid in the given space (inputs are validated against it first).
 *
 * Genes: scale, trunkWidth, depth (the number of blocks), upsampler, and per block branchWidth and branches.
 * Draw order is fixed and documented per function, since changing it changes every seeded search.
 */
import type { Rng } from "../random.ts";
import { invalidAt } from "./invalid.ts";
import { canonicalGenome, validateGenome, type BlockGene, type Genome } from "./genome.ts";
import { branchSubsets, type BranchKind, type SearchSpace } from "./search-space.ts";

export interface MutationOptions {
  /** Chance that each gene is resampled; default 1 / geneCount(genome), i.e. one gene on average. */
  probability?: number;
}

/** Number of genes of a genome: scale, trunkWidth, depth, upsampler, and two per block. */
export function geneCount(g: Genome): number {
  return 4 + 2 * g.blocks.length;
}

function sampleBlock(space: SearchSpace, subsets: readonly BranchKind[][], rng: Rng): BlockGene {
  const branchWidth = rng.pick(space.branchWidths);
  return { branchWidth, branches: [...rng.pick(subsets)] };
}

/**
 * A genome drawn uniformly per gene: scale, trunk width, depth (uniform in min..max), then per block its width and
 * its branch set (uniform over all allowed non-empty sets, not per branch, so that every set is equally likely),
 * then the upsampler.
 */
export function sampleGenome(space: SearchSpace, rng: Rng): Genome {
  const subsets = branchSubsets(space);
  const scale = rng.pick(space.scales);
  const trunkWidth = rng.pick(space.trunkWidths);
  const depth = rng.int(space.depth.min, space.depth.max);
  const blocks = Array.from({ length: depth }, () => sampleBlock(space, subsets, rng));
  const upsampler = rng.pick(space.upsamplers);
  return canonicalGenome({ scale, trunkWidth, blocks, upsampler });
}

/**
 * A child of `parent` where each gene is independently resampled from the space with the given probability
 * (a resampled gene may draw its old value). A depth change truncates or appends blocks at the end, so earlier
 * blocks, and the supernet weights they map to, are kept. Every gene consumes one coin flip whether or not it
 * mutates, in the order scale, trunkWidth, depth, each kept block (width, branches), upsampler.
 */
export function mutateGenome(parent: Genome, space: SearchSpace, rng: Rng, options: MutationOptions = {}): Genome {
  const g = validateGenome(parent, space);
  const p = options.probability ?? 1 / geneCount(g);
  if (!(p >= 0 && p <= 1)) {
    throw invalidAt("probability", `must be in [0, 1], got ${String(p)}`, { value: p }, "mutation");
  }
  const subsets = branchSubsets(space);
  const scale = rng.bernoulli(p) ? rng.pick(space.scales) : g.scale;
  const trunkWidth = rng.bernoulli(p) ? rng.pick(space.trunkWidths) : g.trunkWidth;
  const depth = rng.bernoulli(p) ? rng.int(space.depth.min, space.depth.max) : g.blocks.length;
  const blocks: BlockGene[] = g.blocks.slice(0, depth).map((b) => ({
    branchWidth: rng.bernoulli(p) ? rng.pick(space.branchWidths) : b.branchWidth,
    branches: rng.bernoulli(p) ? [...rng.pick(subsets)] : b.branches,
  }));
  while (blocks.length < depth) blocks.push(sampleBlock(space, subsets, rng));
  const upsampler = rng.bernoulli(p) ? rng.pick(space.upsamplers) : g.upsampler;
  return canonicalGenome({ scale, trunkWidth, blocks, upsampler });
}

/**
 * Uniform crossover: each gene comes from `a` or `b` with a fair coin. The depth is one parent's; block i then takes
 * its width and its branch set (independently) from either parent when both have a block i, else from the one that
 * does. Coin order: scale, trunkWidth, depth, per block (width, branches), upsampler.
 */
export function crossoverGenomes(a: Genome, b: Genome, space: SearchSpace, rng: Rng): Genome {
  const x = validateGenome(a, space);
  const y = validateGenome(b, space);
  const either = <T>(fromA: T, fromB: T): T => (rng.bernoulli(0.5) ? fromA : fromB);
  const scale = either(x.scale, y.scale);
  const trunkWidth = either(x.trunkWidth, y.trunkWidth);
  const depth = either(x.blocks.length, y.blocks.length);
  const blocks: BlockGene[] = [];
  for (let i = 0; i < depth; i++) {
    const ba = x.blocks[i];
    const bb = y.blocks[i];
    const block =
      ba && bb
        ? { branchWidth: either(ba.branchWidth, bb.branchWidth), branches: either(ba.branches, bb.branches) }
        : (ba ?? bb);
    if (!block) throw new Error("unreachable: depth is one parent's block count"); // satisfies the index type
    blocks.push({ branchWidth: block.branchWidth, branches: [...block.branches] });
  }
  const upsampler = either(x.upsampler, y.upsampler);
  return canonicalGenome({ scale, trunkWidth, blocks, upsampler });
}
