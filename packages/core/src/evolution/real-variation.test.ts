import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { polynomialMutation, realVariation, sbx, type Bounds } from "./real-variation.ts";

const bounds: Bounds = [
  [0, 1],
  [-5, 5],
  [10, 20],
];

describe("real-coded variation", () => {
  it("keeps samples, SBX children and mutants within bounds", () => {
    const rng = createRng(1);
    const v = realVariation(bounds);
    for (let i = 0; i < 300; i++) {
      const child = v.mutate(v.crossover(v.sample(rng), v.sample(rng), rng), rng, 1);
      child.forEach((x, k) => {
        const [lo, hi] = bounds[k] as readonly [number, number];
        expect(x).toBeGreaterThanOrEqual(lo);
        expect(x).toBeLessThanOrEqual(hi);
      });
    }
  });

  it("makes SBX children symmetric about their parents' mean away from the bounds", () => {
    const rng = createRng(2);
    const wide: Bounds = [[-1e6, 1e6]];
    for (let i = 0; i < 100; i++) {
      const [c1, c2] = sbx([0.3], [0.7], wide, 15, 1, rng);
      expect((c1[0] as number) + (c2[0] as number)).toBeCloseTo(1, 9);
    }
  });

  it("leaves a vector unchanged at mutation probability 0 and moves it at 1", () => {
    const rng = createRng(3);
    const x = [0.5, 0, 15];
    expect(polynomialMutation(x, bounds, 20, 0, rng)).toEqual(x);
    expect(polynomialMutation(x, bounds, 20, 1, rng)).not.toEqual(x);
  });

  it("rejects empty or inverted bounds", () => {
    expect(() => realVariation([])).toThrow(/at least one variable/);
    expect(() => realVariation([[1, 1]])).toThrow(/bounds\[0\]: need finite lower < upper/);
  });
});
