/**
 * How each algorithm makes its next batch and chooses who survives. A strategy is stateless: everything it needs is
 * the population, the spec and the RNG, which is why an optimizer's state is just those.
 */
import type { Rng } from "../random.ts";
import type { AlgorithmSpec } from "./algorithm-spec.ts";
import { bestFirst, binaryTournament, rankPopulation, selectSurvivors } from "./selection.ts";
import type { Evaluated, Variation } from "./types.ts";

/** Draws per slot before giving up on a new, admissible individual for it. */
const MAX_DRAWS = 64;

export interface Strategy<T> {
  /** Batch size when `ask` is called without a count. */
  readonly batchSize: number;
  /** A maker of the individual for batch slot `slot` of `count`; called again for the same slot on a duplicate. */
  breeder(population: readonly Evaluated<T>[], count: number): (slot: number) => T;
  /** The population after a generation, from the current one and the evaluated offspring. */
  survive(population: readonly Evaluated<T>[], offspring: readonly Evaluated<T>[]): Evaluated<T>[];
}

export function strategyFor<T>(spec: AlgorithmSpec, variation: Variation<T>, rng: Rng): Strategy<T> {
  switch (spec.kind) {
    case "nsga2":
      return nsga2Strategy(spec, variation, rng);
    case "evolution":
      return evolutionStrategy(spec, variation, rng);
    case "random":
      return {
        batchSize: spec.populationSize,
        breeder: () => () => variation.sample(rng),
        survive: (population, offspring) => selectSurvivors([...population, ...offspring], spec.populationSize),
      };
  }
}

type Nsga2Spec = Extract<AlgorithmSpec, { kind: "nsga2" }>;
type EvolutionSpec = Extract<AlgorithmSpec, { kind: "evolution" }>;

/** Offspring: two binary-tournament winners, crossed with `crossoverProbability`, then mutated. */
function nsga2Strategy<T>(spec: Nsga2Spec, variation: Variation<T>, rng: Rng): Strategy<T> {
  return {
    batchSize: spec.populationSize,
    breeder(population) {
      const ranked = rankPopulation(population);
      return () => {
        const a = binaryTournament(ranked, rng).individual;
        const b = binaryTournament(ranked, rng).individual;
        const child = rng.bernoulli(spec.crossoverProbability) ? variation.crossover(a, b, rng) : a;
        return variation.mutate(child, rng, spec.mutationProbability);
      };
    },
    survive: (population, offspring) => selectSurvivors([...population, ...offspring], spec.populationSize),
  };
}

/**
 * Once-for-All's evolution finder: the best `parentRatio` of the population are parents; the first
 * `mutationRatio` of the children mutate a random parent, the rest cross two random parents. The next population is
 * the parents plus their children.
 */
function evolutionStrategy<T>(spec: EvolutionSpec, variation: Variation<T>, rng: Rng): Strategy<T> {
  const parentCount = Math.max(1, Math.round(spec.parentRatio * spec.populationSize));
  const parentsOf = (population: readonly Evaluated<T>[]): Evaluated<T>[] =>
    bestFirst(population).slice(0, parentCount);
  return {
    batchSize: spec.populationSize,
    breeder(population, count) {
      const parents = parentsOf(population).map((p) => p.individual);
      const mutations = Math.round(spec.mutationRatio * count);
      return (slot) =>
        slot < mutations
          ? variation.mutate(rng.pick(parents), rng, spec.mutationProbability)
          : variation.crossover(rng.pick(parents), rng.pick(parents), rng);
    },
    survive: (population, offspring) => [...parentsOf(population), ...offspring],
  };
}

/**
 * Up to `count` individuals, distinct by key from each other and from `taken`, preferring admissible ones. A slot
 * whose maker yields nothing new in MAX_DRAWS draws (parents too alike for crossover to move) takes a fresh sample
 * instead; when sampling fails too the space is nearly exhausted and the batch ends early. A slot that yields only
 * inadmissible new individuals takes the first of them, so a search never stalls on a strict pre-check.
 */
export function drawBatch<T>(
  count: number,
  make: (slot: number) => T,
  sample: () => T,
  variation: Variation<T>,
  taken: Set<string>,
): T[] {
  const batch: T[] = [];
  for (let slot = 0; slot < count; slot++) {
    const drawn = drawOne(() => make(slot), variation, taken) ?? drawOne(sample, variation, taken);
    if (drawn === undefined) break;
    taken.add(drawn.key);
    batch.push(drawn.individual);
  }
  return batch;
}

function drawOne<T>(
  make: () => T,
  variation: Variation<T>,
  taken: ReadonlySet<string>,
): { individual: T; key: string } | undefined {
  let fallback: { individual: T; key: string } | undefined;
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const individual = make();
    const key = variation.key(individual);
    if (taken.has(key)) continue;
    if (variation.admissible?.(individual) ?? true) return { individual, key };
    fallback ??= { individual, key };
  }
  return fallback;
}
