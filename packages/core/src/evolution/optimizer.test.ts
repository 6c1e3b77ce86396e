import { describe, expect, it } from "vitest";
import type { MfnasError } from "../errors.ts";
import { createRng } from "../random.ts";
import { genomeCost } from "../space/cost-model.ts";
import { validateGenome, type Genome } from "../space/genome.ts";
import { DEFAULT_SEARCH_SPACE, narrowSpace } from "../space/search-space.ts";
import type { AlgorithmSpecInput } from "./algorithm-spec.ts";
import { genomeVariation } from "./genome-variation.ts";
import { createOptimizer, restoreOptimizer, type Optimizer } from "./optimizer.ts";
import { zdt1, type TestProblem } from "./problems.ts";
import { realVariation } from "./real-variation.ts";
import type { Evaluated, Fitness } from "./types.ts";

const problem = zdt1();
const variation = realVariation(problem.bounds);
const SPECS: AlgorithmSpecInput[] = [
  { kind: "nsga2", populationSize: 20 },
  { kind: "evolution", populationSize: 20 },
  { kind: "random", populationSize: 20 },
];

function evaluate(batch: readonly number[][], p: TestProblem = problem): Evaluated<number[]>[] {
  return batch.map((x) => ({ individual: x, ...p.evaluate(x) }));
}

/** ZDT1 with only its first objective, for the single-objective evolution. */
function firstObjective(batch: readonly number[][]): Evaluated<number[]>[] {
  return evaluate(batch).map((e) => ({ ...e, objectives: e.objectives.slice(0, 1) }));
}

function step(opt: Optimizer<number[]>): void {
  const batch = opt.ask();
  opt.tell(opt.spec.kind === "evolution" ? firstObjective(batch) : evaluate(batch));
}

function run(spec: AlgorithmSpecInput, seed: number, generations: number): Optimizer<number[]> {
  const opt = createOptimizer(spec, variation, createRng(seed));
  for (let g = 0; g < generations; g++) step(opt);
  return opt;
}

describe.each(SPECS)("$kind optimizer", (spec) => {
  it("gives identical runs for a seed and different runs for another", () => {
    const a = JSON.stringify(run(spec, 1, 8).state());
    expect(JSON.stringify(run(spec, 1, 8).state())).toBe(a);
    expect(JSON.stringify(run(spec, 2, 8).state())).not.toBe(a);
  });

  it("continues identically from a JSON round trip of its state, after tell and while a batch is pending", () => {
    const uninterrupted = run(spec, 7, 10);
    const afterTell = run(spec, 7, 4);
    const resumed = restoreOptimizer(JSON.parse(JSON.stringify(afterTell.state())), variation);
    expect(resumed.generation).toBe(4);
    for (let g = 4; g < 10; g++) step(resumed);
    expect(JSON.stringify(resumed.state())).toBe(JSON.stringify(uninterrupted.state()));

    const midAsk = run(spec, 7, 6);
    const batch = midAsk.ask();
    const fromPending = restoreOptimizer(JSON.parse(JSON.stringify(midAsk.state())), variation);
    expect(fromPending.ask()).toEqual(batch);
    for (let g = 6; g < 10; g++) step(fromPending);
    expect(JSON.stringify(fromPending.state())).toBe(JSON.stringify(uninterrupted.state()));
  });

  it("asks for distinct individuals that are new to the population, and the same batch until told", () => {
    const opt = run(spec, 3, 3);
    const batch = opt.ask();
    expect(batch).toHaveLength(20);
    const keys = new Set(batch.map((x) => variation.key(x)));
    expect(keys.size).toBe(20);
    expect(opt.population().some((m) => keys.has(variation.key(m.individual)))).toBe(false);
    expect(opt.ask()).toEqual(batch);
    expect(() => opt.ask(5)).toThrow(/a batch of 20 is pending/);
  });
});

describe("ask/tell protocol", () => {
  const fresh = () => createOptimizer({ kind: "nsga2", populationSize: 4 }, variation, createRng(1));

  it("refuses tell without a pending batch", () => {
    const opt = fresh();
    expect(() => opt.tell([])).toThrow(expect.objectContaining({ code: "conflict" }) as MfnasError);
  });

  it("matches evaluations by key in any order", () => {
    const opt = fresh();
    const batch = opt.ask();
    const evaluations = evaluate(batch);
    opt.tell([...evaluations].reverse());
    expect(opt.generation).toBe(1);
    const byKey = new Map(evaluations.map((e) => [variation.key(e.individual), e.objectives]));
    expect(opt.population()).toHaveLength(4);
    for (const m of opt.population()) expect(m.objectives).toEqual(byKey.get(variation.key(m.individual)));
  });

  it("rejects missing, foreign, repeated and non-finite evaluations, naming the field", () => {
    const opt = fresh();
    const good = evaluate(opt.ask());
    const cases: [Evaluated<number[]>[], RegExp][] = [
      [good.slice(1), /expected 4 evaluations/],
      [[...good.slice(1), { ...(good[0] as Evaluated<number[]>), individual: [0.5] }], /\[3\]\.individual is not in/],
      [[...good.slice(1), good[1] as Evaluated<number[]>], /\[3\]\.individual is evaluated twice/],
      [good.map((e, i) => (i === 2 ? { ...e, objectives: [1, Number.NaN] } : e)), /\[2\]\.objectives\[1\] must be/],
      [good.map((e, i) => (i === 1 ? { ...e, objectives: [1, 2, 3] } : e)), /\[1\]\.objectives must be an array of 2/],
      [good.map((e, i) => (i === 0 ? { ...e, violation: -1 } : e)), /\[0\]\.violation must be a finite number >= 0/],
    ];
    for (const [evaluations, message] of cases) expect(() => opt.tell(evaluations)).toThrow(message);
    opt.tell(good);
    expect(opt.generation).toBe(1);
  });

  it("needs exactly one objective for evolution", () => {
    const opt = createOptimizer({ kind: "evolution", populationSize: 4 }, variation, createRng(1));
    expect(() => opt.tell(evaluate(opt.ask()))).toThrow(/objectives must be an array of 1 numbers/);
  });

  it("validates specs and stored states", () => {
    expect(() => createOptimizer({ kind: "nsga2", populationSize: 1 }, variation, createRng(1))).toThrow(
      /algorithm\.populationSize/,
    );
    expect(() => createOptimizer({ kind: "evolution", parentRatio: 0 }, variation, createRng(1))).toThrow(
      /algorithm\.parentRatio/,
    );
    const state = run({ kind: "nsga2", populationSize: 4 }, 1, 2).state();
    expect(() => restoreOptimizer({ ...state, version: 2 }, variation)).toThrow(/optimizer state\.version/);
    expect(() => restoreOptimizer({ ...state, rng: { algorithm: "sfc32", words: [1] } }, variation)).toThrow(
      /rng state/,
    );
  });

  it("returns a smaller batch when the space runs out of new individuals", () => {
    const tiny = narrowSpace(DEFAULT_SEARCH_SPACE, {
      scales: [4],
      trunkWidths: [16],
      branchWidths: [8],
      branchKinds: ["conv3"],
      upsamplers: ["nearest-conv"],
      depth: { min: 1, max: 2 },
    });
    const opt = createOptimizer({ kind: "nsga2", populationSize: 4 }, genomeVariation(tiny), createRng(1));
    expect(opt.ask()).toHaveLength(2);
  });
});

describe("evolution (Once-for-All)", () => {
  /** Maximise x1 + x2 on [0, 1]^2 subject to x1^2 + x2^2 <= 1: optimum sqrt(2) at x1 = x2 = 1/sqrt(2). */
  const disc = (x: readonly number[]): Fitness => {
    const [a, b] = x as [number, number];
    return { objectives: [-(a + b)], violation: Math.max(0, a * a + b * b - 1) };
  };

  it("finds the constrained optimum of a known problem", () => {
    const bounds = [
      [0, 1],
      [0, 1],
    ] as const;
    const opt = createOptimizer({ kind: "evolution", populationSize: 50 }, realVariation(bounds), createRng(5));
    for (let g = 0; g < 60; g++) opt.tell(opt.ask().map((x) => ({ individual: x, ...disc(x) })));
    const [best] = opt.front();
    expect(opt.front()).toHaveLength(1);
    expect(best?.violation).toBe(0);
    expect(-(best?.objectives[0] ?? 0)).toBeGreaterThan(Math.SQRT2 - 2e-3);
    // Parents (25% of 50, rounded) plus 50 children.
    expect(opt.population()).toHaveLength(63);
  });
});

describe("genome variation", () => {
  const space = DEFAULT_SEARCH_SPACE;
  const macs = (g: Genome) => genomeCost(g, 32, 32).macs;
  const params = (g: Genome) => genomeCost(g, 32, 32).params;

  /** The median MACs of a few samples: a limit that rejects about half of them. */
  function medianMacs(): number {
    const rng = createRng(2);
    const sorted = Array.from({ length: 41 }, () => macs(genomeVariation(space).sample(rng))).sort((a, b) => a - b);
    return sorted[20] as number;
  }

  it("drives NSGA-II over genomes, drawing only admissible ones while it can", () => {
    const limit = medianMacs();
    const genomes = genomeVariation(space, { admissible: (g) => macs(g) <= limit });
    const opt = createOptimizer({ kind: "nsga2", populationSize: 16 }, genomes, createRng(9));
    for (let g = 0; g < 5; g++) {
      const batch = opt.ask();
      expect(batch).toHaveLength(16);
      for (const genome of batch) {
        expect(validateGenome(genome, space)).toEqual(genome);
        expect(macs(genome)).toBeLessThanOrEqual(limit);
      }
      // Fewer MACs and more parameters (a stand-in for quality) as the two objectives.
      opt.tell(
        batch.map((genome) => ({ individual: genome, objectives: [macs(genome), -params(genome)], violation: 0 })),
      );
    }
    expect(opt.front().length).toBeGreaterThan(1);
    expect(JSON.parse(JSON.stringify(opt.state()))).toEqual(opt.state());
  });
});
