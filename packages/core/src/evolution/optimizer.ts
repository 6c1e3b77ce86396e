/**
 * The ask/tell protocol shared by every algorithm. An optimizer is a state machine over plain JSON (spec, RNG state,
 * generation counter, population, pending batch), so a caller can store `state()` after each step and resume
 * exactly from it with `restoreOptimizer`, whatever the step was:
 *
 *     const opt = createOptimizer({ kind: "nsga2", populationSize: 100 }, genomeVariation(space), createRng(seed));
 *     while (opt.generation < generations) {
 *       const batch = opt.ask();                       // stored with state(): a crash re-asks the same batch
 *       opt.tell(await evaluate(batch));               // objectives minimised, violation 0 when feasible
 *       save(opt.state(), opt.population(), opt.front());
 *     }
 */
import { MfnasError } from "../errors.ts";
import { Rng, type RngState } from "../random.ts";
import { z } from "zod";
import {
  algorithmSpecSchema,
  parseAlgorithmSpec,
  parseWith,
  type AlgorithmSpec,
  type AlgorithmSpecInput,
} from "./algorithm-spec.ts";
import { drawBatch, strategyFor, type Strategy } from "./breeding.ts";
import { rankPopulation } from "./selection.ts";
import type { Evaluated, Ranked, Variation } from "./types.ts";

/** Everything an optimizer is; JSON-serialisable when individuals are. */
export interface OptimizerState<T> {
  readonly version: 1;
  readonly spec: AlgorithmSpec;
  readonly rng: RngState;
  /** Generations completed, i.e. batches told. */
  readonly generation: number;
  /** The population after the last generation's selection. */
  readonly population: readonly Evaluated<T>[];
  /** The batch asked for and not yet told, if any. */
  readonly pending: readonly T[] | null;
}

export interface Optimizer<T> {
  readonly spec: AlgorithmSpec;
  /** Generations completed, i.e. batches told; 0 before the first `tell`. */
  readonly generation: number;
  /**
   * The next batch to evaluate: `count` individuals (default: the population size), distinct by key from each other
   * and from the population, fewer only when the variation keeps repeating itself. The first batch is sampled.
   * Asking again before `tell` returns the same batch.
   */
  ask(count?: number): T[];
  /**
   * The evaluations of the pending batch, one per individual, in any order (matched by key). Objectives are
   * minimised; every evaluation has the same number of them (one for "evolution"). Runs selection and completes
   * the generation.
   */
  tell(evaluations: readonly Evaluated<T>[]): void;
  /** The current population with ranks (constraint domination) and crowding distances, in population order. */
  population(): Ranked<T>[];
  /** The feasible members of the first front: the best trade-offs found (for "evolution", the best member). */
  front(): Ranked<T>[];
  /** A snapshot of the whole state (a deep copy). */
  state(): OptimizerState<T>;
}

/**
 * A new optimizer running `spec` over individuals made by `variation`, drawing from a copy of `rng` at its current
 * state (the caller's generator is not advanced).
 */
export function createOptimizer<T>(spec: AlgorithmSpecInput, variation: Variation<T>, rng: Rng): Optimizer<T> {
  const parsed = parseAlgorithmSpec(spec);
  return new AskTellOptimizer(variation, {
    version: 1,
    spec: parsed,
    rng: rng.state(),
    generation: 0,
    population: [],
    pending: null,
  });
}

const evaluatedSchema = z.strictObject({
  individual: z.unknown(),
  objectives: z.array(z.number()).min(1),
  violation: z.number().min(0),
});
const stateSchema = z.strictObject({
  version: z.literal(1),
  spec: algorithmSpecSchema,
  rng: z.unknown(),
  generation: z.int().min(0),
  population: z.array(evaluatedSchema),
  pending: z.array(z.unknown()).nullable(),
});

/** An optimizer continuing exactly from a stored `state()` (validated: it usually comes back from a database). */
export function restoreOptimizer<T>(state: unknown, variation: Variation<T>): Optimizer<T> {
  const parsed = parseWith(stateSchema, state, "optimizer state");
  const rng = Rng.fromState(parsed.rng as RngState).state();
  const restored = { ...parsed, rng } as OptimizerState<T>;
  return new AskTellOptimizer(variation, structuredClone(restored));
}

class AskTellOptimizer<T> implements Optimizer<T> {
  readonly spec: AlgorithmSpec;
  #generation: number;
  #population: readonly Evaluated<T>[];
  #pending: readonly T[] | null;
  readonly #rng: Rng;
  readonly #variation: Variation<T>;
  readonly #strategy: Strategy<T>;

  constructor(variation: Variation<T>, state: OptimizerState<T>) {
    this.spec = state.spec;
    this.#generation = state.generation;
    this.#population = state.population;
    this.#pending = state.pending;
    this.#rng = Rng.fromState(state.rng);
    this.#variation = variation;
    this.#strategy = strategyFor(state.spec, variation, this.#rng);
  }

  get generation(): number {
    return this.#generation;
  }

  ask(count?: number): T[] {
    if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 100_000)) {
      throw new MfnasError("invalid_input", `ask: count must be an integer in 1..100000, got ${String(count)}`);
    }
    if (this.#pending) {
      if (count !== undefined && count !== this.#pending.length) {
        throw new MfnasError("conflict", `ask: a batch of ${this.#pending.length} is pending; tell its results first`);
      }
      return [...this.#pending];
    }
    const size = count ?? this.#strategy.batchSize;
    const taken = new Set(this.#population.map((m) => this.#variation.key(m.individual)));
    const sample = () => this.#variation.sample(this.#rng);
    const make = this.#population.length === 0 ? sample : this.#strategy.breeder(this.#population, size);
    this.#pending = drawBatch(size, make, sample, this.#variation, taken);
    return [...this.#pending];
  }

  tell(evaluations: readonly Evaluated<T>[]): void {
    const pending = this.#pending;
    if (!pending) throw new MfnasError("conflict", "tell: no batch is pending; call ask first");
    const offspring = this.#matchPending(pending, evaluations);
    this.#population = this.#strategy.survive(this.#population, offspring);
    this.#pending = null;
    this.#generation++;
  }

  /** The evaluations in pending order, checked: one per pending individual, finite figures, one dimension. */
  #matchPending(pending: readonly T[], evaluations: readonly Evaluated<T>[]): Evaluated<T>[] {
    const untrusted: unknown = evaluations; // narrowing the typed array itself would make it `any[]`
    if (!Array.isArray(untrusted) || evaluations.length !== pending.length) {
      throw invalidTell("", `expected ${pending.length} evaluations, one per pending individual`);
    }
    const slots = new Map(pending.map((individual, i) => [this.#variation.key(individual), i]));
    const matched = new Array<Evaluated<T> | undefined>(pending.length);
    const dimension = this.spec.kind === "evolution" ? 1 : this.#dimension(evaluations);
    evaluations.forEach((e, i) => {
      const slot = slots.get(this.#variation.key(e.individual));
      if (slot === undefined) throw invalidTell(`[${i}].individual`, "is not in the pending batch");
      if (matched[slot]) throw invalidTell(`[${i}].individual`, "is evaluated twice");
      checkFitness(e, i, dimension);
      matched[slot] = { individual: pending[slot] as T, objectives: [...e.objectives], violation: e.violation };
    });
    return matched as Evaluated<T>[];
  }

  /** Objectives per evaluation: the population's, or for the first batch the first evaluation's. */
  #dimension(evaluations: readonly Evaluated<T>[]): number {
    const first = this.#population[0] ?? evaluations[0];
    const objectives: unknown = first?.objectives;
    return Array.isArray(objectives) && objectives.length > 0 ? objectives.length : 1;
  }

  population(): Ranked<T>[] {
    return rankPopulation(this.#population);
  }

  front(): Ranked<T>[] {
    return this.population().filter((m) => m.rank === 0 && m.violation <= 0);
  }

  state(): OptimizerState<T> {
    return structuredClone({
      version: 1,
      spec: this.spec,
      rng: this.#rng.state(),
      generation: this.#generation,
      population: this.#population,
      pending: this.#pending,
    });
  }
}

function checkFitness(e: Evaluated<unknown>, index: number, dimension: number): void {
  const { objectives, violation } = e;
  if (!Array.isArray(objectives) || objectives.length !== dimension) {
    throw invalidTell(`[${index}].objectives`, `must be an array of ${dimension} numbers`);
  }
  objectives.forEach((x, k) => {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw invalidTell(`[${index}].objectives[${k}]`, `must be a finite number, got ${String(x)}`);
    }
  });
  if (typeof violation !== "number" || !Number.isFinite(violation) || violation < 0) {
    throw invalidTell(`[${index}].violation`, `must be a finite number >= 0, got ${String(violation)}`);
  }
}

function invalidTell(path: string, problem: string): MfnasError {
  return new MfnasError("invalid_input", `tell: evaluations${path} ${problem}`, { path: `evaluations${path}` });
}
