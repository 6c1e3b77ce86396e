/**
 * Evolutionary search on problems with known fronts: hypervolume against evaluations for NSGA-II and random search
 * at equal budgets, and the optimizers' own time per generation (ask + tell, without evaluating anything), on the
 * real-coded test problems and on SubGenerator genomes. A benchmark, not a test.
 *
 *   npx tsx bench/evolution.ts [generations=250] [seeds=3]
 *
 * Population 100 (random search: 100 samples per generation). Hypervolume is that of the non-dominated set of every
 * evaluation so far, as a percentage of the true front's (100,000 points on the analytic front), median over seeds
 * 1..seeds; "pop front" is the final population's own first front. Random search rarely gets inside the reference
 * box of these 30-variable problems, so a second table gives the generational distance of the same fronts (mean
 * distance from each front point to the nearest of 10,000 true-front points; 0 = on the front).
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
  /** Generational distance at each checkpoint. */
  distance: number[];
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

/** Mean distance from each point of `front` to the nearest point of `truth`. */
function generationalDistance(front: readonly Evaluated<unknown>[], truth: readonly number[][]): number {
  const nearest = (p: readonly number[]) =>
    Math.min(...truth.map((q) => Math.hypot(...p.map((x, k) => x - (q[k] as number)))));
  return front.reduce((sum, m) => sum + nearest(m.objectives), 0) / front.length;
}

function trace(kind: AlgorithmKind, problem: TestProblem, seed: number, trueVolume: number): Trace {
  const opt = createOptimizer({ kind, populationSize: POPULATION }, realVariation(problem.bounds), createRng(seed));
  const evaluated: Evaluated<number[]>[] = [];
  const curve: number[] = [];
  const distance: number[] = [];
  const truth = problem.trueFront(10_000);
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
    if (!CHECKPOINTS.includes(evaluated.length)) continue;
    const front = paretoFront(evaluated);
    curve.push(volumeOf(front, problem) / trueVolume);
    distance.push(generationalDistance(front, truth));
  }
  return {
    curve,
    distance,
    population: volumeOf(opt.front(), problem) / trueVolume,
    msPerGeneration: optimizerMs / generations,
  };
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function compare(problem: TestProblem): void {
  const trueVolume = hypervolume(problem.trueFront(100_000), problem.reference);
  const traces = new Map(
    (["nsga2", "random"] as const).map((kind) => [
      kind,
      Array.from({ length: seeds }, (_, s) => trace(kind, problem, s + 1, trueVolume)),
    ]),
  );
  const header = `| evaluations | ${CHECKPOINTS.join(" | ")} |`;
  const rule = `| --- | ${CHECKPOINTS.map(() => "---:").join(" | ")} |`;
  const at = (runs: Trace[], pick: (t: Trace) => number[], i: number) => median(runs.map((t) => pick(t)[i] as number));
  console.log(
    `\n${problem.name}: hypervolume, % of the true front's (${trueVolume.toFixed(5)}, reference ${problem.reference.join(", ")})`,
  );
  console.log(`${header} pop front | ms/generation |\n${rule} ---: | ---: |`);
  for (const [kind, runs] of traces) {
    const curve = CHECKPOINTS.map((_, i) => percent(at(runs, (t) => t.curve, i)));
    const population = percent(median(runs.map((t) => t.population)));
    const ms = median(runs.map((t) => t.msPerGeneration)).toFixed(2);
    console.log(`| ${kind} | ${curve.join(" | ")} | ${population} | ${ms} |`);
  }
  console.log(`\n${problem.name}: generational distance of the same fronts\n${header}\n${rule}`);
  for (const [kind, runs] of traces) {
    console.log(`| ${kind} | ${CHECKPOINTS.map((_, i) => at(runs, (t) => t.distance, i).toFixed(4)).join(" | ")} |`);
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
