/**
 * NSGA-II on problems with known fronts. Budget: population 100, 250 generations (25,100 evaluations), fixed seeds.
 * The final front is the non-dominated set of every evaluated individual, as a search reports it; its hypervolume
 * must be within 1% of the true front's, computed from 100,000 points sampled on the analytic front. The
 * population's own first front (at most 100 points) is held to 2%: 100 points cannot cover a continuous front
 * closer than about 0.5% (ZDT1) to 0.9% (ZDT2) of its hypervolume.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { hypervolume } from "./hypervolume.ts";
import { createOptimizer } from "./optimizer.ts";
import { paretoFront } from "./pareto.ts";
import { tnk, zdt1, zdt2, type TestProblem } from "./problems.ts";
import { realVariation } from "./real-variation.ts";
import type { Evaluated } from "./types.ts";

const GENERATIONS = 250;

function objectivesOf(members: readonly Evaluated<unknown>[]): number[][] {
  return members.map((m) => [...m.objectives]);
}

function solve(problem: TestProblem, seed: number): { all: number; population: number } {
  const opt = createOptimizer({ kind: "nsga2", populationSize: 100 }, realVariation(problem.bounds), createRng(seed));
  const evaluated: Evaluated<number[]>[] = [];
  for (let g = 0; g < GENERATIONS; g++) {
    const batch = opt.ask().map((x) => ({ individual: x, ...problem.evaluate(x) }));
    evaluated.push(...batch);
    opt.tell(batch);
  }
  return {
    all: hypervolume(objectivesOf(paretoFront(evaluated)), problem.reference),
    population: hypervolume(objectivesOf(opt.front()), problem.reference),
  };
}

describe("true fronts", () => {
  it("have the analytic hypervolume for ZDT1 and ZDT2 (reference 1.1, 1.1)", () => {
    // Area between the front and the reference point: integral of (1.1 - f2) over f1 in [0, 1], plus 0.1 * 1.1.
    expect(hypervolume(zdt1().trueFront(100_000), [1.1, 1.1])).toBeCloseTo(0.1 + 2 / 3 + 0.11, 4);
    expect(hypervolume(zdt2().trueFront(100_000), [1.1, 1.1])).toBeCloseTo(0.1 + 1 / 3 + 0.11, 4);
  });

  it("lie on TNK's constraint boundary and are feasible", () => {
    const problem = tnk();
    for (const [x1, x2] of tnk().trueFront(2_000)) {
      const { violation } = problem.evaluate([x1 as number, x2 as number]);
      expect(violation).toBeLessThan(1e-12);
      expect(problem.evaluate([(x1 as number) * 0.999, (x2 as number) * 0.999]).violation).toBeGreaterThan(0);
    }
  });
});

const SEED = 1;

describe.each([zdt1(), zdt2(), tnk()].map((p) => [p.name, p] as const))("NSGA-II on %s", (_name, problem) => {
  it(`reaches 99% of the true front's hypervolume in ${GENERATIONS} generations of 100`, () => {
    const trueVolume = hypervolume(problem.trueFront(100_000), problem.reference);
    const found = solve(problem, SEED);
    expect(found.all / trueVolume).toBeGreaterThan(0.99);
    expect(found.population / trueVolume).toBeGreaterThan(0.98);
  });
});
