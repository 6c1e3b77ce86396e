/** The search space's genome operators as a `Variation`, keyed by `genomeHash` like the searcher's caches. */
import type { Genome } from "../space/genome.ts";
import { genomeHash } from "../space/genome.ts";
import { crossoverGenomes, mutateGenome, sampleGenome } from "../space/genome-ops.ts";
import type { SearchSpace } from "../space/search-space.ts";
import type { Variation } from "./types.ts";

export interface GenomeVariationOptions {
  /** Cheap pre-check before evaluation, e.g. a MACs or parameter limit from the cost model; default: all pass. */
  admissible?: (genome: Genome) => boolean;
}

/**
 * Genome variation over `space`: uniform sampling, per-gene resampling mutation (default chance 1 / genes) and
 * uniform crossover, from `sampleGenome`, `mutateGenome` and `crossoverGenomes`.
 */
export function genomeVariation(space: SearchSpace, options: GenomeVariationOptions = {}): Variation<Genome> {
  const variation: Variation<Genome> = {
    sample: (rng) => sampleGenome(space, rng),
    mutate: (parent, rng, probability) =>
      mutateGenome(parent, space, rng, probability === undefined ? {} : { probability }),
    crossover: (a, b, rng) => crossoverGenomes(a, b, space, rng),
    key: genomeHash,
  };
  if (options.admissible) variation.admissible = options.admissible;
  return variation;
}
