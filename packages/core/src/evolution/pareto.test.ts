import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import {
  constrainedDominates,
  crowdingDistances,
  dominates,
  frontsOf,
  nonDominatedIndices,
  nonDominatedRanks,
  paretoFront,
} from "./pareto.ts";

const feasible = (...objectives: number[]) => ({ objectives, violation: 0 });
const infeasible = (violation: number, ...objectives: number[]) => ({ objectives, violation });

describe("dominance", () => {
  it("needs no worse in all objectives and better in one", () => {
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 3], [1, 2])).toBe(false);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([0, 3], [1, 2])).toBe(false);
  });

  it("orders by constraint domination: feasible first, then smaller violation, then Pareto", () => {
    expect(constrainedDominates(feasible(9, 9), infeasible(0.01, 0, 0))).toBe(true);
    expect(constrainedDominates(infeasible(0.01, 0, 0), feasible(9, 9))).toBe(false);
    expect(constrainedDominates(infeasible(1, 9, 9), infeasible(2, 0, 0))).toBe(true);
    expect(constrainedDominates(infeasible(2, 0, 0), infeasible(1, 9, 9))).toBe(false);
    expect(constrainedDominates(infeasible(1, 0, 0), infeasible(1, 9, 9))).toBe(false);
    expect(constrainedDominates(infeasible(1, 9, 9), infeasible(1, 0, 0))).toBe(false);
    expect(constrainedDominates(feasible(1, 1), feasible(2, 2))).toBe(true);
    expect(constrainedDominates(feasible(1, 2), feasible(2, 1))).toBe(false);
  });
});

describe("nonDominatedRanks", () => {
  it("ranks fronts in order", () => {
    const points = [feasible(1, 4), feasible(2, 2), feasible(3, 3), feasible(4, 1), feasible(5, 5), feasible(2, 2)];
    const ranks = nonDominatedRanks(points);
    expect(ranks).toEqual([0, 0, 1, 0, 2, 0]);
    expect(frontsOf(ranks)).toEqual([[0, 1, 3, 5], [2], [4]]);
  });

  it("puts every infeasible point behind every feasible one, ordered by violation", () => {
    const points = [infeasible(3, 0, 0), feasible(5, 5), infeasible(1, 9, 9), feasible(1, 1), infeasible(1, 0, 0)];
    expect(nonDominatedRanks(points)).toEqual([3, 1, 2, 0, 2]);
  });

  it("agrees with pairwise dominance on random sets", () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 10; trial++) {
      const points = Array.from({ length: 40 }, () =>
        rng.bernoulli(0.3)
          ? infeasible(rng.int(1, 3), rng.int(0, 5), rng.int(0, 5))
          : feasible(rng.int(0, 5), rng.int(0, 5)),
      );
      const ranks = nonDominatedRanks(points);
      points.forEach((p, i) => {
        const dominators = points.flatMap((q, j) => (constrainedDominates(q, p) ? [ranks[j] as number] : []));
        // Rank = 1 + the largest rank of a dominator (0 when none): the definition of the sort.
        expect(ranks[i]).toBe(dominators.length === 0 ? 0 : Math.max(...dominators) + 1);
      });
    }
  });
});

describe("crowdingDistances", () => {
  it("sums normalised neighbour gaps and gives the extremes Infinity", () => {
    const d = crowdingDistances([
      [0, 4],
      [1, 2],
      [2, 1],
      [4, 0],
    ]);
    expect(d).toEqual([Infinity, 1.25, 1.25, Infinity]);
  });

  it("ignores an objective that is constant across the front", () => {
    expect(
      crowdingDistances([
        [0, 7],
        [1, 7],
        [3, 7],
      ]),
    ).toEqual([Infinity, 1, Infinity]);
  });
});

describe("nonDominatedIndices and paretoFront", () => {
  it("agree with a brute-force filter in 2 and 3 objectives, keeping duplicates", () => {
    const rng = createRng(4);
    for (const m of [2, 3]) {
      for (let trial = 0; trial < 10; trial++) {
        const points = Array.from({ length: 50 }, () => Array.from({ length: m }, () => rng.int(0, 6)));
        const expected = points.flatMap((p, i) => (points.some((q) => dominates(q, p)) ? [] : [i]));
        expect(nonDominatedIndices(points)).toEqual(expected);
      }
    }
  });

  it("keeps only feasible points in the front", () => {
    const points = [feasible(2, 2), infeasible(1, 0, 0), feasible(1, 3), feasible(3, 3)];
    expect(paretoFront(points)).toEqual([points[0], points[2]]);
  });
});
