/** Public API of the evolutionary search: Pareto utilities, hypervolume, ask/tell optimizers, variations, problems. */
export type { Evaluated, Fitness, Ranked, Variation } from "./types.ts";
export {
  constrainedDominates,
  crowdingDistances,
  dominates,
  frontsOf,
  nonDominatedIndices,
  nonDominatedRanks,
  paretoFront,
} from "./pareto.ts";
export { hypervolume } from "./hypervolume.ts";
export {
  algorithmSpecSchema,
  parseAlgorithmSpec,
  type AlgorithmKind,
  type AlgorithmSpec,
  type AlgorithmSpecInput,
} from "./algorithm-spec.ts";
export { createOptimizer, restoreOptimizer, type Optimizer, type OptimizerState } from "./optimizer.ts";
export { rankPopulation } from "./selection.ts";
export { genomeVariation, type GenomeVariationOptions } from "./genome-variation.ts";
export { realVariation, type Bounds, type RealVariationOptions } from "./real-variation.ts";
export { tnk, zdt1, zdt2, type TestProblem } from "./problems.ts";
