/**
 * Standard multi-objective test problems with known Pareto fronts, to check the optimizers and the hypervolume:
 * ZDT1 and ZDT2 (Zitzler, Deb & Thiele 2000; 30 variables, convex and concave fronts) and TNK (Tanaka 1995; two
 * constraints, a disconnected front along a wavy constraint boundary).
 */
import { nonDominatedIndices } from "./pareto.ts";
import type { Bounds } from "./real-variation.ts";
import type { Fitness } from "./types.ts";

export interface TestProblem {
  readonly name: string;
  /** One [lower, upper] per variable. */
  readonly bounds: Bounds;
  /** Objectives (minimised) and total constraint violation of `x`. */
  evaluate(x: readonly number[]): Fitness;
  /** `samples` points of the true Pareto front (non-dominated, feasible), for its hypervolume. */
  trueFront(samples: number): number[][];
  /** A hypervolume reference point a little beyond the front's nadir. */
  readonly reference: readonly number[];
}

function zdt(name: string, n: number, shape: (f1OverG: number) => number): TestProblem {
  return {
    name,
    bounds: Array.from({ length: n }, () => [0, 1] as const),
    evaluate(x) {
      const f1 = x[0] as number;
      const g = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (n - 1);
      return { objectives: [f1, g * shape(f1 / g)], violation: 0 };
    },
    trueFront: (samples) =>
      Array.from({ length: samples }, (_, i) => {
        const f1 = i / (samples - 1);
        return [f1, shape(f1)];
      }),
    reference: [1.1, 1.1],
  };
}

/** ZDT1: convex front f2 = 1 - sqrt(f1), reached where x2..xn = 0. */
export function zdt1(n = 30): TestProblem {
  return zdt("ZDT1", n, (r) => 1 - Math.sqrt(r));
}

/** ZDT2: concave front f2 = 1 - f1^2, reached where x2..xn = 0. */
export function zdt2(n = 30): TestProblem {
  return zdt("ZDT2", n, (r) => 1 - r * r);
}

/** TNK's first constraint, C1(x) >= 0: outside a wavy circle around the origin. */
function tnkC1(x1: number, x2: number): number {
  return x1 * x1 + x2 * x2 - 1 - 0.1 * Math.cos(16 * Math.atan2(x1, x2));
}

/** TNK's second constraint, C2(x) >= 0: inside the disc of radius sqrt(0.5) around (0.5, 0.5). */
function tnkC2(x1: number, x2: number): number {
  return 0.5 - (x1 - 0.5) ** 2 - (x2 - 0.5) ** 2;
}

/**
 * TNK: minimise (x1, x2) over [0, pi]^2 subject to C1 >= 0 and C2 >= 0. Every Pareto-optimal point lies on C1's
 * boundary r(phi)^2 = 1 + 0.1 cos(16 phi) with x1 = r sin(phi), x2 = r cos(phi) (any feasible point can move toward
 * the origin until it meets it, staying in C2's disc); the front is that curve's feasible, non-dominated part.
 */
export function tnk(): TestProblem {
  return {
    name: "TNK",
    bounds: [
      [0, Math.PI],
      [0, Math.PI],
    ],
    evaluate(x) {
      const [x1, x2] = x as [number, number];
      const violation = Math.max(0, -tnkC1(x1, x2)) + Math.max(0, -tnkC2(x1, x2));
      return { objectives: [x1, x2], violation };
    },
    trueFront(samples) {
      const curve = Array.from({ length: samples }, (_, i) => {
        const phi = (i / (samples - 1)) * (Math.PI / 2);
        const r = Math.sqrt(1 + 0.1 * Math.cos(16 * phi));
        return [r * Math.sin(phi), r * Math.cos(phi)];
      });
      const feasible = curve.filter(([a, b]) => tnkC2(a as number, b as number) >= 0);
      return nonDominatedIndices(feasible).map((i) => feasible[i] as number[]);
    },
    reference: [1.2, 1.2],
  };
}
