/**
 * Evolutionary search on problems with known fronts: hypervolume against evaluations for NSGA-II and random search
 * at equal budgets, and the optimizers' own time per generation (ask + tell, without evaluating anything), on the
 * real-coded test problems and on SubGenerator genomes. A benchmark, not a test.
 *
 *   npx tsx bench/evolution.ts [generations=250] [seeds=3]
 *
 * Population 100 (random search: 100 samples per generation). Hypervolume is that of the non-dominated set of every
 * evaluation so far, as a percentage of the true front's (100,000 points on the analytic front), median over seeds
 * 1..seeds; "pop" is NSGA-II's final population front alone.
 */
import {
  DEFAULT_SEARCH_SPACE,
  createOptimizer,
  createRng,
  genomeCost,
  genomeVariation,
  hypervolume,
  paretoFront,
  realVariation,
  zdt1,
  zdt2,
  type AlgorithmKind,
  type Evaluated,
  type Genome,
  type Optimizer,
  type TestProblem,
  type Variation,
} from "@mfnas/core";

const [generations = 250, seeds = 3] = process.argv.slice(2, 4).map(Number);
const POPULATION = 100;
const CHECKPOINTS = [1_000, 2_500, 5_000, 10_000, 25_000].filter((e) => e <= generations * POPULATION);

interface Trace {
  /** Hypervolume share of the true front at each checkpoint. */
  curve: number[];
  /** Final population front's share (NSGA-II's own front). */
  population: number;
  /** Optimizer time per generation, ms (ask + tell). */
  msPerGeneration: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function volumeOf(members: readonly Evaluated<unknown>[], problem: TestProblem): number {
  return hypervolume(
    members.map((m) => [...m.objectives]),
    problem.reference,
  );
}

function trace(kind: AlgorithmKind, problem: TestProblem, seed: number, trueVolume: number): Trace {
  const opt = createOptimizer({ kind, populationSize: POPULATION }, realVariation(problem.bounds), createRng(seed));
  const evaluated: Evaluated<number[]>[] = [];
  const curve: number[] = [];
  let optimizerMs = 0;
  for (let g = 0; g < generations; g++) {
    let start = performance.now();
    const batch = opt.ask();
    optimizerMs += performance.now() - start;
    const results = batch.map((x) => ({ individual: x, ...problem.evaluate(x) }));
    start = performance.now();
    opt.tell(results);
    optimizerMs += performance.now() - start;
    evaluated.push(...results);
    if (CHECKPOINTS.includes(evaluated.length)) curve.push(volumeOf(paretoFront(evaluated), problem) / trueVolume);
  }
  return { curve, population: volumeOf(opt.front(), problem) / trueVolume, msPerGeneration: optimizerMs / generations };
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function compare(problem: TestProblem): void {
  const trueVolume = hypervolume(problem.trueFront(100_000), problem.reference);
  console.log(
    `\n${problem.name} (true front hypervolume ${trueVolume.toFixed(5)}, reference ${problem.reference.join(", ")})`,
  );
  console.log(`| evaluations | ${CHECKPOINTS.join(" | ")} | pop front | ms/generation |`);
  console.log(`| --- | ${CHECKPOINTS.map(() => "---:").join(" | ")} | ---: | ---: |`);
  for (const kind of ["nsga2", "random"] as const) {
    const traces = Array.from({ length: seeds }, (_, s) => trace(kind, problem, s + 1, trueVolume));
    const curve = CHECKPOINTS.map((_, i) => percent(median(traces.map((t) => t.curve[i] as number))));
    const population = percent(median(traces.map((t) => t.population)));
    const ms = median(traces.map((t) => t.msPerGeneration)).toFixed(2);
    console.log(`| ${kind} | ${curve.join(" | ")} | ${population} | ${ms} |`);
  }
}

/** Optimizer time per generation over genomes (hashing, genome operators, selection), cost-model objectives. */
function genomeTiming(kind: AlgorithmKind): string {
  const variation: Variation<Genome> = genomeVariation(DEFAULT_SEARCH_SPACE);
  const spec = { kind, populationSize: POPULATION };
  const opt: Optimizer<Genome> = createOptimizer(spec, variation, createRng(1));
  const evaluate = (g: Genome): number[] => {
    const cost = genomeCost(g, 64, 64);
    return kind === "evolution" ? [-cost.params] : [cost.macs, -cost.params];
  };
  let ms = 0;
  const rounds = 30;
  for (let g = 0; g < rounds; g++) {
    const start = performance.now();
    const batch = opt.ask();
    ms += performance.now() - start;
    const results = batch.map((x) => ({ individual: x, objectives: evaluate(x), violation: 0 }));
    const told = performance.now();
    opt.tell(results);
    ms += performance.now() - told;
  }
  return `| ${kind} | ${(ms / rounds).toFixed(2)} |`;
}

console.log(`NSGA-II vs random search, population ${POPULATION}, ${generations} generations, median of ${seeds} seeds`);
for (const problem of [zdt1(), zdt2()]) compare(problem);
console.log(`\nGenome search (default space), optimizer ms per generation of ${POPULATION}, 30 generations`);
console.log("| algorithm | ms/generation |\n| --- | ---: |");
for (const kind of ["nsga2", "evolution", "random"] as const) console.log(genomeTiming(kind));
