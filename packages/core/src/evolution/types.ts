/**
 * Shared shapes of the evolutionary search: what an evaluated individual looks like and how an algorithm varies
 * individuals of a given type. Everything an algorithm stores is plain JSON, so individuals must be JSON data too
 * (genomes and number arrays are).
 */
import type { Rng } from "../random.ts";

/**
 * The fitness of one evaluated individual. Objectives are minimised (negate a quality to maximise it); `violation`
 * is the total constraint violation, 0 when every constraint holds (e.g. the sum over constraints of how far each
 * one is exceeded, each scaled by its limit). Both must be finite.
 */
export interface Fitness {
  readonly objectives: readonly number[];
  readonly violation: number;
}

/** An individual with its fitness, as the caller reports it to `SearchAlgorithm.tell`. */
export interface Evaluated<T> extends Fitness {
  readonly individual: T;
}

/** An evaluated member of a population with its place in it. */
export interface Ranked<T> extends Evaluated<T> {
  /** Non-dominated rank under constraint domination; 0 is the first front. */
  readonly rank: number;
  /** Crowding distance within its front (Infinity at the front's extremes). */
  readonly crowding: number;
}

/**
 * How an algorithm creates individuals of type `T`. Every method draws only from the `rng` it is given, so that a
 * search replays from its seed or a stored RNG state.
 */
export interface Variation<T> {
  /** A random individual. */
  sample(rng: Rng): T;
  /** A mutated child; `probability` is the per-gene mutation chance, undefined for the operator's default. */
  mutate(parent: T, rng: Rng, probability?: number): T;
  /** One child of two parents. */
  crossover(a: T, b: T, rng: Rng): T;
  /** Identity of an individual: equal keys mean the same individual, which is never evaluated twice in a batch. */
  key(individual: T): string;
  /**
   * Optional cheap feasibility check before evaluation (e.g. a MACs limit from the analytic cost model); rejected
   * individuals are drawn again, a bounded number of times, as in Once-for-All's constrained sampling.
   */
  admissible?(individual: T): boolean;
}
