/**
 * Selection operators: ranking a population (rank + crowding), NSGA-II's elitist truncation and binary tournament,
 * and Once-for-All's best-first parent choice. All are deterministic given their inputs; ties keep input order.
 */
import type { Rng } from "../random.ts";
import { crowdingDistances, frontsOf, nonDominatedRanks } from "./pareto.ts";
import type { Evaluated, Fitness, Ranked } from "./types.ts";

/** Each member with its constraint-domination rank and its crowding distance within its front, in input order. */
export function rankPopulation<T>(members: readonly Evaluated<T>[]): Ranked<T>[] {
  const ranks = nonDominatedRanks(members);
  const crowding = new Array<number>(members.length).fill(0);
  for (const front of frontsOf(ranks)) {
    const distances = crowdingDistances(front.map((i) => (members[i] as Evaluated<T>).objectives));
    front.forEach((i, k) => (crowding[i] = distances[k] as number));
  }
  return members.map((m, i) => ({ ...m, rank: ranks[i] as number, crowding: crowding[i] as number }));
}

/** NSGA-II's crowded comparison: lower rank first, then larger crowding distance, then input order. */
function crowdedOrder(a: { rank: number; crowding: number; index: number }, b: typeof a): number {
  return a.rank - b.rank || compareDescending(a.crowding, b.crowding) || a.index - b.index;
}

function compareDescending(a: number, b: number): number {
  return a === b ? 0 : a > b ? -1 : 1;
}

/**
 * NSGA-II's elitist environmental selection: whole fronts in rank order, the last one that does not fit truncated
 * by crowding distance (largest first). Returns at most `size` members in that order.
 */
export function selectSurvivors<T>(members: readonly Evaluated<T>[], size: number): Evaluated<T>[] {
  return rankPopulation(members)
    .map((m, index) => ({ rank: m.rank, crowding: m.crowding, index }))
    .sort(crowdedOrder)
    .slice(0, size)
    .map((m) => members[m.index] as Evaluated<T>);
}

/** Binary tournament on the crowded comparison between two distinct random members (one member wins alone). */
export function binaryTournament<T>(ranked: readonly Ranked<T>[], rng: Rng): Ranked<T> {
  const i = rng.int(0, ranked.length - 1);
  if (ranked.length === 1) return ranked[i] as Ranked<T>;
  const j = (i + rng.int(1, ranked.length - 1)) % ranked.length;
  const a = ranked[i] as Ranked<T>;
  const b = ranked[j] as Ranked<T>;
  return crowdedOrder({ ...a, index: i }, { ...b, index: j }) <= 0 ? a : b;
}

/**
 * Best-first order for one objective under constraints (Once-for-All keeps the best `parentRatio` of the
 * population): feasible members by objective, then infeasible ones by violation, then objective; ties keep order.
 */
export function bestFirst<T>(members: readonly Evaluated<T>[]): Evaluated<T>[] {
  const key = (m: Fitness): [number, number] => [Math.max(0, m.violation), m.objectives[0] as number];
  return members
    .map((m, index) => ({ m, index, key: key(m) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.index - b.index)
    .map((e) => e.m);
}
