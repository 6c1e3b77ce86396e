import {
  genomeHash,
  largestGenome,
  narrowSpace,
  sampleGenome,
  smallestGenome,
  type Genome,
  type Rng,
  type SearchSpace,
  type TrainingConfig,
} from "@mfnas/core";

/** The space the sampling rule trains at `step`: the whole space, or the current progressive-shrinking phase's. */
function spaceAtStep(space: SearchSpace, sampling: TrainingConfig["sampling"], step: number): SearchSpace {
  if (sampling.rule === "sandwich") return space;
  const phase = sampling.phases.find((p) => step < p.untilStep) ?? sampling.phases[sampling.phases.length - 1];
  return phase ? narrowSpace(space, phase.space) : space;
}

/**
 * The SubGenerators trained at one step by the sandwich rule: the largest and the smallest of the step's space at
 * the configured scale, then `random` uniform samples drawn from `rng` (duplicates dropped). Every draw comes from
 * `rng`, whose state is checkpointed, so a resumed run samples exactly what an uninterrupted one would have.
 */
export function genomesForStep(
  space: SearchSpace,
  sampling: TrainingConfig["sampling"],
  scale: 2 | 4,
  step: number,
  rng: Rng,
): Genome[] {
  const current = spaceAtStep(space, sampling, step);
  const scaled = narrowSpace(current, { scales: [scale] });
  const out = new Map<string, Genome>();
  for (const g of [largestGenome(scaled, scale), smallestGenome(scaled, scale)]) out.set(genomeHash(g), g);
  for (let i = 0; i < sampling.random; i++) {
    const g = sampleGenome(scaled, rng);
    out.set(genomeHash(g), g);
  }
  return [...out.values()];
}
